'use strict';
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, patient, observation } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

test('POST always assigns the id on the server', async () => {
  const a = await s.fhir('POST', 'Patient', patient({ id: 'client-id' }));
  assert.equal(a.status, 201);
  assert.notEqual(a.json.id, 'client-id');
  assert.match(a.headers.etag, /^W\/".+"$/);
  assert.ok(a.headers['last-modified']);
  assert.equal(a.headers.location, `${s.base}/Patient/${a.json.id}/_history/${a.json.meta.versionId}`);
  const b = await s.fhir('POST', 'Patient', patient({ id: a.json.id }));
  assert.notEqual(b.json.id, a.json.id, 'a client id must never overwrite an existing resource');
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 2);
});

test('PUT creates with 201, updates with 200, vread keeps versions', async () => {
  const created = await s.fhir('PUT', 'Patient/p1', patient({ id: 'p1' }));
  assert.equal(created.status, 201);
  const updated = await s.fhir('PUT', 'Patient/p1', patient({ id: 'p1', active: true }));
  assert.equal(updated.status, 200);
  assert.notEqual(updated.json.meta.versionId, created.json.meta.versionId);
  const v1 = await s.fhir('GET', `Patient/p1/_history/${created.json.meta.versionId}`);
  assert.equal(v1.status, 200);
  assert.equal(v1.json.active, undefined);
});

test('conditional update: 201 then 200 with the same id; 412 on multiple matches', async () => {
  const flag = (status) => ({
    resourceType: 'Flag',
    status,
    code: { text: 'x' },
    subject: { reference: 'Patient/p' },
    identifier: [{ system: 'urn:bw', value: 'f1' }],
  });
  const first = await s.fhir('PUT', 'Flag?identifier=urn:bw|f1', flag('active'));
  assert.equal(first.status, 201);
  const second = await s.fhir('PUT', 'Flag?identifier=urn:bw|f1', flag('inactive'));
  assert.equal(second.status, 200);
  assert.equal(second.json.id, first.json.id);
  await s.fhir('POST', 'Flag', flag('active'));
  const third = await s.fhir('PUT', 'Flag?identifier=urn:bw|f1', flag('active'));
  assert.equal(third.status, 412);
  assert.equal(third.json.resourceType, 'OperationOutcome');
});

test('conditional create (If-None-Exist)', async () => {
  const p = patient({ identifier: [{ system: 's', value: '1' }] });
  const a = await s.fhir('POST', 'Patient', p, { 'if-none-exist': 'identifier=s|1' });
  assert.equal(a.status, 201);
  const b = await s.fhir('POST', 'Patient', p, { 'if-none-exist': 'identifier=s|1' });
  assert.equal(b.status, 200);
  assert.equal(b.json.id, a.json.id);
});

test('If-Match: 412 on mismatch, weak and bare ETags accepted', async () => {
  const a = await s.fhir('POST', 'Patient', patient());
  const body = { ...a.json, active: true };
  const bad = await s.fhir('PUT', `Patient/${a.json.id}`, body, { 'if-match': 'W/"nope"' });
  assert.equal(bad.status, 412);
  assert.equal(bad.json.resourceType, 'OperationOutcome');
  const badBare = await s.fhir('PUT', `Patient/${a.json.id}`, body, { 'if-match': 'nope' });
  assert.equal(badBare.status, 412);
  const ok = await s.fhir('PUT', `Patient/${a.json.id}`, body, { 'if-match': a.headers.etag });
  assert.equal(ok.status, 200);
  const okBare = await s.fhir('PUT', `Patient/${a.json.id}`, body, { 'if-match': ok.json.meta.versionId });
  assert.equal(okBare.status, 200);
});

test('delete: 410 after, 404 for never existed, history survives', async () => {
  const a = await s.fhir('POST', 'Patient', patient());
  assert.equal((await s.fhir('DELETE', `Patient/${a.json.id}`)).status, 200);
  const gone = await s.fhir('GET', `Patient/${a.json.id}`);
  assert.equal(gone.status, 410);
  assert.equal(gone.json.resourceType, 'OperationOutcome');
  assert.equal((await s.fhir('GET', 'Patient/never')).status, 404);
  const hist = await s.fhir('GET', `Patient/${a.json.id}/_history`);
  assert.equal(hist.status, 200);
  assert.deepEqual(hist.json.entry.map((e) => e.request.method), ['DELETE', 'POST']);
});

