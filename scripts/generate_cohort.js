#!/usr/bin/env node
// Synthetic cohort for the demo and the daemon's end-to-end tests: women on
// (or near) adjuvant endocrine therapy, with DXA, bone turnover markers,
// vitamin D, BMI, antiresorptives, fractures and smoking status spread so that
// every monitoring rule fires for some patients and stays quiet for others.
//
//   node scripts/generate_cohort.js [--patients 200] [--seed 7] [--today YYYY-MM-DD]
//                                   [--batch 40] [--out DIR]
//
// Writes DIR/batch-NNN.json: FHIR "batch" Bundles of PUTs (client-assigned ids,
// so loading twice changes nothing), Patients first. Dates are relative to
// --today (default: the real date) so the data stays current. Values are drawn
// from a seeded PRNG: the same arguments give the same files. Names are never
// generated (no clinical identity in the demo).
'use strict';
const fs = require('fs');
const path = require('path');

const args = { patients: 200, seed: 7, today: new Date().toISOString().slice(0, 10), batch: 40, out: 'cohort' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args)) { console.error(`generate_cohort: unknown option ${process.argv[i]}`); process.exit(2); }
  args[key] = typeof args[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

// mulberry32: a small seeded PRNG.
let state = args.seed >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo, hi) => lo + (hi - lo) * rand();
const round = (v, digits) => Number(v.toFixed(digits));
const pick = (list) => list[Math.floor(rand() * list.length)];

const today = new Date(args.today + 'T00:00:00Z');
function daysAgo(days) {
  const d = new Date(today.getTime() - Math.round(days) * 86400000);
  return d.toISOString().slice(0, 10);
}
const monthsAgo = (m) => daysAgo(m * 30.44);

const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const ATC = 'http://www.whocc.no/atc';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const UCUM = 'http://unitsofmeasure.org';
const AI_DRUGS = [[RX, '84857'], [RX, '72965'], [RX, '258494'], [RX, '199224'], [ATC, 'L02BG04'], [RX, '310261']];
const TSCORE_SITES = ['38267-1', '38264-8', '38263-0', '80947-5'];
const BMD_SPINE = '24966-4';

class PatientBuilder {
  constructor(index, scenario) {
    this.id = `demo-${String(index).padStart(4, '0')}`;
    this.scenario = scenario;
    this.resources = [];
    this.seq = 0;
  }
  add(resource) {
    resource.id = `${this.id}-${++this.seq}`;
    resource.subject = { reference: `Patient/${this.id}` };
    this.resources.push(resource);
    return resource;
  }
  patient(ageYears) {
    const birth = daysAgo(ageYears * 365.25 + between(0, 300));
    this.resources.unshift({ resourceType: 'Patient', id: this.id, gender: 'female', birthDate: birth,
      identifier: [{ system: 'urn:demo:mrn', value: `MRN${this.id.slice(5)}` }] });
  }
  med(system, code, start, { status = 'active', end = null, kind = 'MedicationStatement' } = {}) {
    const r = { resourceType: kind, status: kind === 'MedicationRequest' && status === 'completed' ? 'completed' : status,
      medicationCodeableConcept: { coding: [{ system, code }] } };
    if (kind === 'MedicationRequest') {
      r.intent = 'order';
      r.authoredOn = start;
      if (end) r.dispenseRequest = { validityPeriod: { start, end } };
    } else if (end) {
      r.effectivePeriod = { start, end };
    } else {
      r.effectiveDateTime = start;
    }
    return this.add(r);
  }
  ai(start, opts) { const [s, c] = pick(AI_DRUGS); return this.med(s, c, start, opts); }
  obs(code, date, value, unit) {
    return this.add({ resourceType: 'Observation', status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: LOINC, code }] }, effectiveDateTime: date,
      valueQuantity: { value, unit, system: UCUM, code: unit } });
  }
  dxa(date, tscore, { z = null, bmd = null } = {}) {
    this.obs(pick(TSCORE_SITES), date, round(tscore, 1), '{T-score}');
    if (z !== null) this.obs('85394-5', date, round(z, 1), '{Z-score}');
    if (bmd !== null) this.obs(BMD_SPINE, date, round(bmd, 3), 'g/cm2');
  }
  ctx(date, ngPerL) {
    if (rand() < 0.5) this.obs('41171-0', date, Math.round(ngPerL), 'ng/L');
    else this.obs('41171-0', date, round(ngPerL / 1000, 3), 'ng/mL');
  }
  vitaminD(date, ngPerMl) {
    if (rand() < 0.3) this.obs('62292-8', date, round(ngPerMl * 2.496, 0), 'nmol/L');
    else this.obs('62292-8', date, round(ngPerMl, 1), 'ng/mL');
  }
  condition(system, code, onset) {
    return this.add({ resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      code: { coding: [{ system, code }] }, onsetDateTime: onset });
  }
  // A DXA report as one panel Observation (LOINC 83311-1, which the default mappings do not map):
  // the T-scores and the BMD only in components, as many DXA systems send them.
  dxaPanel(date, tscore, { bmd = null } = {}) {
    const component = (code, value, unit) => ({ code: { coding: [{ system: LOINC, code }] },
      valueQuantity: { value, unit, system: UCUM, code: unit } });
    const components = [component('38267-1', round(tscore, 1), '{T-score}'),
      component('38264-8', round(tscore + between(0.1, 0.8), 1), '{T-score}')];
    if (bmd !== null) components.push(component(BMD_SPINE, round(bmd, 3), 'g/cm2'));
    return this.add({ resourceType: 'Observation', status: 'final',
      code: { coding: [{ system: LOINC, code: '83311-1', display: 'DXA panel' }] },
      effectiveDateTime: date, component: components });
  }
  // An AI prescription whose medicationReference points to a Medication resource on the server,
  // as Epic and Cerner send them.
  aiByReference(start) {
    const [system, code] = pick(AI_DRUGS);
    const medication = { resourceType: 'Medication', id: `${this.id}-med`, code: { coding: [{ system, code }] } };
    this.resources.push(medication);
    return this.add({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', authoredOn: start,
      medicationReference: { reference: `Medication/${medication.id}` } });
  }
  smoker(date) {
    return this.add({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code: '72166-2' }] },
      effectiveDateTime: date, valueCodeableConcept: { coding: [{ system: SCT, code: pick(['449868002', '428041000124106']) }] } });
  }
}

