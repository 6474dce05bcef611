'use strict';
// Authentication modes for the FHIR endpoints (set through /admin/auth) and the OAuth2 token
// endpoint: client_credentials grant, authenticated with a private_key_jwt client assertion
// (SMART Backend Services, RS384 or ES384) or a client secret (client_secret_basic or
// client_secret_post, RFC 6749 section 2.3.1; SMART's client-confidential-symmetric).
const crypto = require('node:crypto');

const REALM = 'bonewatch-test-fhir';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_SKEW_S = 5;

class Auth {
  constructor() {
    this.reset();
  }

  reset() {
    this.mode = 'none';
    this.config = {};
    this.clients = new Map(); // clientId -> {alg, key} or {secret, methods}
    this.tokens = new Map(); // access token -> {clientId, scope, expiresAt}
    this.usedJtis = new Map(); // jti -> expiry ms
  }

  // Returns an error string, or undefined on success.
  configure(body) {
    const mode = body?.mode;
    if (mode === 'none') {
      this.reset();
      return undefined;
    }
    if (mode === 'bearer') {
      if (!body.token) return 'token is required';
      this.reset();
      this.mode = mode;
      this.config = { token: String(body.token) };
      return undefined;
    }
    if (mode === 'basic') {
      if (body.username === undefined || body.password === undefined) {
        return 'username and password are required';
      }
      this.reset();
      this.mode = mode;
      this.config = { username: String(body.username), password: String(body.password) };
      return undefined;
    }
    if (mode === 'smart') {
      const clients = new Map();
      for (const c of body.clients || []) {
        if (c.clientId && c.clientSecret !== undefined && c.publicKeyPem === undefined) {
          const error = secretClientError(c);
          if (error) return error;
          clients.set(String(c.clientId), { secret: String(c.clientSecret), methods: c.authMethods || SECRET_METHODS });
          continue;
        }
        if (!c.clientId || !c.publicKeyPem) return 'each client needs clientId and publicKeyPem or clientSecret';
        if (c.alg && c.alg !== 'RS384' && c.alg !== 'ES384') return `unsupported alg ${c.alg}`;
        let key;
        try {
          key = crypto.createPublicKey(c.publicKeyPem);
        } catch (err) {
          return `client ${c.clientId}: bad publicKeyPem: ${err.message}`;
        }
        clients.set(String(c.clientId), { alg: c.alg, key });
      }
      const lifetime = body.tokenLifetimeSeconds === undefined ? 300 : Number(body.tokenLifetimeSeconds);
      if (!(lifetime > 0)) return 'tokenLifetimeSeconds must be > 0';
      this.reset();
      this.mode = mode;
      this.clients = clients;
      this.config = { tokenLifetimeSeconds: lifetime };
      return undefined;
    }
    return `unknown mode ${mode}`;
  }

  // Checks the credentials of a FHIR request. Returns undefined when allowed, else
  // {wwwAuthenticate, message}.
  check(authorization) {
    if (this.mode === 'none') return undefined;
    const header = String(authorization || '');
    if (this.mode === 'basic') {
      const m = /^Basic\s+(\S+)$/i.exec(header);
      const expected = Buffer.from(`${this.config.username}:${this.config.password}`).toString('base64');
      if (m && m[1] === expected) return undefined;
      return { wwwAuthenticate: `Basic realm="${REALM}"`, message: m ? 'Invalid credentials' : 'Missing Basic credentials' };
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      return { wwwAuthenticate: `Bearer realm="${REALM}"`, message: 'Missing bearer token' };
    }
    if (this.mode === 'bearer') {
      if (m[1] === this.config.token) return undefined;
      return invalidToken('Invalid bearer token');
    }
    const token = this.tokens.get(m[1]);
    if (!token) return invalidToken('Unknown access token');
    if (Date.now() >= token.expiresAt) return invalidToken('Access token expired');
    return undefined;
  }

