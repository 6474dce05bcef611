'use strict';
// Store: Medplum's MemoryRepository plus what a faithful FHIR server needs on top of it:
//  - server-stamped meta.versionId (UUID) and strictly increasing meta.lastUpdated on every write;
//  - structural validation (validateResource) on every create/update;
//  - a global change log (creates, updates AND deletes) for type- and system-level _history;
//  - tombstones so that a read after delete answers 410 Gone;
//  - snapshot()/restore() so that a failed transaction leaves no trace;
//  - a list of committed-but-not-yet-notified write events for Subscription delivery.
// In the default mode a Subscription written with status 'requested' is stored as 'active' (as
// HAPI activates it); in medplum mode (lib/mode.js) it is stored as written.
const {
  OperationOutcomeError,
  deepClone,
  generateId,
  notFound,
  validateResource,
} = require('@medplum/core');
const { MemoryRepository } = require('@medplum/fhir-router');
const { SearchIndex, indexedSearch } = require('./indexes');

class Store extends MemoryRepository {
  constructor(options = {}) {
    super();
    this.validate = options.validate !== false;
    this.mode = options.mode; // lib/mode.js ServerMode; undefined = default
    // --indexed (lib/indexes.js): search indexes and an undo journal for transactions.
    this.index = options.indexed ? new SearchIndex() : null;
    this.journal = null; // undo records of the transaction in progress (indexed mode only)
    this.resetState();
  }

  resetState() {
    this.clear();
    this.log = []; // {seq, method, type, id, versionId, lastUpdated, resource?}
    this.tombstones = new Map(); // 'Type/id' -> log record of the delete
    this.events = []; // {interaction, resource} awaiting notification
    this.lastTimestamp = 0;
    this.index?.clear();
    this.journal = null;
  }

  nextTimestamp() {
    let t = Date.now();
    if (t <= this.lastTimestamp) {
      t = this.lastTimestamp + 1;
    }
    this.lastTimestamp = t;
    return new Date(t).toISOString();
  }

  current(type, id) {
    return id ? this.resources.get(type)?.get(id) : undefined;
  }

  isDeleted(type, id) {
    return this.tombstones.has(`${type}/${id}`);
  }

  hasEverExisted(type, id) {
    return Boolean(this.history.get(type)?.get(id));
  }

  async createResource(resource) {
    if (this.validate) {
      validateResource(resource);
    }
    const r = deepClone(resource);
    r.id = r.id || this.generateId();
    const existed = Boolean(this.current(r.resourceType, r.id));
    if (r.resourceType === 'Subscription' && r.status === 'requested' && !this.mode?.medplum) {
      r.status = 'active';
    }
    r.meta = { ...(r.meta || {}), versionId: generateId(), lastUpdated: this.nextTimestamp() };
    const before = this.index ? this.beforeWrite(r.resourceType, r.id) : undefined;
    const result = await super.createResource(r);
    this.index?.update(r.resourceType, r.id, before, this.current(r.resourceType, r.id));
    this.tombstones.delete(`${r.resourceType}/${r.id}`);
    const stored = this.current(r.resourceType, r.id);
    this.append({
      method: existed ? 'PUT' : 'POST',
      type: r.resourceType,
      id: r.id,
      versionId: stored.meta.versionId,
      lastUpdated: stored.meta.lastUpdated,
      resource: stored,
    });
    this.events.push({ interaction: existed ? 'update' : 'create', resource: stored });
    return result;
  }

  async deleteResource(type, id) {
    const previous = this.current(type, id);
    if (!previous) {
      throw new OperationOutcomeError(notFound);
    }
    if (this.index) this.beforeWrite(type, id);
    await super.deleteResource(type, id);
    this.index?.update(type, id, previous, undefined);
    const record = this.append({
      method: 'DELETE',
      type,
      id,
      versionId: generateId(),
      lastUpdated: this.nextTimestamp(),
    });
    this.tombstones.set(`${type}/${id}`, record);
    this.events.push({ interaction: 'delete', resource: previous });
  }

  // Indexed mode: journals the current state of type/id (undone by restore()); returns it.
  beforeWrite(type, id) {
    const previous = this.current(type, id);
    this.journal?.push({ type, id, previous, historyLength: this.history.get(type)?.get(id)?.length });
    return previous;
  }

  async search(searchRequest) {
    return (this.index && indexedSearch(this, searchRequest)) || super.search(searchRequest);
  }

  append(record) {
    record.seq = this.log.length + 1;
    this.log.push(record);
    return record;
  }

  // Instance history, newest first (fixes MemoryRepository's in-place reverse()).
  async readHistory(type, id) {
    if (!this.hasEverExisted(type, id)) {
      throw new OperationOutcomeError(notFound);
    }
    const entry = this.historyRecords({ type, id }).map((r) => ({ resource: deepClone(r.resource) }));
    return { resourceType: 'Bundle', type: 'history', ...(entry.length ? { entry } : undefined) };
  }

  // Change-log records, newest first, filtered by type/id, lastUpdated >= since and seq <= maxSeq.
  historyRecords({ type, id, since, maxSeq }) {
    const out = [];
    for (let i = this.log.length - 1; i >= 0; i--) {
      const r = this.log[i];
      if (maxSeq !== undefined && r.seq > maxSeq) continue;
      if (type && r.type !== type) continue;
      if (id && r.id !== id) continue;
      if (since !== undefined && Date.parse(r.lastUpdated) < since) break;
      out.push(r);
    }
    return out;
  }

  findVersion(type, id, versionId) {
    return this.log.find((r) => r.type === type && r.id === id && r.versionId === versionId);
  }

  // Stored resource objects are never mutated in place, so shallow copies of the containers
  // are a complete snapshot.
  snapshot() {
    if (this.index) {
      this.journal = [];
      return {
        journal: this.journal,
        logLength: this.log.length,
        tombstones: new Map(this.tombstones),
        eventsLength: this.events.length,
      };
    }
    const copy2 = (m, f) => new Map([...m].map(([k, v]) => [k, f(v)]));
    return {
      resources: copy2(this.resources, (inner) => new Map(inner)),
      history: copy2(this.history, (inner) => copy2(inner, (arr) => arr.slice())),
      logLength: this.log.length,
      tombstones: new Map(this.tombstones),
      eventsLength: this.events.length,
      lastTimestamp: this.lastTimestamp,
    };
  }

  restore(s) {
    if (s.journal) {
      for (const j of s.journal.reverse()) {
        const byId = this.resources.get(j.type);
        const now = byId?.get(j.id);
        if (j.previous) byId.set(j.id, j.previous);
        else byId?.delete(j.id);
        const versions = this.history.get(j.type);
        if (j.historyLength === undefined) versions?.delete(j.id);
        else versions.get(j.id).length = j.historyLength;
        this.index.update(j.type, j.id, now, j.previous);
      }
      this.journal = null;
      this.log.length = s.logLength;
      this.tombstones = s.tombstones;
      this.events.length = s.eventsLength;
      return;
    }
    this.resources.clear();
    for (const [k, v] of s.resources) this.resources.set(k, v);
    this.history.clear();
    for (const [k, v] of s.history) this.history.set(k, v);
    this.log.length = s.logLength;
    this.tombstones = s.tombstones;
    this.events.length = s.eventsLength;
    // lastTimestamp is kept: timestamps never go backwards, even across a rollback.
  }

  // Called once after every request: a transaction's journal ends with its request.
  takeEvents() {
    this.journal = null;
    const events = this.events;
    this.events = [];
    return events;
  }

  allOfType(type) {
    return [...(this.resources.get(type)?.values() ?? [])];
  }
}

module.exports = { Store };
