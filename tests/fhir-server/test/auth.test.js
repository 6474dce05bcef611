'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, request, sleep } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
const pem = (k) => k.publicKey.export({ type: 'spki', format: 'pem' });

function assertion(claims, privateKey, alg) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg, typ: 'JWT', kid: 'k1' })}.${enc(claims)}`;
  const key = alg === 'ES384' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey;
  return `${input}.${crypto.sign('sha384', Buffer.from(input), key).toString('base64url')}`;
}

function claims(clientId, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: clientId,
    sub: clientId,
    aud: `${s.origin}/auth/token`,
    exp: now + 240,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

function tokenRequest(jws) {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: jws,
    scope: 'system/*.read',
  });
  return request('POST', `${s.origin}/auth/token`, form.toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

async function enableSmart(lifetime = 300) {
  const r = await s.admin('POST', 'auth', {
    mode: 'smart',
    clients: [
      { clientId: 'bw-rs', publicKeyPem: pem(rsa), alg: 'RS384' },
      { clientId: 'bw-es', publicKeyPem: pem(ec), alg: 'ES384' },
    ],
    tokenLifetimeSeconds: lifetime,
  });
  assert.equal(r.status, 200, r.body);
}

test('bearer and basic modes; metadata stays open', async () => {
  await s.admin('POST', 'auth', { mode: 'bearer', token: 'abc' });
  const denied = await s.fhir('GET', 'Patient');
  assert.equal(denied.status, 401);
  assert.equal(denied.json.resourceType, 'OperationOutcome');
  assert.match(denied.headers['www-authenticate'], /^Bearer/);
  assert.equal((await s.fhir('GET', 'Patient', undefined, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await s.fhir('GET', 'Patient', undefined, { authorization: 'Bearer abc' })).status, 200);
  assert.equal((await s.fhir('GET', 'metadata')).status, 200);

  await s.admin('POST', 'auth', { mode: 'basic', username: 'u', password: 'p' });
  const basic = await s.fhir('GET', 'Patient');
  assert.equal(basic.status, 401);
  assert.match(basic.headers['www-authenticate'], /^Basic/);
  const good = `Basic ${Buffer.from('u:p').toString('base64')}`;
  assert.equal((await s.fhir('GET', 'Patient', undefined, { authorization: good })).status, 200);
  await s.admin('POST', 'auth', { mode: 'none' });
  assert.equal((await s.fhir('GET', 'Patient')).status, 200);
});

test('SMART discovery and CapabilityStatement oauth-uris', async () => {
  await enableSmart();
  const conf = await s.fhir('GET', '.well-known/smart-configuration');
  assert.equal(conf.status, 200);
  assert.equal(conf.json.token_endpoint, `${s.origin}/auth/token`);
  assert.ok(conf.json.grant_types_supported.includes('client_credentials'));
  assert.deepEqual(conf.json.token_endpoint_auth_methods_supported, [
    'private_key_jwt',
    'client_secret_basic',
    'client_secret_post',
  ]);
  assert.deepEqual(conf.json.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
  const meta = await s.fhir('GET', 'metadata');
  const ext = meta.json.rest[0].security.extension[0];
  assert.match(ext.url, /oauth-uris$/);
  assert.equal(ext.extension[0].valueUri, `${s.origin}/auth/token`);
});

for (const [clientId, keys, alg] of [
  ['bw-rs', rsa, 'RS384'],
  ['bw-es', ec, 'ES384'],
]) {
  test(`SMART token round-trip with ${alg}`, async () => {
    await enableSmart();
    const t = await tokenRequest(assertion(claims(clientId), keys.privateKey, alg));
    assert.equal(t.status, 200, t.body);
    assert.equal(t.json.token_type, 'bearer');
    assert.equal(t.json.expires_in, 300);
    assert.equal(t.json.scope, 'system/*.read');
    const ok = await s.fhir('GET', 'Patient', undefined, { authorization: `Bearer ${t.json.access_token}` });
    assert.equal(ok.status, 200);
    assert.equal((await s.admin('GET', 'stats')).json.tokenRequests, 1);
  });
}

test('SMART rejects a wrong key, wrong aud, reused jti and a too-long exp', async () => {
  await enableSmart();
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrongKey = await tokenRequest(assertion(claims('bw-rs'), other.privateKey, 'RS384'));
  assert.equal(wrongKey.status, 401);
  assert.equal(wrongKey.json.error, 'invalid_client');
  const wrongAlg = await tokenRequest(assertion(claims('bw-rs'), ec.privateKey, 'ES384'));
  assert.equal(wrongAlg.status, 401);
  const wrongAud = await tokenRequest(assertion(claims('bw-rs', { aud: 'http://x/token' }), rsa.privateKey, 'RS384'));
  assert.equal(wrongAud.status, 401);
  const longExp = claims('bw-rs', { exp: Math.floor(Date.now() / 1000) + 3600 });
  assert.equal((await tokenRequest(assertion(longExp, rsa.privateKey, 'RS384'))).status, 401);
  const expired = claims('bw-rs', { exp: Math.floor(Date.now() / 1000) - 1 });
  assert.equal((await tokenRequest(assertion(expired, rsa.privateKey, 'RS384'))).status, 401);
  const c = claims('bw-rs');
  assert.equal((await tokenRequest(assertion(c, rsa.privateKey, 'RS384'))).status, 200);
  const reused = await tokenRequest(assertion(c, rsa.privateKey, 'RS384'));
  assert.equal(reused.status, 401);
  assert.match(reused.json.error_description, /jti/);
  const unknown = await tokenRequest(assertion(claims('nobody'), rsa.privateKey, 'RS384'));
  assert.equal(unknown.status, 401);
  assert.equal((await s.fhir('GET', 'Patient', undefined, { authorization: 'Bearer made-up' })).status, 401);
});

test('SMART tokens expire after tokenLifetimeSeconds', async () => {
  await enableSmart(1);
  const t = await tokenRequest(assertion(claims('bw-es'), ec.privateKey, 'ES384'));
  assert.equal(t.json.expires_in, 1);
  const auth = { authorization: `Bearer ${t.json.access_token}` };
  assert.equal((await s.fhir('GET', 'Patient', undefined, auth)).status, 200);
  await sleep(1100);
  const expired = await s.fhir('GET', 'Patient', undefined, auth);
  assert.equal(expired.status, 401);
  assert.match(expired.headers['www-authenticate'], /invalid_token/);
});

test('token endpoint faults only with a matching path', async () => {
  await enableSmart();
  await s.admin('POST', 'faults', { count: 1, status: 503 });
  assert.equal((await tokenRequest(assertion(claims('bw-rs'), rsa.privateKey, 'RS384'))).status, 200);
  await s.admin('POST', 'faults', { count: 1, status: 503, path: '/auth/token' });
  assert.equal((await tokenRequest(assertion(claims('bw-rs'), rsa.privateKey, 'RS384'))).status, 503);
});
