'use strict';
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, patient, observation } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

const uuid = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

test('transaction: urn:uuid rewriting, per-entry responses', async () => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: uuid(2), resource: observation(uuid(1)), request: { method: 'POST', url: 'Observation' } },
      { fullUrl: uuid(1), resource: patient({ id: 'ignored' }), request: { method: 'POST', url: 'Patient' } },
    ],
  };
  const r = await s.fhir('POST', '', bundle);
  assert.equal(r.status, 200);
  assert.equal(r.json.type, 'transaction-response');
  const [obsEntry, patEntry] = r.json.entry;
  assert.equal(patEntry.response.status, '201 Created');
  assert.ok(patEntry.response.location.startsWith(`${s.base}/Patient/`));
  assert.ok(patEntry.response.etag);
  assert.ok(patEntry.response.lastModified);
  assert.notEqual(patEntry.resource.id, 'ignored');
  assert.equal(obsEntry.resource.subject.reference, `Patient/${patEntry.resource.id}`);
});

test('transaction is atomic: a failing entry rolls back everything', async () => {
  const existing = await s.fhir('POST', 'Patient', patient());
  const before = await s.fhir('GET', '_history');
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: patient(), request: { method: 'POST', url: 'Patient' } },
      { resource: { ...existing.json, active: true }, request: { method: 'PUT', url: `Patient/${existing.json.id}` } },
      { request: { method: 'DELETE', url: `Patient/${existing.json.id}` } },
      {
        resource: { ...existing.json, active: false },
        request: { method: 'PUT', url: `Patient/${existing.json.id}`, ifMatch: 'W/"wrong"' },
      },
    ],
  };
  const r = await s.fhir('POST', '', bundle);
  assert.equal(r.status, 412);
  assert.equal(r.json.resourceType, 'OperationOutcome');
  assert.match(r.json.issue[0].diagnostics, /entry\[3\]/);
  const after = await s.fhir('GET', '_history');
  assert.equal(after.json.total, before.json.total);
  const now = await s.fhir('GET', `Patient/${existing.json.id}`);
  assert.equal(now.status, 200);
  assert.equal(now.json.meta.versionId, existing.json.meta.versionId);
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 1);

  const invalid = await s.fhir('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: patient(), request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Observation', code: 'bad' }, request: { method: 'POST', url: 'Observation' } },
    ],
  });
  assert.equal(invalid.status, 400);
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 1);
});

test('transaction with more than 8 conditional entries', async () => {
  const flag = (i, status) => ({
    resource: {
      resourceType: 'Flag',
      status,
      code: { text: `f${i}` },
      subject: { reference: 'Patient/p' },
      identifier: [{ system: 'urn:bw', value: `f${i}` }],
    },
    request: { method: 'PUT', url: `Flag?identifier=urn:bw|f${i}` },
  });
  const make = (status) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 12 }, (_, i) => flag(i, status)),
  });
  const first = await s.fhir('POST', '', make('active'));
  assert.equal(first.status, 200);
  assert.ok(first.json.entry.every((e) => e.response.status === '201 Created'));
  const second = await s.fhir('POST', '', make('inactive'));
  assert.ok(second.json.entry.every((e) => e.response.status === '200 OK'));
  assert.equal((await s.fhir('GET', 'Flag?status=inactive')).json.total, 12);
  const ifNoneExist = await s.fhir('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: { resourceType: 'Patient', identifier: [{ system: 's', value: '1' }] },
        request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=s|1' },
      },
    ],
  });
  assert.equal(ifNoneExist.json.entry[0].response.status, '201 Created');
});

test('batch: per-entry results with HTTP 200', async () => {
  const r = await s.fhir('POST', '', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: patient(), request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/missing' } },
    ],
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.type, 'batch-response');
  assert.equal(r.json.entry[0].response.status, '201 Created');
  assert.equal(r.json.entry[1].response.status, '404 Not Found');
  assert.equal(r.json.entry[1].response.outcome.resourceType, 'OperationOutcome');
  assert.equal((await s.fhir('GET', 'Patient')).json.total, 1);
});