  // Token endpoint. `form` is a URLSearchParams, `authorization` the request's Authorization
  // header. Returns {status, body}.
  token(form, tokenUrl, authorization) {
    const fail = (status, error, description) => ({
      status,
      body: { error, error_description: description },
    });
    if (this.mode !== 'smart') {
      return fail(401, 'invalid_client', 'SMART backend services are not enabled on this server');
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    const basic = /^Basic\s+(\S+)$/i.exec(String(authorization || ''));
    if (basic || form.has('client_secret')) {
      if (basic && (form.has('client_secret') || form.has('client_assertion'))) {
        return fail(400, 'invalid_request', 'more than one client authentication method');
      }
      const credentials = basic ? basicCredentials(basic[1]) : { clientId: form.get('client_id'), secret: form.get('client_secret') };
      if (!credentials) return fail(401, 'invalid_client', 'malformed Basic credentials');
      const checked = this.checkSecret(credentials, basic ? 'client_secret_basic' : 'client_secret_post');
      if (checked) return fail(401, 'invalid_client', checked);
      return this.issue(credentials.clientId, form);
    }
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return fail(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
    }
    const assertion = form.get('client_assertion');
    if (!assertion) return fail(400, 'invalid_request', 'client_assertion is missing');
    const parts = assertion.split('.');
    if (parts.length !== 3) return fail(400, 'invalid_client', 'client_assertion is not a JWS');
    let header;
    let claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return fail(400, 'invalid_client', 'client_assertion is not valid JSON');
    }
    const client = this.clients.get(String(claims.iss));
    if (!client || !client.key) return fail(401, 'invalid_client', `Unknown client ${claims.iss}`);
    if (header.alg !== 'RS384' && header.alg !== 'ES384') {
      return fail(401, 'invalid_client', `Unsupported alg ${header.alg}`);
    }
    if (client.alg && header.alg !== client.alg) {
      return fail(401, 'invalid_client', `alg ${header.alg} does not match the registered ${client.alg}`);
    }
    if (!verifySignature(header.alg, client.key, `${parts[0]}.${parts[1]}`, parts[2])) {
      return fail(401, 'invalid_client', 'Signature verification failed');
    }
    if (claims.sub !== claims.iss) return fail(401, 'invalid_client', 'sub must equal iss');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(tokenUrl)) return fail(401, 'invalid_client', `aud must be ${tokenUrl}`);
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      return fail(401, 'invalid_client', 'Assertion expired (exp)');
    }
    if (claims.exp > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) {
      return fail(401, 'invalid_client', 'exp is more than 5 minutes in the future');
    }
    if (!claims.jti) return fail(401, 'invalid_client', 'jti is missing');
    this.forgetExpiredJtis();
    if (this.usedJtis.has(claims.jti)) return fail(401, 'invalid_client', 'jti was already used');
    this.usedJtis.set(claims.jti, claims.exp * 1000);
    return this.issue(claims.iss, form);
  }

  // Returns an error description (never echoing the secret), or undefined when the client
  // authenticated with the right secret by an allowed method.
  checkSecret({ clientId, secret }, method) {
    const client = this.clients.get(String(clientId));
    if (!client || client.secret === undefined) return `Unknown client ${clientId}`;
    if (!client.methods.includes(method)) return `client ${clientId} may not use ${method}`;
    const a = Buffer.from(String(secret ?? ''));
    const b = Buffer.from(client.secret);
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return 'Invalid client secret';
    return undefined;
  }

  issue(clientId, form) {
    const lifetime = this.config.tokenLifetimeSeconds;
    const accessToken = crypto.randomBytes(24).toString('base64url');
    const scope = form.get('scope') || 'system/*.*';
    this.tokens.set(accessToken, { clientId, scope, expiresAt: Date.now() + lifetime * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'bearer', expires_in: lifetime, scope },
    };
  }

  // Forgets every issued token (like Medplum losing its Redis): each one now gets 401.
  revokeAll() {
    const revoked = this.tokens.size;
    this.tokens.clear();
    return revoked;
  }

  forgetExpiredJtis() {
    const now = Date.now();
    for (const [jti, exp] of this.usedJtis) if (exp < now) this.usedJtis.delete(jti);
  }
}

const SECRET_METHODS = ['client_secret_basic', 'client_secret_post'];

function secretClientError(c) {
  if (!String(c.clientSecret)) return `client ${c.clientId}: empty clientSecret`;
  if (c.authMethods !== undefined) {
    if (!Array.isArray(c.authMethods) || c.authMethods.some((m) => !SECRET_METHODS.includes(m))) {
      return `client ${c.clientId}: authMethods must be a list of ${SECRET_METHODS.join(', ')}`;
    }
  }
  return undefined;
}

// RFC 6749 2.3.1: base64(form-urlencoded id ":" form-urlencoded secret).
function basicCredentials(base64) {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (t) => {
    try {
      return decodeURIComponent(t.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  };
  const clientId = decode(text.slice(0, colon));
  const secret = decode(text.slice(colon + 1));
  return clientId === undefined || secret === undefined ? undefined : { clientId, secret };
}

function invalidToken(message) {
  return {
    wwwAuthenticate: `Bearer realm="${REALM}", error="invalid_token", error_description="${message}"`,
    message,
  };
}

function verifySignature(alg, key, signingInput, signature) {
  try {
    const sig = Buffer.from(signature, 'base64url');
    const keyObject = alg === 'ES384' ? { key, dsaEncoding: 'ieee-p1363' } : key;
    return crypto.verify('sha384', Buffer.from(signingInput), keyObject, sig);
  } catch {
    return false;
  }
}

function smartConfiguration(tokenUrl) {
  return {
    token_endpoint: tokenUrl,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', ...SECRET_METHODS],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: ['system/*.read', 'system/*.write', 'system/*.*'],
    capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric'],
  };
}

module.exports = { Auth, smartConfiguration };
