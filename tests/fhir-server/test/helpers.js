'use strict';
// Shared helpers for the self-tests: start the server as the C++ fixture does (child process,
// --port 0, wait for "LISTENING <port>"), and small HTTP helpers.
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

async function startServer(extraArgs = []) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'server.js'), '--port', '0', ...extraArgs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start')), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^LISTENING (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const server = {
    child,
    port,
    origin,
    base: `${origin}/fhir`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
    },
    // FHIR request; `url` is relative to the FHIR base or absolute.
    fhir(method, url, body, headers = {}) {
      const full = /^https?:/.test(url) ? url : `${server.base}/${url.replace(/^\//, '')}`;
      const h = { ...headers };
      let data;
      if (body !== undefined) {
        data = typeof body === 'string' ? body : JSON.stringify(body);
        if (!h['content-type']) h['content-type'] = 'application/fhir+json';
      }
      return request(method, full, data, h);
    },
    admin(method, what, body) {
      return request(method, `${origin}/admin/${what}`, body && JSON.stringify(body), {
        'content-type': 'application/json',
      });
    },
    reset() {
      return server.admin('POST', 'reset');
    },
  };
  return server;
}

// Plain HTTP request (no keep-alive) resolving to {status, headers, body, json}. Rejects on
// network errors.
function request(method, url, data, headers = {}, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

// A rest-hook receiver recording requests.
async function startSink(status = 200) {
  const received = [];
  const waiters = [];
  const sink = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(sink.status);
      res.end();
      waiters.filter((w) => received.length >= w.n).forEach((w) => w.resolve());
    });
  });
  sink.status = status;
  sink.received = received;
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sink.url = (p = '') => `http://127.0.0.1:${sink.address().port}${p}`;
  sink.waitFor = (n, ms = 5000) =>
    new Promise((resolve, reject) => {
      if (received.length >= n) return resolve(received);
      const timer = setTimeout(() => reject(new Error(`only ${received.length}/${n} notifications`)), ms);
      waiters.push({ n, resolve: () => (clearTimeout(timer), resolve(received)) });
    });
  return sink;
}

function patient(extra = {}) {
  return { resourceType: 'Patient', name: [{ family: 'Test' }], ...extra };
}

function observation(subjectRef, code = '38267-1', extra = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: subjectRef },
    ...extra,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { startServer, startSink, request, patient, observation, sleep };
