'use strict';
// ServerMode: which real server this test server imitates where real servers differ
// (../shared/design/fhir-servers.md). Chosen at start (`--mode`) and per test
// (`POST /admin/mode`); `POST /admin/reset` goes back to the start-up mode.
//
//  - 'default': our reading of R4 (README.md). A Subscription written `requested` is stored
//    `active` (as HAPI activates it); rest-hooks follow channel.payload (HAPI R4 style);
//    type- and system-level _history; atomic transactions.
//  - 'medplum': like Medplum 5.0.2. A Subscription stays as written: only `active` ones deliver,
//    `requested` ones never do and stay `requested`. A rest-hook is a POST of the bare resource
//    (channel.payload ignored; a delete is `{}` with x-medplum-deleted-resource). No type- or
//    system-level _history (404), and the CapabilityStatement says so. A transaction runs as a
//    batch (HTTP 200, failed entries carry their own response.status) unless atomicTransactions
//    is switched on (the project's `transaction-bundles` feature).
// Either mode can also refuse Subscriptions written `active` (refuseActiveSubscriptions, as
// HAPI FHIR 3.x did: HTTP 422, "requested" or "off" only); clients must then write `requested`.
const MODES = ['default', 'medplum'];

class ServerMode {
  constructor(initial = {}) {
    const error = validate(initial);
    if (error) throw new Error(error);
    this.initial = settings(initial);
    this.reset();
  }

  reset() {
    Object.assign(this, this.initial);
  }

  // json: {"mode": "default"|"medplum", "atomicTransactions": bool (optional),
  //        "refuseActiveSubscriptions": bool (optional)}. Returns an error message, or undefined
  // when applied.
  configure(json) {
    const error = validate(json);
    if (error) return error;
    Object.assign(this, settings(json));
    return undefined;
  }

  get medplum() {
    return this.name === 'medplum';
  }

  // Transactions are all-or-nothing unless Medplum without the transaction-bundles feature.
  get atomic() {
    return !this.medplum || this.atomicTransactions;
  }

  toJSON() {
    return {
      mode: this.name,
      atomicTransactions: this.atomic,
      refuseActiveSubscriptions: this.refuseActiveSubscriptions,
    };
  }
}

function validate(json) {
  const name = json.mode ?? 'default';
  if (!MODES.includes(name)) return `mode must be one of ${MODES.join(', ')}`;
  for (const key of ['atomicTransactions', 'refuseActiveSubscriptions']) {
    if (json[key] !== undefined && typeof json[key] !== 'boolean') return `${key} must be a boolean`;
  }
  return undefined;
}

function settings(json) {
  return {
    name: json.mode ?? 'default',
    atomicTransactions: Boolean(json.atomicTransactions),
    refuseActiveSubscriptions: Boolean(json.refuseActiveSubscriptions),
  };
}

module.exports = { ServerMode, MODES };
