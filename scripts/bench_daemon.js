#!/usr/bin/env node
// Helpers of scripts/bench_daemon.sh (see docs/benchmarks.md). Node built-ins only.
//
//   node scripts/bench_daemon.js latency-cohort --patients N --out FILE
//   node scripts/bench_daemon.js load --admin ORIGIN [--history K] FILE...
//   node scripts/bench_daemon.js latency --fhir BASE --admin ORIGIN --notifications N --rate R --out FILE
//        [--notify URL --notify-secret S]
//   node scripts/bench_daemon.js latency --fhir BASE --token-url URL --client-id ID --id-map FILE ...
//        (an external server: the client secret from $FHIR_LOAD_CLIENT_SECRET; times from the
//        resources' meta.lastUpdated, since there is no write log)
//   node scripts/bench_daemon.js latency-cohort --patients N --batch-dir DIR   (batch Bundles)
//   node scripts/bench_daemon.js wait-converged --ops ORIGIN [--timeout S]
//   node scripts/bench_daemon.js rss --pid P                      (one line: VmRSS VmHWM in kB)
//   node scripts/bench_daemon.js sample-rss --pid P --out FILE [--interval-ms 100]
//   node scripts/bench_daemon.js count --fhir BASE Type [params]   (prints the search total)
//   node scripts/bench_daemon.js summary --dir WORK
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const now = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function parse(argv) {
  const opts = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) opts[argv[i].substring(2)] = argv[++i];
    else opts._.push(argv[i]);
  }
  return opts;
}

function request(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { ...headers };
    if (data) {
      h['content-type'] = h['content-type'] || 'application/fhir+json';
      h['content-length'] = data.length;
    }
    const req = http.request(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const ymd = (daysAgo) => new Date(Date.now() - daysAgo * 86400000).toISOString().slice(0, 10);
const latencyPatientId = (i) => `bench-${String(i).padStart(5, '0')}`;

// Women of 66 on anastrozole since 60 days, with no DXA: each gets `baseline-dxa-missing` and a
// CarePlan from the backfill. A DXA T-score of -3.0 then raises `osteoporosis` (a new Flag that
// exists only because of that Observation), with `antiresorptive-indicated`, and resolves
// `baseline-dxa-missing`.
function latencyCohort(opts) {
  const n = Number(opts.patients);
  const out = [];
  for (let i = 1; i <= n; i++) {
    const id = latencyPatientId(i);
    out.push({ resourceType: 'Patient', id, gender: 'female', birthDate: `${new Date().getUTCFullYear() - 66}-03-01` });
    out.push({
      resourceType: 'MedicationStatement',
      id: `${id}-ai`,
      status: 'active',
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '84857' }] },
      subject: { reference: `Patient/${id}` },
      effectiveDateTime: ymd(60),
    });
  }
  if (opts['batch-dir']) {
    // Batch Bundles of PUTs (scripts/fhir_load.js turns them into the server's ids).
    fs.mkdirSync(opts['batch-dir'], { recursive: true });
    for (let b = 0; b * 200 < out.length; b++) {
      const entry = out.slice(b * 200, (b + 1) * 200).map((resource) => ({
        resource,
        request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
      }));
      const file = path.join(opts['batch-dir'], `batch-${String(b + 1).padStart(3, '0')}.json`);
      fs.writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
    }
    console.log(`latency cohort: ${n} patients, ${out.length} resources in ${opts['batch-dir']}`);
    return;
  }
  fs.writeFileSync(opts.out, JSON.stringify(out));
  console.log(`latency cohort: ${n} patients, ${out.length} resources in ${opts.out}`);
}

function dxaObservation(patientId) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '38267-1' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: ymd(1),
    valueQuantity: { value: -3.0, unit: '{T-score}', system: 'http://unitsofmeasure.org', code: '{T-score}' },
  };
}

