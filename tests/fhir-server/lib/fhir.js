'use strict';
// FhirService: the FHIR R4 REST interactions on top of Store. HTTP-agnostic: handle() takes
// {method, path, search, headers, body} (path relative to the FHIR base, no leading slash;
// search without '?'; header names lower-case; body parsed JSON or a string) and resolves to
// {status, body, headers}. It never throws.
const {
  getResourceTypes,
  getStatus,
  globalSchema,
  isResourceType,
  normalizeOperationOutcome,
  parseSearchRequest,
} = require('@medplum/core');
const { FhirError, outcome } = require('./outcomes');
const { processBundle } = require('./bundle');
const { buildCapabilityStatement } = require('./capability');

const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_HISTORY_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
// Result parameters that are accepted in search (the _include family is accepted and ignored).
const RESULT_PARAMS = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_elements', '_format', '_pretty',
  '_include', '_revinclude', '_contained', '_containedType',
]);

class FhirService {
  // options: {store, mode (lib/mode.js, optional), baseUrl: () => string,
  //           authInfo: () => {mode, tokenUrl}}
  constructor(options) {
    this.store = options.store;
    this.mode = options.mode;
    this.baseUrl = options.baseUrl;
    this.authInfo = options.authInfo;
  }

  async handle(req) {
    try {
      return await this.dispatch(req);
    } catch (err) {
      if (err instanceof FhirError) {
        return { status: err.status, body: err.body };
      }
      const oo = normalizeOperationOutcome(err);
      const status = getStatus(oo);
      return { status: status >= 400 ? status : 500, body: oo };
    }
  }

  async dispatch(req) {
    const seg = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(req.search || '');
    const m = req.method;
    if (seg.length === 0) {
      if (m === 'POST') return processBundle(this, req);
      throw new FhirError(404, 'System-level search is not supported; search a resource type');
    }
    if (seg.length === 1 && seg[0] === 'metadata' && m === 'GET') {
      const options = { typeHistory: !this.mode?.medplum };
      return { status: 200, body: buildCapabilityStatement(this.baseUrl(), this.authInfo(), options) };
    }
    if (seg.length === 1 && seg[0] === '_history' && m === 'GET') {
      this.checkTypeHistory();
      return this.history({}, params);
    }
    const type = seg[0];
    if (!isResourceType(type)) {
      throw new FhirError(404, `Unknown resource type: ${type}`);
    }
    if (seg.length === 1) {
      if (m === 'GET') return this.search(type, params);
      if (m === 'POST') return this.create(type, req);
      if (m === 'PUT') return this.conditionalUpdate(type, params, req);
      if (m === 'DELETE') return this.conditionalDelete(type, params);
    } else if (seg.length === 2 && seg[1] === '_history') {
      if (m === 'GET') {
        this.checkTypeHistory();
        return this.history({ type }, params);
      }
    } else if (seg.length === 2 && seg[1] === '_search') {
      if (m === 'POST') {
        const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
        for (const [k, v] of form) params.append(k, v);
        return this.search(type, params);
      }
    } else if (seg.length === 2) {
      const id = seg[1];
      if (m === 'GET') return this.read(type, id);
      if (m === 'PUT') return this.update(type, id, req);
      if (m === 'DELETE') return this.delete(type, id);
      if (m === 'PATCH') return this.patch(type, id, req);
    } else if (seg.length === 3 && seg[2] === '_history') {
      if (m === 'GET') return this.history({ type, id: seg[1] }, params);
    } else if (seg.length === 4 && seg[2] === '_history') {
      if (m === 'GET') return this.vread(type, seg[1], seg[3]);
    } else {
      throw new FhirError(404, `Unknown path: ${req.path}`);
    }
    throw new FhirError(405, `${m} is not supported on ${req.path}`);
  }

  // ---- single-resource interactions ----

  async read(type, id) {
    const current = this.store.current(type, id);
    if (current) return this.resourceResponse(200, current);
    if (this.store.isDeleted(type, id)) throw new FhirError(410, `${type}/${id} was deleted`);
    throw new FhirError(404, `${type}/${id} not found`);
  }

  async vread(type, id, versionId) {
    const record = this.store.findVersion(type, id, versionId);
    if (!record) throw new FhirError(404, `${type}/${id}/_history/${versionId} not found`);
    if (record.method === 'DELETE') {
      throw new FhirError(410, `${type}/${id}/_history/${versionId} is a deletion`);
    }
    return this.resourceResponse(200, record.resource);
  }

  // With refuseActiveSubscriptions (lib/mode.js), a Subscription written `active` is refused.
  checkSubscriptionStatus(resource) {
    if (resource.resourceType === 'Subscription' && resource.status === 'active' && this.mode?.refuseActiveSubscriptions) {
      throw new FhirError(422, "Subscription.status must be 'requested' or 'off' when written (refuseActiveSubscriptions)");
    }
  }

