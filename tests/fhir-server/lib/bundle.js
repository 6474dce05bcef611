'use strict';
// Batch and transaction Bundles (POST to the FHIR base).
//
// batch: every entry runs as its own request through FhirService.handle(); HTTP 200 with a
// batch-response whose entries carry each entry's status (and an OperationOutcome on failure).
//
// transaction: processed here rather than by Medplum's processBatch, so that it is atomic and
// has no entry caps. Order (FHIR R4 3.1.0.11.2): DELETE, then POST, then PUT/PATCH, then GET.
// Identities are resolved first (server ids for creates, If-None-Exist and conditional-update
// matches), then urn:uuid references are rewritten, then the writes run. Any failure restores the
// store snapshot taken at the start and answers the failing entry's 4xx status (400 when it had
// none) with an OperationOutcome naming the entry. Callers serialize all requests, so no other
// write can interleave with a transaction.
//
// In medplum mode without atomicTransactions (lib/mode.js), a transaction runs as a batch, as on
// a Medplum project without the transaction-bundles feature: same order, urn:uuid references to
// entries already created are rewritten, and each entry stands alone: HTTP 200 with a
// transaction-response in which failed entries carry their own response.status and outcome.
const { generateId, getStatus, normalizeOperationOutcome, parseSearchRequest } = require('@medplum/core');
const { FhirError, outcome, statusLine } = require('./outcomes');

async function processBundle(service, req) {
  const body = req.body;
  if (!body || body.resourceType !== 'Bundle') throw new FhirError(400, 'Expected a Bundle');
  if (body.type === 'batch') return runBatch(service, req);
  if (body.type === 'transaction') {
    if (service.mode && !service.mode.atomic) return runTransactionAsBatch(service, req);
    return runTransaction(service, req);
  }
  throw new FhirError(400, `Bundle.type must be batch or transaction, got ${body.type}`);
}

function splitUrl(url) {
  let u = String(url || '');
  const base = u.indexOf('/fhir/');
  if (/^https?:/.test(u) && base >= 0) u = u.substring(base + 6);
  u = u.replace(/^\//, '');
  const q = u.indexOf('?');
  return q < 0 ? { path: u, search: '' } : { path: u.substring(0, q), search: u.substring(q + 1) };
}

function entryRequest(entry, index) {
  const request = entry?.request;
  if (!request || !request.method || !request.url) {
    throw new FhirError(400, `entry[${index}]: request.method and request.url are required`);
  }
  const method = String(request.method).toUpperCase();
  const headers = {};
  if (request.ifNoneExist) headers['if-none-exist'] = request.ifNoneExist;
  if (request.ifMatch) headers['if-match'] = request.ifMatch;
  return { method, ...splitUrl(request.url), headers, body: entry.resource };
}

function responseEntry(result) {
  const headers = result.headers || {};
  const response = { status: statusLine(result.status) };
  if (headers.Location) response.location = headers.Location;
  if (headers.ETag) response.etag = headers.ETag;
  if (result.body?.meta?.lastUpdated) response.lastModified = result.body.meta.lastUpdated;
  const entry = {};
  if (result.status >= 400) {
    response.outcome = result.body;
  } else if (result.body) {
    entry.resource = result.body;
  }
  entry.response = response;
  return entry;
}

async function runBatch(service, req) {
  const entries = req.body.entry || [];
  const out = [];
  for (let i = 0; i < entries.length; i++) {
    let result;
    try {
      const r = entryRequest(entries[i], i);
      if (r.path === '' && r.method === 'POST') throw new FhirError(400, 'Nested bundles are not allowed');
      result = await service.handle({ ...r, headers: { ...r.headers, prefer: req.headers.prefer } });
    } catch (err) {
      result = { status: err.status || 400, body: err.body || outcome(400, String(err.message)) };
    }
    out.push(responseEntry(result));
  }
  return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry: out } };
}

const PHASE = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

