'use strict';
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, patient, observation, sleep } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

test('type-level _history with _since includes creates, updates and deletes, newest first', async () => {
  const old = await s.fhir('POST', 'Observation', observation('Patient/1'));
  await sleep(5);
  const since = new Date().toISOString();
  await sleep(5);
  const a = await s.fhir('POST', 'Observation', observation('Patient/1'));
  await s.fhir('PUT', `Observation/${a.json.id}`, { ...a.json, status: 'amended' });
  await s.fhir('DELETE', `Observation/${old.json.id}`);
  await s.fhir('POST', 'Patient', patient());

  const h = await s.fhir('GET', `Observation/_history?_since=${encodeURIComponent(since)}`);
  assert.equal(h.status, 200);
  assert.equal(h.json.type, 'history');
  assert.equal(h.json.total, 3);
  const summary = h.json.entry.map((e) => [e.request.method, e.fullUrl.split('/').pop(), e.response.status]);
  assert.deepEqual(summary, [
    ['DELETE', old.json.id, '410 Gone'],
    ['PUT', a.json.id, '200 OK'],
    ['POST', a.json.id, '201 Created'],
  ]);
  assert.equal(h.json.entry[0].resource, undefined);
  assert.equal(h.json.entry[1].resource.status, 'amended');
  const times = h.json.entry.map((e) => e.response.lastModified);
  assert.deepEqual([...times].sort().reverse(), times);

  const system = await s.fhir('GET', `_history?_since=${encodeURIComponent(since)}`);
  assert.equal(system.json.total, 4);
  assert.equal(system.json.entry[0].fullUrl.includes('/Patient/'), true);
});

test('history paging with _count follows next links, stable while writes happen', async () => {
  for (let i = 0; i < 12; i++) await s.fhir('POST', 'Observation', observation('Patient/1'));
  let url = 'Observation/_history?_count=5';
  const seen = [];
  while (url) {
    const page = await s.fhir('GET', url);
    assert.equal(page.json.total, 12);
    seen.push(...page.json.entry.map((e) => e.fullUrl));
    await s.fhir('POST', 'Observation', observation('Patient/1')); // must not shift later pages
    url = page.json.link.find((l) => l.relation === 'next')?.url;
  }
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);
});

test('instance _history order is stable across calls (no in-place reversal)', async () => {
  const a = await s.fhir('POST', 'Patient', patient());
  await s.fhir('PUT', `Patient/${a.json.id}`, { ...a.json, active: true });
  await s.fhir('PUT', `Patient/${a.json.id}`, { ...a.json, active: false });
  const one = await s.fhir('GET', `Patient/${a.json.id}/_history`);
  const two = await s.fhir('GET', `Patient/${a.json.id}/_history`);
  const versions = (b) => b.json.entry.map((e) => e.resource.meta.versionId);
  assert.deepEqual(versions(one), versions(two));
  assert.equal(versions(one)[2], a.json.meta.versionId);
});

test('bad _since is a 400', async () => {
  assert.equal((await s.fhir('GET', 'Observation/_history?_since=yesterday')).status, 400);
});
