'use strict';
// The benchmark helpers: --indexed (same answers as without it), POST /admin/load and the
// write log.
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, patient, observation } = require('./helpers');

let plain;
let indexed;
before(async () => {
  [plain, indexed] = await Promise.all([startServer(), startServer(['--indexed'])]);
});
after(() => Promise.all([plain.stop(), indexed.stop()]));
beforeEach(() => Promise.all([plain.reset(), indexed.reset()]));

const flag = (n, subject) => ({
  resourceType: 'Flag',
  status: 'active',
  identifier: [{ system: 'urn:test:flag', value: `F-${n}` }],
  code: { coding: [{ system: 'urn:test', code: 'x' }] },
  subject: { reference: subject },
});

function data() {
  const out = [];
  for (let p = 1; p <= 4; p++) {
    out.push({ ...patient(), id: `p${p}` });
    for (let o = 1; o <= 3; o++) out.push({ ...observation(`Patient/p${p}`, o === 3 ? '1989-3' : '38267-1'), id: `o${p}-${o}` });
    out.push({ ...flag(p, `Patient/p${p}`), id: `f${p}` });
  }
  return out;
}

const ids = (r) => (r.json.entry || []).map((e) => e.resource.id).sort();

test('--indexed: searches answer exactly as without it', async () => {
  for (const s of [plain, indexed]) {
    const r = await s.admin('POST', 'load', data());
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.loaded, 20);
  }
  const queries = [
    'Observation?subject=Patient/p2',
    'Observation?patient=Patient/p2&code=http://loinc.org|1989-3',
    'Observation?subject=patient/P2',
    'Observation?subject=p2',
    'Observation?subject=Patient/p2,Patient/p3&_count=2&_offset=1',
    'Observation?code=http://loinc.org|38267-1&_count=3&_offset=2',
    'Flag?identifier=urn:test:flag|F-3',
    'Flag?identifier=urn:test:flag|f-3',
    'Flag?identifier=F-3',
    'Observation?subject=Patient/none',
    'Observation?_summary=count&subject=Patient/p1',
  ];
  for (const q of queries) {
    const [a, b] = await Promise.all([plain.fhir('GET', q), indexed.fhir('GET', q)]);
    assert.equal(b.status, a.status, q);
    assert.deepEqual(ids(b), ids(a), q);
    assert.equal(b.json.total, a.json.total, q);
  }
});

test('--indexed: a failed transaction leaves no trace, in the data or in the indexes', async () => {
  await indexed.admin('POST', 'load', data());
  const before = await indexed.fhir('GET', '_history');
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { ...flag(9, 'Patient/p1') }, request: { method: 'PUT', url: 'Flag?identifier=urn:test:flag|F-9' } },
      { resource: { ...flag(1, 'Patient/p2'), id: 'f1' }, request: { method: 'PUT', url: 'Flag/f1' } },
      { request: { method: 'DELETE', url: 'Observation/o1-1' } },
      { resource: { ...observation('Patient/p1') }, request: { method: 'POST', url: 'Observation' } },
      { request: { method: 'GET', url: 'Patient/nope' } },
    ],
  };
  const r = await indexed.fhir('POST', '', bundle);
  assert.equal(r.status, 404);
  assert.deepEqual(ids(await indexed.fhir('GET', 'Flag?identifier=urn:test:flag|F-9')), []);
  assert.deepEqual(ids(await indexed.fhir('GET', 'Flag?subject=Patient/p1')), ['f1']);
  assert.deepEqual(ids(await indexed.fhir('GET', 'Flag?subject=Patient/p2')), ['f2']);
  assert.deepEqual(ids(await indexed.fhir('GET', 'Observation?subject=Patient/p1')), ['o1-1', 'o1-2', 'o1-3']);
  assert.equal((await indexed.fhir('GET', 'Observation/o1-1')).status, 200);
  assert.equal((await indexed.fhir('GET', 'Flag/f1/_history')).json.entry.length, 1);
  assert.deepEqual((await indexed.fhir('GET', '_history')).json.total, before.json.total);
  // The same transaction without the failing entry commits.
  bundle.entry.pop();
  assert.equal((await indexed.fhir('POST', '', bundle)).status, 200);
  assert.equal(ids(await indexed.fhir('GET', 'Flag?identifier=urn:test:flag|F-9')).length, 1);
  assert.deepEqual(ids(await indexed.fhir('GET', 'Flag?subject=Patient/p2')), ['f1', 'f2']);
  assert.equal((await indexed.fhir('GET', 'Observation/o1-1')).status, 410);
});

test('POST /admin/load validates unless ?validate=false, and rejects resources without an id', async () => {
  const bad = [{ resourceType: 'Observation', id: 'x', status: 'nonsense-status', code: 'not-an-object' }];
  assert.equal((await plain.admin('POST', 'load', bad)).status, 400);
  assert.equal((await plain.admin('POST', 'load?validate=false', bad)).status, 200);
  assert.equal((await plain.admin('POST', 'load', [{ resourceType: 'Patient' }])).status, 400);
  const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { ...patient(), id: 'b1' } }] };
  assert.equal((await plain.admin('POST', 'load', bundle)).json.loaded, 1);
  assert.equal((await plain.fhir('GET', 'Patient/b1')).status, 200);
});

test('write log: commit times of the chosen types, off until configured', async () => {
  await plain.fhir('POST', 'Flag', flag(1, 'Patient/p1'));
  assert.equal((await plain.admin('GET', 'write-log')).json.records.length, 0);
  assert.equal((await plain.admin('POST', 'write-log', { types: 'Flag' })).status, 400);
  assert.equal((await plain.admin('POST', 'write-log', { types: ['Flag'] })).status, 200);
  const t0 = Date.now();
  await plain.fhir('POST', 'Patient', patient());
  const created = await plain.fhir('POST', 'Flag', flag(2, 'Patient/p2'));
  const log = (await plain.admin('GET', 'write-log')).json;
  assert.equal(log.next, 1);
  const [rec] = log.records;
  assert.equal(rec.type, 'Flag');
  assert.equal(rec.id, created.json.id);
  assert.equal(rec.interaction, 'create');
  assert.equal(rec.subject, 'Patient/p2');
  assert.equal(rec.code, 'x');
  assert.equal(rec.identifier, 'F-2');
  assert.ok(rec.at >= t0 - 5 && rec.at <= Date.now() + 5, `${rec.at} vs ${t0}`);
  assert.equal((await plain.admin('GET', 'write-log?since=1')).json.records.length, 0);
});