// Each scenario builds one patient; the names say which rule it exercises.
const SCENARIOS = {
  'baseline-dxa-missing': (p) => { p.patient(between(55, 78)); p.ai(monthsAgo(between(0.5, 5))); },
  'dxa-follow-up-due': (p) => {
    p.patient(between(58, 75)); const start = between(25, 30);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.3), between(-0.9, 0.8));
    p.vitaminD(monthsAgo(between(1, 6)), between(32, 50));
  },
  osteoporosis: (p) => {
    p.patient(between(62, 80)); const start = between(2, 18);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-3.4, -2.5));
  },
  osteopenia: (p) => {
    p.patient(between(55, 72)); const start = between(3, 20);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-2.4, -1.1));
    p.vitaminD(monthsAgo(2), between(30, 45));
  },
  'low-bmd-for-age': (p) => {
    p.patient(between(38, 47)); const start = between(2, 12);
    p.condition(SCT, '22636003', monthsAgo(start + 1));
    p.med(ATC, 'L02AE03', monthsAgo(start + 0.5));
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.3), between(-1.8, -0.5), { z: between(-3.0, -2.0) });
  },
  'bmd-significant-loss': (p) => {
    p.patient(between(56, 74)); const start = between(14, 22);
    const base = between(0.9, 1.1);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.3), between(-0.8, 0.2), { bmd: base });
    p.dxa(monthsAgo(between(0.5, 2)), between(-1.4, -0.9), { bmd: base * between(0.88, 0.94) });
  },
  'btm-3-month-due': (p) => {
    p.patient(between(55, 70)); const start = between(3.3, 5.5);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-0.8, 0.5));
    p.ctx(monthsAgo(start + 0.1), between(250, 450));
  },
  'btm-rise': (p) => {
    p.patient(between(55, 70)); const start = between(3.5, 6);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-0.9, 0.4));
    const base = between(220, 420);
    p.ctx(monthsAgo(start + 0.2), base); p.ctx(monthsAgo(start - 3), base * between(1.35, 1.9));
  },
  'antiresorptive-indicated': (p) => {
    p.patient(between(67, 82)); const start = between(2, 15);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-2.0, -1.6));
    p.smoker(monthsAgo(between(0, 6)));
    p.obs('39156-5', monthsAgo(3), round(between(16.5, 19.5), 1), 'kg/m2');
  },
  'fragility-fracture': (p) => {
    p.patient(between(60, 78)); const start = between(2, 14);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-1.4, -0.5));
    const [system, code] = pick([[SCT, '443165006'], [SCT, '5913000'], [ICD10, 'M80.08XA'], [ICD10, 'Z87.310']]);
    p.condition(system, code, monthsAgo(between(1, 30)));
  },
  'vitamin-d-deficient': (p) => {
    p.patient(between(55, 75)); const start = between(2, 20);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-0.9, 0.6));
    p.vitaminD(monthsAgo(between(0.2, 4)), between(6, 19.5));
  },
  'vitamin-d-insufficient': (p) => {
    p.patient(between(55, 75)); const start = between(2, 20);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-0.9, 0.6));
    p.vitaminD(monthsAgo(between(0.2, 4)), between(20.5, 29.5));
  },
  'denosumab-overdue': (p) => {
    p.patient(between(60, 78)); const start = between(12, 30);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-2.8, -2.1));
    p.med(RX, '993449', monthsAgo(between(8, 11)), { status: 'completed' });
  },
  'on-bisphosphonate': (p) => {
    p.patient(between(62, 80)); const start = between(3, 18);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-3.0, -2.1));
    p.med(RX, pick(['46041', '77655', '73056']), monthsAgo(start - 1));
    p.vitaminD(monthsAgo(1), between(32, 48));
  },
  'course-completed': (p) => {
    p.patient(between(64, 80)); const end = between(1, 10);
    p.ai(monthsAgo(end + 60), { status: 'completed', end: monthsAgo(end) });
    p.dxa(monthsAgo(end + 14), between(-2.9, -2.5));
  },
  'dxa-panel-osteoporosis': (p) => {
    p.patient(between(62, 80)); const start = between(2, 18);
    p.ai(monthsAgo(start)); p.dxaPanel(monthsAgo(start + 0.2), between(-3.4, -2.6), { bmd: between(0.7, 0.85) });
    p.vitaminD(monthsAgo(1), between(32, 48));
  },
  'medication-reference': (p) => {
    p.patient(between(55, 75)); p.aiByReference(monthsAgo(between(1, 4)));
  },
  'medication-request': (p) => {
    p.patient(between(55, 75)); const start = between(1, 4);
    const [s, c] = pick(AI_DRUGS); p.med(s, c, monthsAgo(start), { kind: 'MedicationRequest' });
  },
  'well-monitored': (p) => {
    p.patient(between(52, 70)); const start = between(7, 20);
    p.ai(monthsAgo(start)); p.dxa(monthsAgo(start + 0.2), between(-0.9, 1.0));
    const base = between(200, 400); p.ctx(monthsAgo(start + 0.1), base); p.ctx(monthsAgo(start - 3), base * between(0.5, 1.1));
    p.vitaminD(monthsAgo(between(0.5, 5)), between(31, 55));
    p.obs('39156-5', monthsAgo(2), round(between(21, 30), 1), 'kg/m2');
  },
  'out-of-scope-tamoxifen': (p) => {
    p.patient(between(40, 60)); p.med(RX, '10324', monthsAgo(between(2, 20)));
    p.dxa(monthsAgo(3), between(-2.8, -1.2));
  },
};

