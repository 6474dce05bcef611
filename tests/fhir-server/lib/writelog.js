'use strict';
// WriteLog: the commit time of every write of chosen resource types, for benchmarks that measure
// "time until the daemon's Flag is on the server" without polling (GET /admin/write-log).
// Off until POST /admin/write-log {"types": [...]} turns it on (that also clears it).
// `at` is milliseconds since the epoch with sub-millisecond resolution
// (performance.timeOrigin + performance.now()), comparable with the same clock in a client on
// the same machine.
const { performance } = require('node:perf_hooks');

class WriteLog {
  constructor() {
    this.reset();
  }

  reset() {
    this.types = new Set();
    this.records = [];
  }

  // body: {"types": ["Flag", ...]}; returns an error message or undefined.
  configure(body) {
    const types = body?.types;
    if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) {
      return 'types must be an array of resource type names';
    }
    this.types = new Set(types);
    this.records = [];
    return undefined;
  }

  // Called with committed write events ({interaction, resource}), in commit order.
  record(events) {
    if (this.types.size === 0) return;
    const at = performance.timeOrigin + performance.now();
    for (const { interaction, resource } of events) {
      if (!this.types.has(resource.resourceType)) continue;
      this.records.push({
        at,
        interaction,
        type: resource.resourceType,
        id: resource.id,
        versionId: resource.meta?.versionId,
        subject: resource.subject?.reference ?? resource.patient?.reference,
        status: resource.status,
        code: resource.code?.coding?.[0]?.code,
        identifier: resource.identifier?.[0]?.value,
      });
    }
  }

  // Records from index `since` on.
  list(since = 0) {
    return { next: this.records.length, records: this.records.slice(since) };
  }
}

module.exports = { WriteLog };
