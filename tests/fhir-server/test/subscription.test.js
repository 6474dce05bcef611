'use strict';
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, startSink, observation, sleep } = require('./helpers');

let s;
let sink;
before(async () => {
  s = await startServer();
  sink = await startSink();
});
after(async () => {
  await s.stop();
  sink.close();
});
beforeEach(async () => {
  await s.reset();
  sink.received.length = 0;
  sink.status = 200;
});

function subscription(endpoint, extra = {}) {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria: 'Observation?code=http://loinc.org|38267-1,http://loinc.org|41171-0',
    channel: { type: 'rest-hook', endpoint, header: ['Authorization: Bearer secret', 'X-Extra: 1'], ...extra },
  };
}

test('empty payload: POST with an empty body and the channel headers; requested -> active', async () => {
  const sub = await s.fhir('POST', 'Subscription', subscription(sink.url('/hook')));
  assert.equal(sub.json.status, 'active');
  await s.fhir('POST', 'Observation', observation('Patient/1', '12345-6')); // does not match
  const o = await s.fhir('POST', 'Observation', observation('Patient/1', '41171-0'));
  const [n] = await sink.waitFor(1);
  assert.equal(n.method, 'POST');
  assert.equal(n.url, '/hook');
  assert.equal(n.body, '');
  assert.equal(n.headers.authorization, 'Bearer secret');
  assert.equal(n.headers['x-extra'], '1');
  assert.equal(n.headers['x-medplum-interaction'], 'create');
  assert.equal(n.headers['x-medplum-subscription'], sub.json.id);
  await sleep(100);
  assert.equal(sink.received.length, 1);
  assert.ok(o.json.id);
});

test('full payload: PUT {endpoint}/{type}/{id} with the resource; delete: POST {} with headers', async () => {
  await s.fhir('POST', 'Subscription', subscription(sink.url('/hook'), { payload: 'application/fhir+json' }));
  const o = await s.fhir('POST', 'Observation', observation('Patient/1'));
  await s.fhir('PUT', `Observation/${o.json.id}`, { ...o.json, status: 'amended' });
  await s.fhir('DELETE', `Observation/${o.json.id}`);
  const [created, updated, deleted] = await sink.waitFor(3);
  assert.equal(created.method, 'PUT');
  assert.equal(created.url, `/hook/Observation/${o.json.id}`);
  assert.equal(created.headers['content-type'], 'application/fhir+json');
  assert.equal(created.headers.authorization, 'Bearer secret');
  assert.equal(JSON.parse(created.body).meta.versionId, o.json.meta.versionId);
  assert.equal(JSON.parse(updated.body).status, 'amended');
  assert.equal(updated.headers['x-medplum-interaction'], 'update');
  assert.equal(deleted.method, 'POST');
  assert.equal(deleted.url, '/hook');
  assert.equal(deleted.body, '{}');
  assert.equal(deleted.headers['x-medplum-interaction'], 'delete');
  assert.equal(deleted.headers['x-medplum-deleted-resource'], `Observation/${o.json.id}`);
});

test('failed deliveries are retried 3 times; a dead endpoint does not hurt the server', async () => {
  sink.status = 500;
  await s.fhir('POST', 'Subscription', subscription(sink.url('/hook')));
  await s.fhir('POST', 'Subscription', subscription('http://127.0.0.1:1/dead'));
  await s.fhir('POST', 'Observation', observation('Patient/1'));
  await sink.waitFor(3);
  await sleep(200);
  assert.equal(sink.received.length, 3);
  const log = await s.admin('GET', 'deliveries');
  assert.ok(log.json.deliveries.some((d) => d.url.includes(':1/dead') && d.status === 0));
  assert.equal((await s.fhir('GET', 'metadata')).status, 200);
});

test('a rolled-back transaction notifies nothing; inactive subscriptions are ignored', async () => {
  await s.fhir('POST', 'Subscription', subscription(sink.url('/hook')));
  await s.fhir('POST', 'Subscription', { ...subscription(sink.url('/off')), status: 'off' });
  const r = await s.fhir('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: observation('Patient/1'), request: { method: 'POST', url: 'Observation' } },
      { request: { method: 'GET', url: 'Observation/missing' } },
    ],
  });
  assert.equal(r.status, 404);
  await s.fhir('POST', 'Observation', observation('Patient/2'));
  await sink.waitFor(1);
  await sleep(100);
  assert.equal(sink.received.length, 1);
  assert.equal(sink.received[0].url, '/hook');
});
