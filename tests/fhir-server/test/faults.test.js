'use strict';
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, patient, request } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

test('503 for the next N requests, then normal; counted in stats', async () => {
  assert.equal((await s.admin('POST', 'faults', { count: 2, status: 503 })).status, 200);
  const a = await s.fhir('GET', 'Patient');
  assert.equal(a.status, 503);
  assert.equal(a.json.resourceType, 'OperationOutcome');
  assert.equal((await s.fhir('POST', 'Patient', patient())).status, 503);
  assert.equal((await s.fhir('GET', 'Patient')).status, 200);
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 0, 'faulted POST must not be executed');
  const stats = (await s.admin('GET', 'stats')).json;
  assert.deepEqual(stats, { requests: 4, byMethod: { GET: 3, POST: 1 }, tokenRequests: 0, unauthorized: 0 });
});

test('429 with Retry-After; path filter', async () => {
  await s.admin('POST', 'faults', { count: 1, status: 429, retryAfter: 2, path: 'Observation' });
  assert.equal((await s.fhir('GET', 'Patient')).status, 200);
  const r = await s.fhir('GET', 'Observation?code=x');
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '2');
  assert.equal((await s.fhir('GET', 'Observation')).status, 200);
});

test('hang holds the request then answers normally', async () => {
  await s.admin('POST', 'faults', { count: 1, hangMs: 300 });
  const t0 = Date.now();
  const r = await s.fhir('GET', 'Patient');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 290);
});

test('huge hang never answers (client timeout); drop destroys the socket', async () => {
  await s.admin('POST', 'faults', { count: 1, hangMs: 1e9 });
  await assert.rejects(request('GET', `${s.base}/Patient`, undefined, {}, { timeoutMs: 300 }), /timeout|socket hang up/);
  await s.admin('POST', 'faults', { count: 1, drop: true });
  await assert.rejects(s.fhir('GET', 'Patient'), /socket hang up|ECONNRESET/);
  assert.equal((await s.fhir('GET', 'Patient')).status, 200);
});

test('DELETE /admin/faults clears; reset clears data and counters; bad fault spec is 400', async () => {
  await s.admin('POST', 'faults', { count: 5, status: 500 });
  await s.admin('DELETE', 'faults');
  assert.equal((await s.fhir('POST', 'Patient', patient())).status, 201);
  await s.admin('POST', 'faults', { count: 5, status: 500 });
  await s.reset();
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 0);
  assert.equal((await s.fhir('GET', '_history')).json.total, 0);
  assert.equal((await s.admin('GET', 'stats')).json.requests, 2);
  assert.equal((await s.admin('POST', 'faults', { count: 1 })).status, 400);
});
