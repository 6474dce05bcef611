'use strict';
// R4 rest-hook Subscription delivery, following OUR reading of R4 rest-hooks (not a third
// party's exact behaviour; see README.md):
//  - after a write commits, every Subscription with status 'active', channel.type 'rest-hook'
//    and criteria matching the resource (parseSearchRequest + matchesSearchRequest) is notified;
//  - no channel.payload: POST {endpoint} with an empty body;
//  - channel.payload set: PUT {endpoint}/{type}/{id} with the full resource (HAPI R4 style);
//  - delete: POST {endpoint} with body '{}' (or empty without payload) and the headers
//    x-medplum-interaction: delete and x-medplum-deleted-resource: Type/id (Medplum style);
//  - every channel.header "Name: value" is sent, plus x-medplum-subscription and
//    x-medplum-interaction: create|update|delete;
//  - asynchronous, up to 3 attempts per notification, one notification at a time per
//    Subscription (so per-subscription order follows commit order); failures are logged in
//    the delivery log, never thrown.
// In medplum mode (lib/mode.js) the shape is Medplum 5.0.2's whatever channel.payload says:
// POST {endpoint} with the bare resource and content-type application/fhir+json; a delete is
// POST {endpoint} with body '{}'. (Only 'active' Subscriptions deliver in both modes; in medplum
// mode a 'requested' one is never activated, see lib/store.js.)
const http = require('node:http');
const { matchesSearchRequest, parseSearchRequest } = require('@medplum/core');

const ATTEMPTS = 3;
const RETRY_DELAYS_MS = [100, 300];
const TIMEOUT_MS = 5000;

class SubscriptionDispatcher {
  constructor(store, mode) {
    this.store = store;
    this.mode = mode; // lib/mode.js ServerMode; undefined = default
    this.generation = 0;
    this.queues = new Map(); // subscription id -> Promise (tail of its delivery chain)
    this.deliveries = []; // log of attempts, for /admin/deliveries
    this.criteriaCache = new Map();
  }

  reset() {
    this.generation++;
    this.queues.clear();
    this.deliveries = [];
  }

  // Called with committed write events, in commit order.
  dispatch(events) {
    if (events.length === 0) return;
    const subscriptions = this.store
      .allOfType('Subscription')
      .filter((s) => s.status === 'active' && s.channel?.type === 'rest-hook' && s.channel.endpoint);
    if (subscriptions.length === 0) return;
    for (const event of events) {
      for (const sub of subscriptions) {
        if (this.matches(sub, event.resource)) this.enqueue(sub, event);
      }
    }
  }

  matches(sub, resource) {
    try {
      let sr = this.criteriaCache.get(sub.criteria);
      if (!sr) {
        sr = parseSearchRequest(sub.criteria);
        this.criteriaCache.set(sub.criteria, sr);
      }
      return matchesSearchRequest(resource, sr);
    } catch {
      return false;
    }
  }

  enqueue(sub, event) {
    const generation = this.generation;
    const tail = this.queues.get(sub.id) || Promise.resolve();
    const next = tail.then(() => (generation === this.generation ? this.deliver(sub, event, generation) : undefined));
    this.queues.set(sub.id, next);
    next.finally(() => {
      if (this.queues.get(sub.id) === next) this.queues.delete(sub.id);
    });
  }

  async deliver(sub, event, generation) {
    const { resource, interaction } = event;
    const ref = `${resource.resourceType}/${resource.id}`;
    const headers = {
      'x-medplum-subscription': sub.id,
      'x-medplum-interaction': interaction,
    };
    for (const h of sub.channel.header || []) {
      const colon = h.indexOf(':');
      if (colon > 0) headers[h.substring(0, colon).trim()] = h.substring(colon + 1).trim();
    }
    const endpoint = sub.channel.endpoint.replace(/\/+$/, '');
    const medplum = Boolean(this.mode?.medplum);
    const payload = medplum ? 'application/fhir+json' : sub.channel.payload;
    let method = 'POST';
    let url = sub.channel.endpoint;
    let body = '';
    if (interaction === 'delete') {
      headers['x-medplum-deleted-resource'] = ref;
      if (payload) {
        body = '{}';
        headers['content-type'] = payload;
      }
    } else if (medplum) {
      body = JSON.stringify(resource);
      headers['content-type'] = payload;
    } else if (payload) {
      method = 'PUT';
      url = `${endpoint}/${ref}`;
      body = JSON.stringify(resource);
      headers['content-type'] = payload;
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (generation !== this.generation) return;
      const sentAt = new Date().toISOString();
      const t0 = performance.now();
      const result = await send(method, url, headers, body);
      const ms = performance.now() - t0;
      this.deliveries.push({
        subscription: sub.id,
        interaction,
        resource: ref,
        versionId: resource.meta?.versionId,
        method,
        url,
        attempt,
        status: result.status,
        error: result.error,
        sentAt,
        // From the request's start to the whole response (the receiver's answer time, with the
        // connect when the kept-alive connection was gone), in ms with sub-ms resolution.
        ms,
        at: new Date().toISOString(),
      });
      if (result.status >= 200 && result.status < 300) return;
      if (attempt < ATTEMPTS) await sleep(RETRY_DELAYS_MS[attempt - 1]);
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function send(method, url, headers, body) {
  return new Promise((resolve) => {
    let req;
    try {
      const buffer = Buffer.from(body, 'utf8');
      req = http.request(url, {
        method,
        headers: { ...headers, 'content-length': buffer.length },
        timeout: TIMEOUT_MS,
        agent: false,
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (err) => resolve({ status: 0, error: err.message }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, error: err.message }));
      req.end(buffer);
    } catch (err) {
      resolve({ status: 0, error: err.message });
    }
  });
}

module.exports = { SubscriptionDispatcher };