test('Prefer: return=minimal gives no body', async () => {
  const a = await s.fhir('POST', 'Patient', patient(), { prefer: 'return=minimal' });
  assert.equal(a.status, 201);
  assert.equal(a.body, '');
  assert.ok(a.headers.location);
});

test('search paging: links across more than 3 pages, fullUrl and search.mode', async () => {
  const p = await s.fhir('POST', 'Patient', patient());
  for (let i = 0; i < 23; i++) {
    await s.fhir('POST', 'Observation', observation(`Patient/${p.json.id}`));
  }
  await s.fhir('POST', 'Observation', observation('Patient/other'));
  let url = `Observation?subject=Patient/${p.json.id}&code=http://loinc.org|38267-1&_count=5`;
  const ids = new Set();
  let pages = 0;
  let prevLinkSeen = false;
  while (url) {
    const page = await s.fhir('GET', url);
    assert.equal(page.status, 200);
    assert.equal(page.json.type, 'searchset');
    assert.equal(page.json.total, 23);
    assert.ok(page.json.link.find((l) => l.relation === 'self'));
    if (page.json.link.find((l) => l.relation === 'previous')) prevLinkSeen = true;
    for (const e of page.json.entry) {
      assert.equal(e.fullUrl, `${s.base}/Observation/${e.resource.id}`);
      assert.equal(e.search.mode, 'match');
      ids.add(e.resource.id);
    }
    pages++;
    url = page.json.link.find((l) => l.relation === 'next')?.url;
  }
  assert.equal(pages, 5);
  assert.equal(ids.size, 23);
  assert.ok(prevLinkSeen);
  const post = await s.fhir('POST', 'Observation/_search', `subject=Patient/${p.json.id}&_count=100`, {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(post.json.entry.length, 23);
  const lastUpdated = await s.fhir('GET', 'Observation?_lastUpdated=gt2000-01-01&_sort=_lastUpdated&_count=2');
  assert.equal(lastUpdated.json.total, 24);
});

test('unknown and chained search parameters are rejected, not silently empty', async () => {
  assert.equal((await s.fhir('GET', 'Observation?bogus=1')).status, 400);
  assert.equal((await s.fhir('GET', 'Observation?subject.identifier=x')).status, 400);
});

test('structural validation and OperationOutcome on errors', async () => {
  const bad = await s.fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: 'x' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.resourceType, 'OperationOutcome');
  const wrongType = await s.fhir('POST', 'Observation', patient());
  assert.equal(wrongType.status, 400);
  const badJson = await s.fhir('POST', 'Patient', '{nope');
  assert.equal(badJson.status, 400);
});

test('metadata is a CapabilityStatement with history-type', async () => {
  const m = await s.fhir('GET', 'metadata');
  assert.equal(m.json.resourceType, 'CapabilityStatement');
  assert.equal(m.json.fhirVersion, '4.0.1');
  const obs = m.json.rest[0].resource.find((r) => r.type === 'Observation');
  assert.ok(obs.interaction.some((i) => i.code === 'history-type'));
  assert.equal(m.json.rest[0].security, undefined);
});

test('result parameters do not filter; _tag and :not work', async () => {
  await s.fhir('POST', 'Patient', patient({ meta: { tag: [{ system: 'urn:bw', code: 'own' }] } }));
  await s.fhir('POST', 'Patient', patient());
  const all = await s.fhir('GET', 'Patient?_contained=false&_elements=id&_format=json&_include=Patient:organization');
  assert.equal(all.json.total, 2);
  assert.equal((await s.fhir('GET', 'Patient?_tag=urn:bw|own')).json.total, 1);
  assert.equal((await s.fhir('GET', 'Patient?_tag:not=urn:bw|own')).json.total, 1);
  assert.equal((await s.fhir('GET', 'Patient?_summary=count')).json.total, 2);
});
