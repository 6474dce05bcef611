'use strict';
// Medplum mode (lib/mode.js): behaves like Medplum 5.0.2 where ../shared/design/fhir-servers.md
// says so. Started with `--mode medplum`; the admin API switches modes per test.
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, startSink, observation, patient, sleep } = require('./helpers');

let s;
let sink;
before(async () => {
  s = await startServer(['--mode', 'medplum']);
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

function subscription(endpoint, status, extra = {}) {
  return {
    resourceType: 'Subscription',
    status,
    reason: 'test',
    criteria: 'Observation?code=http://loinc.org|38267-1',
    channel: { type: 'rest-hook', endpoint, header: ['X-Secret: s3'], ...extra },
  };
}

test('the mode is reported, and reset returns to the start-up mode', async () => {
  assert.deepEqual((await s.admin('GET', 'mode')).json, {
    mode: 'medplum',
    atomicTransactions: false,
    refuseActiveSubscriptions: false,
  });
  const set = await s.admin('POST', 'mode', { mode: 'default' });
  assert.equal(set.status, 200);
  assert.equal((await s.admin('GET', 'mode')).json.mode, 'default');
  await s.reset();
  assert.equal((await s.admin('GET', 'mode')).json.mode, 'medplum');
  assert.equal((await s.admin('POST', 'mode', { mode: 'hapi-3' })).status, 400);
  assert.equal((await s.admin('POST', 'mode', { mode: 'medplum', atomicTransactions: 'yes' })).status, 400);
});

test('a requested Subscription stays requested and never delivers; an active one does', async () => {
  const requested = await s.fhir('POST', 'Subscription', subscription(sink.url('/requested'), 'requested'));
  assert.equal(requested.status, 201);
  assert.equal(requested.json.status, 'requested');
  const active = await s.fhir('POST', 'Subscription', subscription(sink.url('/active'), 'active'));
  assert.equal(active.json.status, 'active');
  await s.fhir('POST', 'Observation', observation('Patient/1'));
  await sink.waitFor(1);
  await sleep(200);
  assert.deepEqual(sink.received.map((n) => n.url), ['/active']);
  assert.equal((await s.fhir('GET', `Subscription/${requested.json.id}`)).json.status, 'requested');

  // Activated by a PUT, it delivers from then on; switched off, it stops.
  await s.fhir('PUT', `Subscription/${requested.json.id}`, { ...requested.json, status: 'active' });
  await s.fhir('PUT', `Subscription/${active.json.id}`, { ...active.json, status: 'off' });
  await s.fhir('POST', 'Observation', observation('Patient/2'));
  await sink.waitFor(2);
  await sleep(200);
  assert.deepEqual(sink.received.map((n) => n.url), ['/active', '/requested']);
});

test('rest-hook: POST of the bare resource whatever channel.payload says; delete is {}', async () => {
  const sub = await s.fhir('POST', 'Subscription', subscription(sink.url('/hook'), 'active', { payload: 'application/fhir+json' }));
  const o = await s.fhir('POST', 'Observation', observation('Patient/1'));
  await s.fhir('PUT', `Observation/${o.json.id}`, { ...o.json, status: 'amended' });
  await s.fhir('DELETE', `Observation/${o.json.id}`);
  const [created, updated, deleted] = await sink.waitFor(3);
  for (const n of [created, updated, deleted]) {
    assert.equal(n.method, 'POST');
    assert.equal(n.url, '/hook');
    assert.equal(n.headers['content-type'], 'application/fhir+json');
    assert.equal(n.headers['x-medplum-subscription'], sub.json.id);
    assert.equal(n.headers['x-secret'], 's3');
  }
  const body = JSON.parse(created.body);
  assert.equal(body.resourceType, 'Observation');
  assert.equal(body.id, o.json.id);
  assert.equal(body.meta.versionId, o.json.meta.versionId);
  assert.ok(body.meta.lastUpdated);
  assert.equal(created.headers['x-medplum-interaction'], 'create');
  assert.equal(JSON.parse(updated.body).status, 'amended');
  assert.equal(updated.headers['x-medplum-interaction'], 'update');
  assert.equal(deleted.body, '{}');
  assert.equal(deleted.headers['x-medplum-interaction'], 'delete');
  assert.equal(deleted.headers['x-medplum-deleted-resource'], `Observation/${o.json.id}`);

  // Without a payload the body is the resource too.
  sink.received.length = 0;
  await s.fhir('PUT', `Subscription/${sub.json.id}`, { ...sub.json, channel: { ...sub.json.channel, payload: undefined } });
  const again = await s.fhir('POST', 'Observation', observation('Patient/1'));
  const [bare] = await sink.waitFor(1);
  assert.equal(JSON.parse(bare.body).id, again.json.id);
});

test('no type- or system-level _history, and the CapabilityStatement says so', async () => {
  const o = await s.fhir('POST', 'Observation', observation('Patient/1'));
  assert.equal((await s.fhir('GET', 'Observation/_history')).status, 404);
  assert.equal((await s.fhir('GET', '_history')).status, 404);
  assert.equal((await s.fhir('GET', `Observation/${o.json.id}/_history`)).status, 200);
  const cs = (await s.fhir('GET', 'metadata')).json;
  const obs = cs.rest[0].resource.find((r) => r.type === 'Observation');
  const codes = obs.interaction.map((i) => i.code);
  assert.ok(codes.includes('history-instance'));
  assert.ok(!codes.includes('history-type'));
  assert.ok(!cs.rest[0].interaction.some((i) => i.code === 'history-system'));

  await s.admin('POST', 'mode', { mode: 'default' });
  assert.equal((await s.fhir('GET', 'Observation/_history')).status, 200);
  const def = (await s.fhir('GET', 'metadata')).json;
  assert.ok(def.rest[0].resource.find((r) => r.type === 'Observation').interaction.some((i) => i.code === 'history-type'));
});

const uuid = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function mixedTransaction(existing) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: uuid(2), resource: observation(uuid(1)), request: { method: 'POST', url: 'Observation' } },
      { fullUrl: uuid(1), resource: patient(), request: { method: 'POST', url: 'Patient' } },
      {
        resource: { ...existing, active: false },
        request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"wrong"' },
      },
    ],
  };
}