// Runs one entry like FhirService.handle(): errors become {status, body}.
async function settle(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FhirError) return { status: err.status, body: err.body };
    const body = normalizeOperationOutcome(err);
    const status = getStatus(body);
    return { status: status >= 400 ? status : 500, body };
  }
}

function errorResult(err) {
  return { status: err.status || 400, body: err.body || outcome(err.status || 400, String(err.message)) };
}

async function runTransactionAsBatch(service, req) {
  const entries = req.body.entry || [];
  const results = new Array(entries.length);
  const reqs = entries.map((e, i) => {
    try {
      const r = entryRequest(e, i);
      if (PHASE[r.method] === undefined) throw new FhirError(400, `entry[${i}]: unsupported method ${r.method}`);
      return r;
    } catch (err) {
      results[i] = errorResult(err);
      return undefined;
    }
  });
  const order = reqs
    .map((_, i) => i)
    .filter((i) => reqs[i])
    .sort((a, b) => PHASE[reqs[a].method] - PHASE[reqs[b].method] || a - b);
  // Plain creates get their ids first, so that references to them (also from earlier entries)
  // are rewritten; creates with If-None-Exist are mapped once they have run.
  const fullUrlMap = new Map(); // urn:uuid:... -> Type/id
  const assigned = new Map(); // entry index -> id
  for (const i of order) {
    const r = reqs[i];
    if (r.method === 'POST' && r.path && !r.path.includes('/') && !r.headers['if-none-exist']) {
      assigned.set(i, generateId());
      if (entries[i].fullUrl) fullUrlMap.set(entries[i].fullUrl, `${r.path}/${assigned.get(i)}`);
    }
  }
  for (const i of order) {
    const r = reqs[i];
    if (r.body && typeof r.body === 'object') rewriteReferences(r.body, fullUrlMap);
    let result;
    if (assigned.has(i)) {
      result = await settle(() => {
        if (!r.body || r.body.resourceType !== r.path) throw new FhirError(400, `Expected a ${r.path} resource`);
        return service.create(r.path, { ...r, body: { ...r.body, id: assigned.get(i) } }, { assignedId: true });
      });
    } else {
      result = await service.handle(r);
    }
    results[i] = result;
    const location = /\/([A-Za-z]+)\/([^/]+)\/_history\//.exec(result.headers?.Location || '');
    if (result.status < 300 && entries[i].fullUrl && location && !fullUrlMap.has(entries[i].fullUrl)) {
      fullUrlMap.set(entries[i].fullUrl, `${location[1]}/${location[2]}`);
    }
  }
  const minimal = /return=minimal/.test(String(req.headers.prefer || ''));
  const entry = results.map((res) => {
    const e = responseEntry(res);
    if (minimal) delete e.resource;
    return e;
  });
  return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry } };
}

async function runTransaction(service, req) {
  const store = service.store;
  const snapshot = store.snapshot();
  try {
    return await transactionSteps(service, req);
  } catch (err) {
    store.restore(snapshot);
    let status = err.status;
    let body = err.body;
    if (!status) {
      body = normalizeOperationOutcome(err);
      status = getStatus(body);
    }
    return { status: status >= 400 && status < 500 ? status : 400, body };
  }
}

// Wraps a failing entry's error with its index and request line.
async function atEntry(i, r, fn) {
  try {
    return await fn();
  } catch (err) {
    const body = err.body || normalizeOperationOutcome(err);
    const status = err.status || getStatus(body);
    const detail = (body.issue || []).map((x) => x.diagnostics || x.details?.text).join('; ');
    const msg = `Transaction failed at entry[${i}] (${r.method} ${r.path}${r.search ? '?' + r.search : ''}): ${detail || statusLine(status)}`;
    throw new FhirError(status >= 400 ? status : 400, msg);
  }
}

