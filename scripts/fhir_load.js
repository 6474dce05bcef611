#!/usr/bin/env node
// Loads scripts/generate_cohort.js batches into a FHIR server that assigns its own ids (Medplum:
// ids are UUIDs and PUT never creates), by hand, for checks against real servers.
//
//   node scripts/fhir_load.js --base URL [--token-url URL --client-id ID] --map FILE BATCH...
//   (the client secret from $FHIR_LOAD_CLIENT_SECRET; without --token-url no auth)
//
// Each batch Bundle of PUTs becomes one `transaction` of POSTs with `urn:uuid:` fullUrls, its
// references to resources of the same batch rewritten to those, and to resources of earlier
// batches to the server's ids. Every entry must answer 2xx (Medplum without the
// `transaction-bundles` feature runs a transaction as a batch: HTTP 200 with failed entries).
// --map FILE: the JSON object {"Patient/demo-0001": "Patient/<server id>", ...} of every load
// so far (read first when it exists, so later batches can refer to earlier ones).
'use strict';
const fs = require('fs');
const crypto = require('crypto');

const opts = { map: 'id-map.json' };
const files = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith('--')) opts[a.slice(2)] = process.argv[++i];
  else files.push(a);
}
if (!opts.base || files.length === 0) {
  console.error('usage: fhir_load.js --base URL [--token-url URL --client-id ID] --map FILE BATCH...');
  process.exit(64);
}

let token = '';
async function fetchToken() {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: opts['client-id'],
    client_secret: process.env.FHIR_LOAD_CLIENT_SECRET || '',
  });
  const r = await fetch(opts['token-url'], { method: 'POST', body: form });
  if (!r.ok) throw new Error(`token: HTTP ${r.status} ${await r.text()}`);
  token = (await r.json()).access_token;
}

async function post(body) {
  for (let attempt = 1; ; attempt++) {
    const headers = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(opts.base, { method: 'POST', headers, body: JSON.stringify(body) });
    if (r.status === 401 && opts['token-url'] && attempt === 1) {
      await fetchToken();
      continue;
    }
    const text = await r.text();
    if (!r.ok) throw new Error(`POST ${opts.base}: HTTP ${r.status} ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }
}

// Rewrites every {reference: "Type/id"} in `node` with `to(ref)` (undefined: unchanged).
function rewrite(node, to) {
  if (Array.isArray(node)) return node.forEach((x) => rewrite(x, to));
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'reference' && typeof v === 'string') {
      const r = to(v);
      if (r !== undefined) node[k] = r;
    } else {
      rewrite(v, to);
    }
  }
}

(async () => {
  const map = fs.existsSync(opts.map) ? JSON.parse(fs.readFileSync(opts.map, 'utf8')) : {};
  if (opts['token-url']) await fetchToken();
  let loaded = 0;
  for (const file of files) {
    const batch = JSON.parse(fs.readFileSync(file, 'utf8'));
    const local = new Map(); // "Type/id" -> urn:uuid
    for (const e of batch.entry || []) {
      local.set(`${e.resource.resourceType}/${e.resource.id}`, `urn:uuid:${crypto.randomUUID()}`);
    }
    const entries = (batch.entry || []).map((e) => {
      const ref = `${e.resource.resourceType}/${e.resource.id}`;
      const resource = JSON.parse(JSON.stringify(e.resource));
      delete resource.id;
      rewrite(resource, (r) => local.get(r) ?? map[r]);
      return { ref, entry: { fullUrl: local.get(ref), resource, request: { method: 'POST', url: resource.resourceType } } };
    });
    const answer = await post({ resourceType: 'Bundle', type: 'transaction', entry: entries.map((x) => x.entry) });
    const out = answer.entry || [];
    if (out.length !== entries.length) throw new Error(`${file}: ${out.length} entries answered of ${entries.length}`);
    out.forEach((e, i) => {
      if (!/^2/.test(e.response?.status || '')) {
        throw new Error(`${file}: ${entries[i].ref}: ${e.response?.status} ${JSON.stringify(e.response?.outcome || {}).slice(0, 300)}`);
      }
      const id = e.resource?.id || (e.response.location || '').split('/')[1];
      map[entries[i].ref] = `${entries[i].entry.resource.resourceType}/${id}`;
    });
    loaded += entries.length;
    fs.writeFileSync(opts.map, JSON.stringify(map));
  }
  console.log(`fhir_load: ${loaded} resources from ${files.length} batches into ${opts.base}`);
})().catch((e) => {
  console.error(`fhir_load: ${e.message}`);
  process.exit(1);
});