test('a transaction behaves as a batch: HTTP 200, the failed entry has its own status', async () => {
  const existing = (await s.fhir('POST', 'Patient', patient())).json;
  const r = await s.fhir('POST', '', mixedTransaction(existing));
  assert.equal(r.status, 200);
  assert.equal(r.json.type, 'transaction-response');
  const [obsEntry, patEntry, failed] = r.json.entry;
  assert.equal(obsEntry.response.status, '201 Created');
  assert.equal(patEntry.response.status, '201 Created');
  assert.equal(obsEntry.resource.subject.reference, `Patient/${patEntry.resource.id}`);
  assert.equal(failed.response.status, '412 Precondition Failed');
  assert.equal(failed.response.outcome.resourceType, 'OperationOutcome');
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 2); // not rolled back
});

test('with atomicTransactions on, a failing transaction rolls back', async () => {
  assert.equal((await s.admin('POST', 'mode', { mode: 'medplum', atomicTransactions: true })).status, 200);
  const existing = (await s.fhir('POST', 'Patient', patient())).json;
  const r = await s.fhir('POST', '', mixedTransaction(existing));
  assert.equal(r.status, 412);
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 1);
});

test('default mode (admin switch): requested is stored active and payload decides the shape', async () => {
  await s.admin('POST', 'mode', { mode: 'default' });
  const sub = await s.fhir('POST', 'Subscription', subscription(sink.url('/hook'), 'requested', { payload: 'application/fhir+json' }));
  assert.equal(sub.json.status, 'active');
  const o = await s.fhir('POST', 'Observation', observation('Patient/1'));
  const [n] = await sink.waitFor(1);
  assert.equal(n.method, 'PUT');
  assert.equal(n.url, `/hook/Observation/${o.json.id}`);
});

test('refuseActiveSubscriptions: active is refused with 422, requested is activated (default mode)', async () => {
  await s.admin('POST', 'mode', { mode: 'default', refuseActiveSubscriptions: true });
  const refused = await s.fhir('POST', 'Subscription', subscription(sink.url('/hook'), 'active'));
  assert.equal(refused.status, 422);
  const sub = await s.fhir('POST', 'Subscription', subscription(sink.url('/hook'), 'requested'));
  assert.equal(sub.status, 201);
  assert.equal(sub.json.status, 'active');
  assert.equal((await s.fhir('PUT', `Subscription/${sub.json.id}`, sub.json)).status, 422);
});