  async create(type, req, { assignedId = false } = {}) {
    const resource = requireResource(req.body, type);
    this.checkSubscriptionStatus(resource);
    if (!assignedId) delete resource.id; // POST: the server always assigns the id
    const ifNoneExist = req.headers['if-none-exist'];
    if (ifNoneExist) {
      const search = parseSearchRequest(`${type}?${ifNoneExist}`);
      checkSearchParams(type, search);
      const result = await this.store.conditionalCreate(resource, search);
      const status = getStatus(result.outcome);
      return this.writeResponse(status, result.resource, req);
    }
    const created = await this.store.createResource(resource);
    return this.writeResponse(201, created, req);
  }

  async update(type, id, req) {
    const resource = requireResource(req.body, type);
    if (resource.id !== id) {
      throw new FhirError(400, `Resource id ${JSON.stringify(resource.id)} does not match URL id ${id}`);
    }
    this.checkSubscriptionStatus(resource);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const existed = Boolean(this.store.current(type, id));
    const updated = await this.store.updateResource(resource, { ifMatch });
    return this.writeResponse(existed ? 200 : 201, updated, req);
  }

  async conditionalUpdate(type, params, req) {
    const resource = requireResource(req.body, type);
    if ([...params.keys()].length === 0) {
      throw new FhirError(400, 'Conditional update needs search parameters');
    }
    const search = parseSearchRequest(type, toQuery(params));
    checkSearchParams(type, search);
    const result = await this.store.conditionalUpdate(resource, search, {
      ifMatch: parseIfMatch(req.headers['if-match']),
    });
    return this.writeResponse(getStatus(result.outcome), result.resource, req);
  }

  async delete(type, id) {
    if (this.store.current(type, id)) {
      await this.store.deleteResource(type, id);
    } else if (!this.store.isDeleted(type, id)) {
      throw new FhirError(404, `${type}/${id} not found`);
    }
    return { status: 200, body: outcome(200, `Deleted ${type}/${id}`) };
  }

  async conditionalDelete(type, params) {
    if ([...params.keys()].length === 0) {
      throw new FhirError(400, 'Conditional delete needs search parameters');
    }
    const search = parseSearchRequest(type, toQuery(params));
    checkSearchParams(type, search);
    await this.store.conditionalDelete(search);
    return { status: 200, body: outcome(200, 'Deleted') };
  }

  async patch(type, id, req) {
    if (!Array.isArray(req.body)) throw new FhirError(400, 'PATCH body must be a JSON Patch array');
    const current = this.store.current(type, id);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    if (current && ifMatch && current.meta.versionId !== ifMatch) {
      throw new FhirError(412, `Version mismatch: current is ${current.meta.versionId}`);
    }
    const patched = await this.store.patchResource(type, id, req.body);
    return this.writeResponse(200, patched, req);
  }

  resourceResponse(status, resource) {
    return { status, body: resource, headers: versionHeaders(resource) };
  }

