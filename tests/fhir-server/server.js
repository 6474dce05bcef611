#!/usr/bin/env node
'use strict';
// BoneWatch test FHIR server: Medplum's in-memory repository behind a plain node:http server.
//
//   node server.js [--port N] [--host 127.0.0.1] [--no-validate] [--ignore-stdin] [--indexed]
//                  [--mode default|medplum] [--atomic-transactions]
//
// Prints exactly one line "LISTENING <port>" on stdout when ready. Exits on SIGTERM/SIGINT and
// when stdin closes (unless --ignore-stdin), so a crashed parent never leaves it orphaned.
//   FHIR base:      http://127.0.0.1:<port>/fhir
//   admin API:      http://127.0.0.1:<port>/admin/{reset,faults,stats,auth,auth/revoke,
//                                                   deliveries,write-log,load,mode}
//   token endpoint: http://127.0.0.1:<port>/auth/token
// See README.md for the full contract.
const http = require('node:http');

try {
  require('./lib/definitions').loadDefinitions();
} catch (err) {
  if (err.code === 'MODULE_NOT_FOUND') {
    console.error(`${err.message}\nRun \`npm ci\` in ${__dirname} (scripts/setup.sh does it).`);
    process.exit(1);
  }
  throw err;
}

const { Auth, smartConfiguration } = require('./lib/auth');
const { Faults } = require('./lib/faults');
const { FhirService } = require('./lib/fhir');
const { ServerMode } = require('./lib/mode');
const { outcome } = require('./lib/outcomes');
const { Store } = require('./lib/store');
const { SubscriptionDispatcher } = require('./lib/subscriptions');
const { WriteLog } = require('./lib/writelog');

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

function parseArgs(argv) {
  const args = {
    port: 0,
    host: '127.0.0.1',
    validate: true,
    watchStdin: true,
    indexed: false,
    mode: 'default',
    atomicTransactions: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') args.port = Number(argv[++i]);
    else if (a === '--host') args.host = argv[++i];
    else if (a === '--no-validate') args.validate = false;
    else if (a === '--ignore-stdin') args.watchStdin = false;
    else if (a === '--indexed') args.indexed = true;
    else if (a === '--mode') args.mode = argv[++i];
    else if (a === '--atomic-transactions') args.atomicTransactions = true;
    else throw new Error(`Unknown argument ${a}`);
  }
  return args;
}

