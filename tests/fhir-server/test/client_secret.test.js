'use strict';
// The token endpoint with client secrets (client_secret_basic and client_secret_post), short-lived
// tokens, and revoking every token at once (POST /admin/auth/revoke, like a Medplum Redis restart).
const assert = require('node:assert/strict');
const { after, before, beforeEach, test } = require('node:test');
const { startServer, request, sleep } = require('./helpers');

let s;
before(async () => (s = await startServer()));
after(() => s.stop());
beforeEach(() => s.reset());

const SECRET = 's3cr:et/+% x';
const form = (fields) => new URLSearchParams({ grant_type: 'client_credentials', ...fields }).toString();
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function token(body, headers = {}) {
  return request('POST', `${s.origin}/auth/token`, body, {
    'content-type': 'application/x-www-form-urlencoded',
    ...headers,
  });
}

async function enable(lifetime = 300, clients = undefined) {
  const r = await s.admin('POST', 'auth', {
    mode: 'smart',
    clients: clients || [
      { clientId: 'bone watch', clientSecret: SECRET },
      { clientId: 'post-only', clientSecret: 'p', authMethods: ['client_secret_post'] },
    ],
    tokenLifetimeSeconds: lifetime,
  });
  assert.equal(r.status, 200, r.body);
}

const bearer = (t) => ({ authorization: `Bearer ${t.json.access_token}` });

test('client_secret_basic: form-urlencoded id and secret in HTTP Basic', async () => {
  await enable();
  const t = await token(form({ scope: 'system/*.rs' }), { authorization: basic('bone watch', SECRET) });
  assert.equal(t.status, 200, t.body);
  assert.equal(t.json.token_type, 'bearer');
  assert.equal(t.json.expires_in, 300);
  assert.equal(t.json.scope, 'system/*.rs');
  assert.equal(t.headers['cache-control'], 'no-store');
  assert.equal((await s.fhir('GET', 'Patient', undefined, bearer(t))).status, 200);
  assert.equal((await s.fhir('GET', 'Patient')).status, 401);
});

test('client_secret_post: id and secret in the form', async () => {
  await enable();
  const t = await token(form({ client_id: 'bone watch', client_secret: SECRET }));
  assert.equal(t.status, 200, t.body);
  assert.equal((await s.fhir('GET', 'Patient', undefined, bearer(t))).status, 200);
  const postOnly = await token(form({ client_id: 'post-only', client_secret: 'p' }));
  assert.equal(postOnly.status, 200, postOnly.body);
});

test('wrong secrets, unknown clients, disallowed and mixed methods are refused', async () => {
  await enable();
  const cases = [
    [form({}), { authorization: basic('bone watch', 'wrong') }, 401],
    [form({ client_id: 'bone watch', client_secret: 'wrong' }), {}, 401],
    [form({ client_id: 'nobody', client_secret: SECRET }), {}, 401],
    [form({}), { authorization: basic('post-only', 'p') }, 401],
    [form({ client_id: 'bone watch', client_secret: SECRET }), { authorization: basic('bone watch', SECRET) }, 400],
    [form({}), { authorization: 'Basic !!!' }, 401],
    [form({}), {}, 400], // no client authentication at all (no assertion either)
  ];
  for (const [body, headers, status] of cases) {
    const r = await token(body, headers);
    assert.equal(r.status, status, `${JSON.stringify(headers)} ${body}: ${r.body}`);
    assert.ok(r.json.error, r.body);
    assert.ok(!r.body.includes(SECRET) && !r.body.includes(encodeURIComponent(SECRET)), r.body);
  }
  const grant = await token('grant_type=password', { authorization: basic('bone watch', SECRET) });
  assert.equal(grant.status, 400);
  assert.equal(grant.json.error, 'unsupported_grant_type');
  // authMethods are checked when the client is registered.
  const bad = await s.admin('POST', 'auth', { mode: 'smart', clients: [{ clientId: 'x', clientSecret: 's', authMethods: ['magic'] }] });
  assert.equal(bad.status, 400);
});

test('tokens are short-lived', async () => {
  await enable(1);
  const t = await token(form({}), { authorization: basic('bone watch', SECRET) });
  assert.equal(t.json.expires_in, 1);
  assert.equal((await s.fhir('GET', 'Patient', undefined, bearer(t))).status, 200);
  await sleep(1100);
  const expired = await s.fhir('GET', 'Patient', undefined, bearer(t));
  assert.equal(expired.status, 401);
  assert.match(expired.headers['www-authenticate'], /invalid_token/);
});

test('revoking every token: old ones get 401, new ones work, counted in stats', async () => {
  await enable();
  const a = await token(form({}), { authorization: basic('bone watch', SECRET) });
  const b = await token(form({ client_id: 'post-only', client_secret: 'p' }));
  assert.equal((await s.fhir('GET', 'Patient', undefined, bearer(a))).status, 200);
  const revoked = await s.admin('POST', 'auth/revoke');
  assert.equal(revoked.status, 200);
  assert.equal(revoked.json.revoked, 2);
  for (const t of [a, b]) {
    const r = await s.fhir('GET', 'Patient', undefined, bearer(t));
    assert.equal(r.status, 401);
    assert.match(r.headers['www-authenticate'], /Unknown access token/);
  }
  const fresh = await token(form({}), { authorization: basic('bone watch', SECRET) });
  assert.equal((await s.fhir('GET', 'Patient', undefined, bearer(fresh))).status, 200);
  const stats = (await s.admin('GET', 'stats')).json;
  assert.equal(stats.tokenRequests, 3);
  assert.equal(stats.unauthorized, 2);
});

test('discovery advertises the secret methods', async () => {
  await enable();
  const conf = await s.fhir('GET', '.well-known/smart-configuration');
  assert.ok(conf.json.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  assert.ok(conf.json.token_endpoint_auth_methods_supported.includes('client_secret_post'));
  assert.ok(conf.json.capabilities.includes('client-confidential-symmetric'));
});