  // Applies `Prefer: return=minimal|representation|OperationOutcome` and adds Location.
  writeResponse(status, resource, req) {
    const headers = versionHeaders(resource);
    headers.Location = `${this.baseUrl()}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    const prefer = String(req.headers.prefer || '');
    if (/return=minimal/.test(prefer)) return { status, headers };
    if (/return=OperationOutcome/i.test(prefer)) {
      return { status, headers, body: outcome(status, `${resource.resourceType}/${resource.id}`) };
    }
    return { status, headers, body: resource };
  }

  // ---- search ----

  async search(type, params) {
    const count = pageSize(params, DEFAULT_PAGE_SIZE);
    const offset = nonNegativeInt(params.get('_offset'), 0, '_offset');
    params.set('_count', String(count));
    params.set('_offset', String(offset));
    const searchRequest = parseSearchRequest(type, toQuery(params));
    checkSearchParams(type, searchRequest);
    const summaryCount = params.get('_summary') === 'count';
    if (summaryCount) searchRequest.count = 0;
    const result = await this.store.search(searchRequest);
    const base = this.baseUrl();
    const entry = (result.entry || []).map((e) => ({
      fullUrl: `${base}/${type}/${e.resource.id}`,
      resource: e.resource,
      search: { mode: 'match' },
    }));
    const total = result.total ?? entry.length;
    const link = pageLinks(`${base}/${type}`, params, offset, summaryCount ? 0 : count, total);
    return { status: 200, body: bundle('searchset', total, link, entry) };
  }

  // ---- history: newest first ----

  // Medplum 5.0.2 has instance history only: type- and system-level _history answer 404.
  checkTypeHistory() {
    if (this.mode?.medplum) {
      throw new FhirError(404, 'Type-level and system-level _history are not supported (medplum mode)');
    }
  }

  async history({ type, id }, params) {
    if (id && !this.store.hasEverExisted(type, id)) {
      throw new FhirError(404, `${type}/${id} not found`);
    }
    let since;
    if (params.has('_since')) {
      since = Date.parse(params.get('_since'));
      if (Number.isNaN(since)) throw new FhirError(400, `Invalid _since: ${params.get('_since')}`);
    }
    const count = pageSize(params, DEFAULT_HISTORY_PAGE_SIZE);
    const offset = nonNegativeInt(params.get('_offset'), 0, '_offset');
    // _snapshot pins the log position of the first page, so later pages do not shift when
    // writes happen while a client is paging.
    const maxSeq = nonNegativeInt(params.get('_snapshot'), this.store.log.length, '_snapshot');
    params.set('_count', String(count));
    params.set('_offset', String(offset));
    params.set('_snapshot', String(maxSeq));
    const records = this.store.historyRecords({ type, id, since, maxSeq });
    const base = this.baseUrl();
    const entry = records.slice(offset, offset + count).map((r) => historyEntry(base, r));
    const path = [type, id].filter(Boolean).join('/');
    const self = `${base}/${path ? path + '/' : ''}_history`;
    const link = pageLinks(self, params, offset, count, records.length);
    return { status: 200, body: bundle('history', records.length, link, entry) };
  }
}

function bundle(type, total, link, entry) {
  return {
    resourceType: 'Bundle',
    meta: { lastUpdated: new Date().toISOString() },
    type,
    total,
    link,
    ...(entry.length ? { entry } : undefined),
  };
}

function historyEntry(base, r) {
  const fullUrl = `${base}/${r.type}/${r.id}`;
  const response = {
    etag: `W/"${r.versionId}"`,
    lastModified: r.lastUpdated,
  };
  if (r.method === 'DELETE') {
    return {
      fullUrl,
      request: { method: 'DELETE', url: `${r.type}/${r.id}` },
      response: { status: '410 Gone', ...response },
    };
  }
  const isCreate = r.method === 'POST';
  return {
    fullUrl,
    resource: r.resource,
    request: isCreate ? { method: 'POST', url: r.type } : { method: 'PUT', url: `${r.type}/${r.id}` },
    response: { status: isCreate ? '201 Created' : '200 OK', ...response },
  };
}

function pageLinks(url, params, offset, count, total) {
  const at = (o) => {
    const p = new URLSearchParams(params);
    p.set('_offset', String(o));
    return `${url}?${p.toString()}`;
  };
  const link = [
    { relation: 'self', url: at(offset) },
    { relation: 'first', url: at(0) },
  ];
  if (count > 0 && offset + count < total) link.push({ relation: 'next', url: at(offset + count) });
  if (count > 0 && offset > 0) {
    link.push({ relation: 'previous', url: at(Math.max(0, offset - count)) });
  }
  if (count > 0 && total > 0) {
    link.push({ relation: 'last', url: at(Math.floor((total - 1) / count) * count) });
  }
  return link;
}

function pageSize(params, fallback) {
  return Math.min(nonNegativeInt(params.get('_count'), fallback, '_count'), MAX_PAGE_SIZE);
}

function nonNegativeInt(value, fallback, name) {
  if (value === null || value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new FhirError(400, `Invalid ${name}: ${value}`);
  return n;
}

function toQuery(params) {
  const query = Object.create(null);
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  return query;
}

// Unknown or chained parameters would silently match nothing in the in-memory search:
// reject them loudly instead.
function checkSearchParams(type, searchRequest) {
  const known = globalSchema.types[type]?.searchParams || {};
  // Result parameters that parseSearchRequest left as filters would match nothing: drop them.
  searchRequest.filters = (searchRequest.filters || []).filter((f) => !RESULT_PARAMS.has(f.code));
  for (const filter of searchRequest.filters) {
    if (!known[filter.code]) {
      const why = filter.code.includes('.') ? 'chained search is not supported' : 'unknown';
      throw new FhirError(400, `Search parameter ${filter.code} on ${type}: ${why}`);
    }
  }
}

function requireResource(body, type) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new FhirError(400, 'Request body must be a FHIR resource');
  }
  if (body.resourceType !== type) {
    throw new FhirError(400, `Expected resourceType ${type}, got ${body.resourceType || '<none>'}`);
  }
  return JSON.parse(JSON.stringify(body));
}

// Accepts W/"v", "v" and bare v.
function parseIfMatch(value) {
  if (!value) return undefined;
  const m = /^\s*(?:W\/)?"?([^"]*)"?\s*$/.exec(String(value));
  return m && m[1] ? m[1] : undefined;
}

function versionHeaders(resource) {
  const headers = {};
  if (resource?.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
  if (resource?.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  return headers;
}

module.exports = {
  FhirService,
  checkSearchParams,
  parseIfMatch,
  requireResource,
  toQuery,
  getResourceTypes,
};
