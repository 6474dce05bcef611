'use strict';
// Opt-in speed-ups for large data sets (`server.js --indexed`, used by the daemon benchmarks in
// scripts/bench_daemon.sh). Off by default: without --indexed the server behaves exactly as before.
//
// Medplum's MemoryRepository searches by scanning every resource of the type, deep-clones every
// match before paging, and a transaction snapshot copies every map. With 10^5 patients and 10^6
// resources that makes a search by subject take about a second and a write-back transaction
// more. With --indexed:
//  - SearchIndex keeps, per resource type, the ids by lower-cased `subject.reference` /
//    `patient.reference` and by lower-cased `identifier` `system|value`. A search with an `eq`
//    filter on `subject`/`patient` (a single relative reference `Type/id`) or on `identifier`
//    (a single `system|value`) only looks at those candidates. Every candidate is still checked
//    with matchesSearchRequest, so the index only has to be a superset: results are the same.
//    Absolute-URL references and bare ids are not indexed: such searches scan, as before.
//  - matches are cloned after paging, not before;
//  - a transaction keeps an undo journal of the entries it touched instead of copying the store.
const { deepClone, matchesSearchRequest } = require('@medplum/core');

function referenceKeys(resource) {
  const keys = [];
  for (const field of ['subject', 'patient']) {
    const ref = resource?.[field]?.reference;
    if (typeof ref === 'string' && ref) keys.push(`ref\u0000${ref.toLowerCase()}`);
  }
  return keys;
}

function identifierKeys(resource) {
  const keys = [];
  for (const id of Array.isArray(resource?.identifier) ? resource.identifier : []) {
    if (id?.system && id?.value) keys.push(`id\u0000${String(id.system).toLowerCase()}|${String(id.value).toLowerCase()}`);
  }
  return keys;
}

const keysOf = (resource) => (resource ? [...referenceKeys(resource), ...identifierKeys(resource)] : []);

class SearchIndex {
  constructor() {
    this.clear();
  }

  clear() {
    this.byType = new Map(); // type -> Map(key -> Set(id))
  }

  // Moves `type/id` from the keys of `before` to the keys of `after` (either may be undefined).
  update(type, id, before, after) {
    let keys = this.byType.get(type);
    if (!keys) {
      keys = new Map();
      this.byType.set(type, keys);
    }
    for (const k of keysOf(before)) keys.get(k)?.delete(id);
    for (const k of keysOf(after)) {
      let ids = keys.get(k);
      if (!ids) {
        ids = new Set();
        keys.set(k, ids);
      }
      ids.add(id);
    }
  }

  // The ids that may match `searchRequest`, or undefined when no index applies (scan everything).
  candidates(searchRequest) {
    const keys = this.byType.get(searchRequest.resourceType);
    for (const f of searchRequest.filters || []) {
      if (f.operator !== 'eq' || typeof f.value !== 'string' || f.value.includes(',')) continue;
      const v = f.value.toLowerCase();
      let key;
      if ((f.code === 'subject' || f.code === 'patient') && /^[a-z]+\/[^/]+$/.test(v)) key = `ref\u0000${v}`;
      else if (f.code === 'identifier' && /^[^|]+\|.+$/.test(v)) key = `id\u0000${v}`;
      if (key) return keys?.get(key) ?? new Set();
    }
    return undefined;
  }
}

// search() of MemoryRepository, with index candidates and cloning after paging. Sorted searches
// are left to MemoryRepository (returns undefined).
function indexedSearch(store, searchRequest) {
  if (searchRequest.sortRules && searchRequest.sortRules.length > 0) return undefined;
  const all = store.resources.get(searchRequest.resourceType) ?? new Map();
  const ids = store.index.candidates(searchRequest);
  const matches = [];
  if (ids) {
    for (const id of ids) {
      const r = all.get(id);
      if (r && matchesSearchRequest(r, searchRequest)) matches.push(r);
    }
  } else {
    for (const r of all.values()) if (matchesSearchRequest(r, searchRequest)) matches.push(r);
  }
  let page = matches;
  if (searchRequest.offset !== undefined) page = page.slice(searchRequest.offset);
  if (searchRequest.count !== undefined) page = page.slice(0, searchRequest.count);
  const entry = page.map((r) => ({ resource: deepClone(r) }));
  return { resourceType: 'Bundle', type: 'searchset', entry: entry.length ? entry : undefined, total: matches.length };
}

module.exports = { SearchIndex, indexedSearch };