const names = Object.keys(SCENARIOS);
const patients = [];
for (let i = 1; i <= args.patients; ++i) {
  const p = new PatientBuilder(i, names[(i - 1) % names.length]);
  SCENARIOS[p.scenario](p);
  patients.push(p);
}

// Batches of whole patients: Patients before their resources, PUT by id.
fs.mkdirSync(args.out, { recursive: true });
let bundle = null;
let files = 0;
let count = 0;
const flush = () => {
  if (!bundle || bundle.entry.length === 0) return;
  fs.writeFileSync(path.join(args.out, `batch-${String(++files).padStart(3, '0')}.json`), JSON.stringify(bundle));
  bundle = null;
};
for (const p of patients) {
  if (!bundle || bundle.entry.length + p.resources.length > args.batch) flush();
  bundle = bundle || { resourceType: 'Bundle', type: 'batch', entry: [] };
  for (const r of p.resources) {
    bundle.entry.push({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } });
    ++count;
  }
}
flush();
const byScenario = {};
for (const p of patients) byScenario[p.scenario] = (byScenario[p.scenario] || 0) + 1;
fs.writeFileSync(path.join(args.out, 'scenarios.json'),
  JSON.stringify(Object.fromEntries(patients.map((p) => [p.id, p.scenario])), null, 1));
console.log(`cohort: ${patients.length} patients, ${count} resources, ${files} batch bundles in ${args.out} ` +
  `(today ${args.today}; ${names.length} scenarios)`);