async function transactionSteps(service, req) {
  const store = service.store;
  const entries = req.body.entry || [];
  const reqs = entries.map((e, i) => {
    const r = entryRequest(e, i);
    if (PHASE[r.method] === undefined) throw new FhirError(400, `entry[${i}]: unsupported method ${r.method}`);
    return r;
  });
  const results = new Array(reqs.length);
  const order = reqs.map((_, i) => i).sort((a, b) => PHASE[reqs[a].method] - PHASE[reqs[b].method] || a - b);
  const fullUrlMap = new Map(); // urn:uuid:... -> Type/id
  const plan = new Array(reqs.length);

  // 1. deletes
  for (const i of order.filter((k) => reqs[k].method === 'DELETE')) {
    results[i] = await atEntry(i, reqs[i], () => service.handle(reqs[i]).then(throwIfError));
  }

  // 2. resolve identities of creates and updates
  for (const i of order) {
    const r = reqs[i];
    const fullUrl = entries[i].fullUrl;
    if (r.method === 'POST') {
      await atEntry(i, r, async () => {
        const type = r.path;
        if (!r.body || r.body.resourceType !== type) {
          throw new FhirError(400, `Expected a ${type} resource`);
        }
        let existing;
        if (r.headers['if-none-exist']) {
          existing = await uniqueMatch(service, type, r.headers['if-none-exist']);
        }
        const id = existing ? existing.id : generateId();
        plan[i] = { type, id, existing };
        if (fullUrl) fullUrlMap.set(fullUrl, `${type}/${id}`);
      });
    } else if (r.method === 'PUT' || r.method === 'PATCH') {
      await atEntry(i, r, async () => {
        const parts = r.path.split('/');
        const type = parts[0];
        let id = parts[1];
        if (!id) {
          if (!r.search) throw new FhirError(400, 'PUT needs an id or search parameters');
          const match = await uniqueMatch(service, type, r.search);
          id = match ? match.id : r.method === 'PUT' ? generateId() : undefined;
          if (!id) throw new FhirError(404, 'No resource matches the conditional PATCH');
          if (r.body?.id && r.body.id !== id) {
            throw new FhirError(400, `Resource id ${r.body.id} does not match the resolved id ${id}`);
          }
        }
        plan[i] = { type, id };
        if (fullUrl) fullUrlMap.set(fullUrl, `${type}/${id}`);
      });
    }
  }

  // 3. urn:uuid references
  for (const r of reqs) {
    if (r.body && typeof r.body === 'object') rewriteReferences(r.body, fullUrlMap);
  }

  // 4. writes, then reads
  for (const i of order) {
    const r = reqs[i];
    if (r.method === 'DELETE') continue;
    results[i] = await atEntry(i, r, async () => {
      const p = plan[i];
      if (r.method === 'POST') {
        if (p.existing) return service.writeResponse(200, p.existing, { headers: {} });
        return service.create(p.type, { ...r, body: { ...r.body, id: p.id } }, { assignedId: true });
      }
      if (r.method === 'PUT') {
        return service.update(p.type, p.id, { ...r, body: { ...r.body, id: p.id } });
      }
      if (r.method === 'PATCH') {
        return service.patch(p.type, p.id, r);
      }
      return service.handle(r).then(throwIfError);
    });
  }

  const minimal = /return=minimal/.test(String(req.headers.prefer || ''));
  const entry = results.map((res) => {
    const e = responseEntry(res);
    if (minimal) delete e.resource;
    return e;
  });
  return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry } };
}

function throwIfError(result) {
  if (result.status >= 400) throw new FhirError(result.status, '', result.body);
  return result;
}

async function uniqueMatch(service, type, search) {
  const { checkSearchParams } = require('./fhir');
  const searchRequest = parseSearchRequest(`${type}?${search}`);
  checkSearchParams(type, searchRequest);
  searchRequest.count = 2;
  const matches = await service.store.searchResources(searchRequest);
  if (matches.length > 1) throw new FhirError(412, `Multiple ${type} resources match ${search}`);
  return matches[0];
}

function rewriteReferences(value, map) {
  if (Array.isArray(value)) {
    value.forEach((v) => rewriteReferences(v, map));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && map.has(v)) {
        value[k] = map.get(v);
      } else {
        rewriteReferences(v, map);
      }
    }
  }
}

module.exports = { processBundle };