function createServer(options = {}) {
  const mode = new ServerMode({ mode: options.mode, atomicTransactions: options.atomicTransactions });
  const store = new Store({ validate: options.validate !== false, indexed: Boolean(options.indexed), mode });
  const writeLog = new WriteLog();
  const auth = new Auth();
  const faults = new Faults();
  const dispatcher = new SubscriptionDispatcher(store, mode);
  let port = 0;
  const origin = () => `http://127.0.0.1:${port}`;
  const tokenUrl = () => `${origin()}/auth/token`;
  const service = new FhirService({
    store,
    mode,
    baseUrl: () => `${origin()}/fhir`,
    authInfo: () => ({ mode: auth.mode, tokenUrl: tokenUrl() }),
  });
  let stats = newStats();
  // Every FHIR request runs under this one lock: transactions can snapshot/restore the store
  // without another request interleaving, and reads never see a transaction half-done.
  let lock = Promise.resolve();
  const serialized = (fn) => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };

  function resetAll() {
    store.resetState();
    auth.reset();
    faults.clear();
    dispatcher.reset();
    writeLog.reset();
    mode.reset();
    stats = newStats();
  }

  async function handleFhir(req, res, url, body) {
    const sub = url.pathname.substring('/fhir'.length).replace(/^\//, '');
    if (sub === '.well-known/smart-configuration' && req.method === 'GET') {
      return sendJson(res, 200, smartConfiguration(tokenUrl()), 'application/json');
    }
    if (sub !== 'metadata') {
      const denied = auth.check(req.headers.authorization);
      if (denied) {
        stats.unauthorized++;
        return sendJson(res, 401, outcome(401, denied.message), undefined, {
          'WWW-Authenticate': denied.wwwAuthenticate,
        });
      }
    }
    let parsed = body;
    const type = String(req.headers['content-type'] || '');
    if (body.length > 0 && !/x-www-form-urlencoded/.test(type)) {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        return sendJson(res, 400, outcome(400, `Invalid JSON body: ${err.message}`));
      }
    } else if (body.length === 0) {
      parsed = undefined;
    }
    const result = await serialized(async () => {
      const r = await service.handle({
        method: req.method,
        path: sub,
        search: url.search.replace(/^\?/, ''),
        headers: req.headers,
        body: parsed,
      });
      const events = store.takeEvents();
      writeLog.record(events);
      dispatcher.dispatch(events);
      return r;
    });
    if (result.status >= 500) console.error(`${req.method} ${req.url}: ${JSON.stringify(result.body)}`);
    return sendJson(res, result.status, result.body, undefined, result.headers);
  }

  function handleAdmin(req, res, url, body) {
    const what = url.pathname.substring('/admin/'.length);
    let json = {};
    if (body) {
      try {
        json = JSON.parse(body);
      } catch (err) {
        return sendJson(res, 400, { error: `Invalid JSON: ${err.message}` }, 'application/json');
      }
    }
    const ok = (extra) => sendJson(res, 200, { ok: true, ...extra }, 'application/json');
    const bad = (error) => sendJson(res, 400, { error }, 'application/json');
    if (what === 'reset' && req.method === 'POST') {
      resetAll();
      return ok();
    }
    if (what === 'faults' && req.method === 'POST') {
      const error = faults.add(json);
      return error ? bad(error) : ok({ faults: faults.rules.length });
    }
    if (what === 'faults' && req.method === 'DELETE') {
      faults.clear();
      return ok();
    }
    if (what === 'stats' && req.method === 'GET') {
      return sendJson(res, 200, stats, 'application/json');
    }
    if (what === 'auth' && req.method === 'POST') {
      const error = auth.configure(json);
      return error ? bad(error) : ok({ mode: auth.mode });
    }
    if (what === 'auth/revoke' && req.method === 'POST') {
      return ok({ revoked: auth.revokeAll() });
    }
    if (what === 'write-log' && req.method === 'POST') {
      const error = writeLog.configure(json);
      return error ? bad(error) : ok();
    }
    if (what === 'write-log' && req.method === 'GET') {
      return sendJson(res, 200, writeLog.list(Number(url.searchParams.get('since') || 0)), 'application/json');
    }
    if (what === 'load' && req.method === 'POST') {
      return bulkLoad(res, json, url.searchParams.get('validate') !== 'false');
    }
    if (what === 'mode' && req.method === 'POST') {
      const error = mode.configure(json);
      return error ? bad(error) : ok(mode.toJSON());
    }
    if (what === 'mode' && req.method === 'GET') {
      return sendJson(res, 200, mode.toJSON(), 'application/json');
    }
    if (what === 'deliveries' && req.method === 'GET') {
      return sendJson(res, 200, { deliveries: dispatcher.deliveries }, 'application/json');
    }
    return sendJson(res, 404, { error: `No admin route ${req.method} ${url.pathname}` }, 'application/json');
  }

  // POST /admin/load: stores the resources of a Bundle (entry[].resource) or of a JSON array as
  // they are, keeping their ids (PUT semantics: create or new version), with the server's
  // versionId/lastUpdated, history and validation (unless ?validate=false), under the FHIR
  // request lock. For loading large data sets fast; sends no notifications.
  async function bulkLoad(res, json, validate) {
    const resources = Array.isArray(json) ? json : (json?.entry || []).map((e) => e?.resource);
    const result = await serialized(async () => {
      const saved = store.validate;
      store.validate = saved && validate;
      try {
        for (let i = 0; i < resources.length; i++) {
          const r = resources[i];
          if (!r?.resourceType || !r.id) return { status: 400, error: `resource ${i}: resourceType and id are required` };
          try {
            await store.createResource(r);
          } catch (err) {
            return { status: 400, error: `resource ${i} (${r.resourceType}/${r.id}): ${err.message}` };
          }
        }
        return { status: 200, loaded: resources.length };
      } finally {
        store.validate = saved;
        store.takeEvents();
      }
    });
    const { status, ...body } = result;
    return sendJson(res, status, status === 200 ? { ok: true, ...body } : body, 'application/json');
  }

  function handleToken(req, res, body) {
    if (req.method !== 'POST') {
      return sendJson(res, 405, { error: 'invalid_request', error_description: 'POST only' }, 'application/json');
    }
    const result = auth.token(new URLSearchParams(body), tokenUrl(), req.headers.authorization);
    return sendJson(res, result.status, result.body, 'application/json', { 'Cache-Control': 'no-store' });
  }

  // Applies a fault rule. Returns true when the request was fully handled by the fault.
  async function applyFault(req, res, url, isToken) {
    const rule = faults.take(url.pathname + url.search, isToken);
    if (!rule) return false;
    if (rule.drop) {
      req.socket.destroy();
      return true;
    }
    if (rule.hangMs !== undefined) {
      // The request is executed after the hang even if the client has given up meanwhile.
      await new Promise((resolve) => setTimeout(resolve, Math.min(rule.hangMs, MAX_TIMER_MS)));
      return false;
    }
    const headers = {};
    if (rule.retryAfter !== undefined) headers['Retry-After'] = String(rule.retryAfter);
    sendJson(res, rule.status, outcome(rule.status, `Injected fault: HTTP ${rule.status}`), undefined, headers);
    return true;
  }

  async function route(req, res, body) {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/admin/')) return handleAdmin(req, res, url, body);
    if (url.pathname === '/auth/token') {
      stats.tokenRequests++;
      if (await applyFault(req, res, url, true)) return undefined;
      return handleToken(req, res, body);
    }
    if (url.pathname === '/fhir' || url.pathname.startsWith('/fhir/')) {
      stats.requests++;
      stats.byMethod[req.method] = (stats.byMethod[req.method] || 0) + 1;
      if (await applyFault(req, res, url, false)) return undefined;
      return handleFhir(req, res, url, body);
    }
    return sendJson(res, 404, outcome(404, `No route ${url.pathname}`));
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      route(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
        console.error(`${req.method} ${req.url}: ${err.stack || err}`);
        if (!res.headersSent) sendJson(res, 500, outcome(500, String(err.message || err)));
      });
    });
    req.on('error', () => undefined);
  });
  server.keepAliveTimeout = 30000;

  return {
    server,
    listen(listenPort, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenPort, host, () => {
          port = server.address().port;
          resolve(port);
        });
      });
    },
    close() {
      dispatcher.reset();
      server.close();
      server.closeAllConnections();
    },
  };
}

function newStats() {
  return { requests: 0, byMethod: {}, tokenRequests: 0, unauthorized: 0 };
}

function sendJson(res, status, body, contentType = 'application/fhir+json', headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  const h = { ...headers };
  if (text) h['Content-Type'] = `${contentType}; charset=utf-8`;
  h['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(status, h);
  res.end(text);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const app = createServer({
    validate: args.validate,
    indexed: args.indexed,
    mode: args.mode,
    atomicTransactions: args.atomicTransactions,
  });
  const port = await app.listen(args.port, args.host);
  const shutdown = () => {
    app.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (args.watchStdin) {
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
  process.stdout.write(`LISTENING ${port}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err.stack || err);
    process.exit(1);
  });
}

module.exports = { createServer };