// K extra in-scope Observations per Patient (vitamin D and BMI over the past years), so that a
// generated cohort of P patients has about (4.2 + K) * P resources.
function historyObservations(patientId, k) {
  const out = [];
  for (let j = 1; j <= k; j++) {
    const vitD = j % 2 === 1;
    out.push({
      resourceType: 'Observation',
      id: `${patientId}-h${j}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: vitD ? '62292-8' : '39156-5' }] },
      subject: { reference: `Patient/${patientId}` },
      effectiveDateTime: ymd(200 + 180 * j),
      valueQuantity: vitD
        ? { value: 30 + (j % 7), unit: 'ng/mL', system: 'http://unitsofmeasure.org', code: 'ng/mL' }
        : { value: 22 + (j % 5), unit: 'kg/m2', system: 'http://unitsofmeasure.org', code: 'kg/m2' },
    });
  }
  return out;
}

// Posts resources (Bundle files of scripts/generate_cohort.js, or JSON arrays) to /admin/load in
// chunks of 5000.
async function load(opts) {
  const k = Number(opts.history || 0);
  const started = now();
  let total = 0;
  let chunk = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const r = await request('POST', `${opts.admin}/admin/load${opts.validate === "false" ? "?validate=false" : ""}`, chunk, { 'content-type': 'application/json' });
    if (r.status !== 200) throw new Error(`/admin/load: HTTP ${r.status} ${r.text.slice(0, 500)}`);
    total += chunk.length;
    chunk = [];
  };
  for (const file of opts._) {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const resources = Array.isArray(json) ? json : json.entry.map((e) => e.resource);
    for (const r of resources) {
      chunk.push(r);
      if (k > 0 && r.resourceType === 'Patient') chunk.push(...historyObservations(r.id, k));
      if (chunk.length >= 5000) await flush();
    }
  }
  await flush();
  const seconds = (now() - started) / 1000;
  console.log(`loaded ${total} resources in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s)`);
}

function percentiles(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p) => (v.length ? v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)] : NaN);
  return { n: v.length, p50: q(50), p90: q(90), p99: q(99), max: v.length ? v[v.length - 1] : NaN };
}

// Open loop: Observation i is sent at start + i / rate whatever happened to the earlier ones.
// Times: sent (client, just before the request), answered (client: the POST round trip is the
// server's write latency), committed (server: write log), Flag committed (server: write log).
async function latency(opts) {
  const n = Number(opts.notifications);
  const rate = Number(opts.rate);
  const timeoutMs = Number(opts['timeout-s'] || 120) * 1000;
  const admin = opts.admin;
  const external = Boolean(opts['token-url']);
  let auth = {};
  let serverId = (id) => id; // bench patient id -> the server's
  if (external) {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: opts['client-id'],
      client_secret: process.env.FHIR_LOAD_CLIENT_SECRET || '' });
    const t = await fetch(opts['token-url'], { method: 'POST', body: form });
    if (!t.ok) throw new Error(`token: HTTP ${t.status}`);
    auth = { authorization: `Bearer ${(await t.json()).access_token}` };
    const map = JSON.parse(fs.readFileSync(opts['id-map'], 'utf8'));
    serverId = (id) => (map[`Patient/${id}`] || `Patient/${id}`).substring('Patient/'.length);
  } else {
    const set = await request('POST', `${admin}/admin/write-log`, { types: ['Observation', 'Flag', 'CarePlan'] }, {
      'content-type': 'application/json',
    });
    if (set.status !== 200) throw new Error(`write-log: HTTP ${set.status} (start the server from this branch)`);
  }
  const samples = [];
  // --notify URL: this process also delivers each created Observation to the daemon's endpoint
  // itself, as a Medplum rest-hook (the bare resource, x-medplum-interaction), right after the
  // server's 201, and times the daemon's answer from an otherwise idle process. (The server's
  // own delivery log times it too, but from inside the busy FHIR server's event loop.) The
  // daemon then receives every Observation twice: 2 x --rate notifications/s.
  let probe;
  if (opts.notify) {
    const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const secretHeaders = opts['notify-secret'] ? { 'x-bonewatch-secret': opts['notify-secret'] } : {};
    const post = (body, headers) =>
      new Promise((resolve, reject) => {
        const data = Buffer.from(JSON.stringify(body));
        const req = http.request(
          opts.notify,
          {
            method: 'POST',
            agent: probeAgent,
            headers: { 'content-type': 'application/fhir+json', 'content-length': data.length, ...headers },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    probe = async (s, resource) => {
      const t0 = now();
      try {
        s.probeStatus = await post(resource, { ...secretHeaders, 'x-medplum-interaction': 'create' });
      } catch (err) {
        s.probeStatus = 0;
      }
      s.probeMs = now() - t0;
    };
  }
  // Warm the connection pool so that the first requests do not pay for connects.
  await Promise.all(Array.from({ length: 8 }, () => request('GET', `${opts.fhir}/metadata`)));
  const start = now() + 200;
  const sends = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await sleep(wait - 1);
    while (now() < due) {
      /* spin the last millisecond */
    }
    const s = { i, patient: serverId(latencyPatientId(i + 1)), due, sent: now() };
    samples.push(s);
    sends.push(
      request('POST', `${opts.fhir}/Observation`, dxaObservation(s.patient), {
        prefer: probe || external ? 'return=representation' : 'return=minimal',
        ...auth,
      }).then(
        (r) => {
          s.answered = now();
          s.status = r.status;
          if (external && r.json?.meta?.lastUpdated) s.committed = Date.parse(r.json.meta.lastUpdated);
          if (probe && r.status === 201 && r.json) return probe(s, r.json);
          return undefined;
        },
        (err) => {
          s.answered = now();
          s.status = 0;
          s.error = err.message;
        },
      ),
    );
  }
  await Promise.all(sends);
  const sendEnd = now();
  if (external) return externalResult(opts, samples, { n, rate, start, sendEnd, timeoutMs, auth, probe });
  // Collect the write log until every patient has its osteoporosis Flag (or the timeout).
  const records = [];
  let since = 0;
  const firstFlag = new Map(); // Patient/id -> first Flag write record after the send
  const osteoFlag = new Map();
  const careplan = new Map();
  const observationCommit = new Map();
  const observationId = new Map(); // Patient/id -> Observation/id
  const wanted = new Set(samples.map((s) => `Patient/${s.patient}`));
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const r = await request('GET', `${admin}/admin/write-log?since=${since}`);
    since = r.json.next;
    for (const rec of r.json.records) {
      records.push(rec);
      if (!wanted.has(rec.subject)) continue;
      if (rec.type === 'Observation' && !observationCommit.has(rec.subject)) {
        observationCommit.set(rec.subject, rec.at);
        observationId.set(rec.subject, `Observation/${rec.id}`);
      }
      if (rec.type === 'Flag' && !firstFlag.has(rec.subject)) firstFlag.set(rec.subject, rec.at);
      if (rec.type === 'Flag' && rec.code === 'osteoporosis' && !osteoFlag.has(rec.subject)) osteoFlag.set(rec.subject, rec.at);
      if (rec.type === 'CarePlan' && !careplan.has(rec.subject)) careplan.set(rec.subject, rec.at);
    }
    if (osteoFlag.size >= wanted.size) break;
    await sleep(200);
  }
  // When the daemon's endpoint answered the (first successful) rest-hook delivery: the server's
  // delivery log, ms resolution.
  const delivered = new Map();
  const answerMs = new Map(); // Observation/id -> the daemon's answer time of that delivery
  const deliveries = (await request('GET', `${admin}/admin/deliveries`)).json.deliveries;
  for (const d of deliveries) {
    if (d.status >= 200 && d.status < 300 && !delivered.has(d.resource)) {
      delivered.set(d.resource, Date.parse(d.at));
      answerMs.set(d.resource, d.ms);
    }
  }
  const failedDeliveries = deliveries.filter((d) => !(d.status >= 200 && d.status < 300)).length;
  for (const s of samples) {
    const ref = `Patient/${s.patient}`;
    s.delivered = delivered.get(observationId.get(ref));
    s.answerMs = answerMs.get(observationId.get(ref));
    s.committed = observationCommit.get(ref);
    s.flag = osteoFlag.get(ref);
    s.firstFlag = firstFlag.get(ref);
    s.carePlan = careplan.get(ref);
  }
  const write = percentiles(samples.map((s) => s.answered - s.sent));
  const flag = percentiles(samples.map((s) => s.flag - s.sent));
  const result = {
    notifications: n,
    rate,
    achievedRate: n / ((samples[n - 1].sent - samples[0].sent) / 1000 || 1) ,
    sendLateMaxMs: Math.max(...samples.map((s) => s.sent - s.due)),
    sendSeconds: (sendEnd - start) / 1000,
    writeErrors: samples.filter((s) => s.status !== 201).length,
    missingFlags: samples.filter((s) => s.flag === undefined).length,
    serverWriteMs: write,
    notificationToFlagMs: flag,
    commitToFlagMs: percentiles(samples.map((s) => s.flag - s.committed)),
    commitToDeliveredMs: percentiles(samples.map((s) => s.delivered - s.committed)),
    // The rest-hook request's start to the daemon's whole response (tests/fhir-server's delivery log).
    answerMs: percentiles(samples.map((s) => s.answerMs)),
    // The same, from this process (--notify): the daemon's answer to a direct delivery.
    probeAnswerMs: probe ? percentiles(samples.map((s) => s.probeMs)) : undefined,
    probeErrors: probe ? samples.filter((s) => s.probeStatus !== 200).length : undefined,
    deliveredToFlagMs: percentiles(samples.map((s) => s.flag - s.delivered)),
    failedDeliveries,
    firstFlagWriteMs: percentiles(samples.map((s) => s.firstFlag - s.sent)),
    carePlanWriteMs: percentiles(samples.map((s) => s.carePlan - s.sent)),
    p99DifferenceMs: flag.p99 - write.p99,
    flagWrites: records.filter((r) => r.type === 'Flag').length,
    carePlanWrites: records.filter((r) => r.type === 'CarePlan').length,
  };
  fs.writeFileSync(opts.out, JSON.stringify({ result, samples }, null, 1));
  console.log(JSON.stringify(result, null, 1));
}

// The external server's side: each patient's osteoporosis Flag written after the run started,
// by its meta.lastUpdated (the earliest seen; a later update of it moves lastUpdated, so the
// search is repeated while Flags are missing) (the server's clock: run the bench on the server's machine).
async function externalResult(opts, samples, { n, rate, start, sendEnd, timeoutMs, auth, probe }) {
  const since = new Date(start - 1000).toISOString();
  const wanted = new Set(samples.map((s) => `Patient/${s.patient}`));
  const flag = new Map();
  const flagId = new Map();
  const deadline = now() + timeoutMs;
  while (now() < deadline && flag.size < wanted.size) {
    let url = `${opts.fhir}/Flag?_lastUpdated=ge${encodeURIComponent(since)}&_count=1000`;
    while (url) {
      const r = await request('GET', url, undefined, auth);
      if (r.status !== 200) throw new Error(`GET Flag: HTTP ${r.status}`);
      for (const e of r.json.entry || []) {
        if (!(e.resource.code?.coding || []).some((c) => c.code === 'osteoporosis')) continue; // Flag has no code search
        const ref = e.resource.subject?.reference;
        const at = Date.parse(e.resource.meta.lastUpdated);
        if (wanted.has(ref) && !(flag.get(ref) <= at)) {
          flag.set(ref, at);
          flagId.set(ref, e.resource.id);
        }
      }
      url = (r.json.link || []).find((l) => l.relation === 'next')?.url;
    }
    if (flag.size < wanted.size) await sleep(500);
  }
  // A Flag updated since its creation shows its last update: take its first version's time.
  for (const [ref, id] of flagId) {
    const h = await request('GET', `${opts.fhir}/Flag/${id}/_history?_count=100`, undefined, auth);
    if (h.status !== 200) continue;
    const times = (h.json.entry || []).map((e) => Date.parse(e.resource?.meta?.lastUpdated)).filter(Number.isFinite);
    if (times.length) flag.set(ref, Math.min(...times));
  }
  for (const s of samples) s.flag = flag.get(`Patient/${s.patient}`);
  const write = percentiles(samples.map((s) => s.answered - s.sent));
  const toFlag = percentiles(samples.map((s) => s.flag - s.sent));
  const result = {
    server: opts.fhir,
    notifications: n,
    rate,
    achievedRate: n / ((samples[n - 1].sent - samples[0].sent) / 1000 || 1),
    sendLateMaxMs: Math.max(...samples.map((s) => s.sent - s.due)),
    sendSeconds: (sendEnd - start) / 1000,
    writeErrors: samples.filter((s) => s.status !== 201).length,
    missingFlags: samples.filter((s) => s.flag === undefined).length,
    serverWriteMs: write,
    notificationToFlagMs: toFlag,
    commitToFlagMs: percentiles(samples.map((s) => s.flag - s.committed)),
    probeAnswerMs: probe ? percentiles(samples.map((s) => s.probeMs)) : undefined,
    probeErrors: probe ? samples.filter((s) => s.probeStatus !== 200).length : undefined,
    p99DifferenceMs: toFlag.p99 - write.p99,
  };
  fs.writeFileSync(opts.out, JSON.stringify({ result, samples }, null, 1));
  console.log(JSON.stringify(result, null, 1));
}

async function waitConverged(opts) {
  const deadline = now() + Number(opts.timeout || 300) * 1000;
  let stable = 0;
  let last = '';
  while (now() < deadline) {
    try {
      const r = await request('GET', `${opts.ops}/status`);
      last = r.text;
      stable = r.json?.converged && r.json.inbox === 0 ? stable + 1 : 0;
      if (stable >= 3) {
        console.log(last);
        return;
      }
    } catch (err) {
      last = err.message;
      stable = 0;
    }
    await sleep(500);
  }
  throw new Error(`not converged: ${last}`);
}

function readRss(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number((new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text) || [])[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// Samples VmRSS/VmHWM until the process is gone (or SIGTERM): "ms_since_start rss_kB hwm_kB".
async function sampleRss(opts) {
  const interval = Number(opts['interval-ms'] || 100);
  const out = fs.openSync(opts.out, 'w');
  const started = now();
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  while (!stop) {
    let m;
    try {
      m = readRss(opts.pid);
    } catch {
      break;
    }
    fs.writeSync(out, `${Math.round(now() - started)} ${m.rss} ${m.hwm}\n`);
    await sleep(interval);
  }
  fs.closeSync(out);
}

async function count(opts) {
  const [type, params = ''] = opts._;
  const r = await request('GET', `${opts.fhir}/${type}?_summary=count${params ? '&' + params : ''}`);
  console.log(r.json.total);
}

// Prints the table from WORK/{latency.json,idle.json,backfill.json}.
function summary(opts) {
  const read = (f) => {
    const p = path.join(opts.dir, f);
    return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : undefined;
  };
  const lat = read('latency.json')?.result;
  const idle = read('idle.json');
  const bf = read('backfill.json');
  const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) + ' MB' : 'n/a');
  const rows = [];
  const row = (what, value, target = '') => rows.push([what, value, target]);
  if (lat) {
    const line = (p) => !p ? "n/a" : `p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  p99 ${ms(p.p99)}  max ${ms(p.max)} ms (n=${p.n})`;
    if (lat.server) row('external server', lat.server);
    row(`server write (POST Observation round trip), ${lat.notifications} at ${lat.rate}/s`, line(lat.serverWriteMs));
    row('notification -> osteoporosis Flag committed (from send)', line(lat.notificationToFlagMs));
    row('  Observation committed -> Flag committed (server clock)', line(lat.commitToFlagMs));
    row('  Observation committed -> rest-hook answered by the daemon', line(lat.commitToDeliveredMs));
    row('  rest-hook answered -> Flag committed', line(lat.deliveredToFlagMs));
    if (lat.answerMs) row('rest-hook answer time, seen by the FHIR server (its delivery log)', line(lat.answerMs));
    if (lat.probeAnswerMs) {
      row('rest-hook answer time, direct deliveries from the bench client', line(lat.probeAnswerMs), 'p99 <= 10 ms');
      row('  direct deliveries not answered 200', `${lat.probeErrors}`, '0');
    }
    row('  -> first Flag write of the patient', line(lat.firstFlagWriteMs));
    row('  -> first CarePlan write of the patient', line(lat.carePlanWriteMs));
    row('p99(notification->Flag) - p99(server write)', `${ms(lat.p99DifferenceMs)} ms`, '<= 50 ms');
    row('write errors / Flags missing / failed deliveries', `${lat.writeErrors} / ${lat.missingFlags} / ${lat.failedDeliveries}`, '0 / 0 / 0');
    row('send rate achieved, sender lateness max', `${lat.achievedRate.toFixed(1)}/s, ${ms(lat.sendLateMaxMs)} ms`);
  }
  if (idle) {
    for (const [k, v] of Object.entries(idle)) row(`daemon RSS ${k}`, `VmRSS ${mb(v.rss)}, VmHWM ${mb(v.hwm)}`, k.startsWith('idle') ? '<= 30 MB' : '');
  }
  if (bf) {
    // The command's last progress line: "backfill: done/total patients, rate/s, ETA n s" (the
    // rate counts from after the in-scope search). A run stopped early has done < total.
    const err = path.join(opts.dir, 'backfill.err');
    const lines = fs.existsSync(err) ? fs.readFileSync(err, 'utf8').split(/[\r\n]+/) : [];
    const last = lines.map((l) => /^backfill: (\d+)\/(\d+) patients, ([\d.]+)\/s/.exec(l)).filter(Boolean).pop();
    const [done, total, rate] = last ? [Number(last[1]), Number(last[2]), Number(last[3])] : [NaN, NaN, NaN];
    row(`backfill: patients generated / in scope / processed`, `${bf.patients} / ${total} / ${done}${done < total ? ' (stopped early)' : ''}`);
    row('backfill: resources on the server', String(bf.resources));
    row('backfill: duration (incl. in-scope search), processed/s', `${bf.seconds.toFixed(1)} s, ${(done / bf.seconds).toFixed(1)}/s`);
    row('backfill: per-patient phase rate (progress line)', `${rate}/s`);
    row('backfill: peak RSS (max VmHWM)', mb(bf.peakHwmKb), '<= 200 MB');
    row('backfill: RSS at 25/50/75/100 % of the run', bf.rssQuartilesKb.map(mb).join(', '));
    row('backfill: exit status, Flags / CarePlans written', `${bf.exit}, ${bf.flags} / ${bf.carePlans}`);
  }
  const w = [0, 1].map((c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`);
}

// Backfill figures from the sample file: peak VmHWM, RSS at quartiles of the run.
function rssStats(opts) {
  const lines = fs.readFileSync(opts.samples, 'utf8').trim().split('\n').filter(Boolean);
  const samples = lines.map((l) => l.split(' ').map(Number));
  const at = (f) => samples[Math.min(samples.length - 1, Math.floor(f * (samples.length - 1)))]?.[1];
  const peak = Math.max(...samples.map((s) => s[2]));
  console.log(JSON.stringify({ samples: samples.length, peakHwmKb: peak, rssQuartilesKb: [0.25, 0.5, 0.75, 1].map(at) }));
}

const commands = {
  'latency-cohort': latencyCohort,
  load,
  latency,
  'wait-converged': waitConverged,
  rss: (o) => {
    const m = readRss(o.pid);
    console.log(JSON.stringify(m));
  },
  'sample-rss': sampleRss,
  'rss-stats': rssStats,
  count,
  summary,
};
const [cmd, ...rest] = process.argv.slice(2);
if (!commands[cmd]) {
  console.error(`usage: bench_daemon.js (${Object.keys(commands).join('|')}) ...`);
  process.exit(2);
}
Promise.resolve(commands[cmd](parse(rest)))
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(`bench_daemon.js ${cmd}: ${err.stack || err}`);
    process.exit(1);
  });
