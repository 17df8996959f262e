#!/usr/bin/env node
// Writes postman/integrity-api.postman_collection.json (Postman collection
// v2.1) from this file, the one place the collection is edited: requests,
// pre-request scripts and tests are plain JavaScript here instead of arrays of
// escaped lines in JSON.
//
//   node postman/build-collection.mjs          write the collection
//   node postman/build-collection.mjs --check  exit 1 if the committed file differs
//
// The collection walks the whole flow with no manual step: sign-up, login with
// Accept: application/json (the otpauth URI), the TOTP code computed in a
// pre-request script with the sandbox's CryptoJS (require('crypto-js')), /verify-2fa, the token kept
// in a collection variable, every product route, and the error cases of
// SPEC.md (§2 to §7), each request with tests on status, headers and body.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'integrity-api.postman_collection.json');

// ---------------------------------------------------------------------------
// Script snippets shared by several requests (copied into each script: the
// Postman sandbox runs every script in its own context).

// RFC 6238 TOTP with CryptoJS: base32 decoded by hand, HMAC-SHA1 keyed with a
// WordArray of the secret's bytes, RFC 4226 dynamic truncation.
const TOTP_LIB = String.raw`
const cryptoJs = require('crypto-js');  // the sandbox's CryptoJS
function base32ToBytes(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const clean = String(text).toUpperCase().replace(/=+$/, '');
    const bytes = [];
    let buffer = 0, bits = 0;
    for (const ch of clean) {
        const value = alphabet.indexOf(ch);
        if (value < 0) { throw new Error('not base32: ' + ch); }
        buffer = (buffer << 5) | value;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            bytes.push((buffer >>> bits) & 0xff);
        }
    }
    return bytes;
}
function bytesToWordArray(bytes) {
    const words = [];
    for (let i = 0; i < bytes.length; i++) {
        words[i >>> 2] |= bytes[i] << (24 - (i % 4) * 8);
    }
    return cryptoJs.lib.WordArray.create(words, bytes.length);
}
function wordArrayToBytes(wa) {
    const bytes = [];
    for (let i = 0; i < wa.sigBytes; i++) {
        bytes.push((wa.words[i >>> 2] >>> (24 - (i % 4) * 8)) & 0xff);
    }
    return bytes;
}
function totp(secretBase32, unixSeconds) {
    const counter = Math.floor(unixSeconds / 30);
    // 8-byte big-endian counter as two 32-bit words
    const message = cryptoJs.lib.WordArray.create([Math.floor(counter / 0x100000000), counter >>> 0], 8);
    const key = bytesToWordArray(base32ToBytes(secretBase32));
    const mac = wordArrayToBytes(cryptoJs.HmacSHA1(message, key));
    const offset = mac[mac.length - 1] & 0x0f;
    const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
    return String(binary % 1000000).padStart(6, '0');
}
`;

// HS256/HS512 tokens made here, for the token error cases of SPEC §5.
const JWT_LIB = String.raw`
const cryptoJs = require('crypto-js');  // the sandbox's CryptoJS
function b64url(wordArray) {
    return cryptoJs.enc.Base64.stringify(wordArray).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}
function jsonPart(object) {
    return b64url(cryptoJs.enc.Utf8.parse(JSON.stringify(object)));
}
function makeJwt(alg, claims, key) {
    const signingInput = jsonPart({ alg: alg, typ: 'JWT' }) + '.' + jsonPart(claims);
    if (alg === 'none') { return signingInput + '.'; }
    const mac = alg === 'HS512' ? cryptoJs.HmacSHA512(signingInput, key) : cryptoJs.HmacSHA256(signingInput, key);
    return signingInput + '.' + b64url(mac);
}
function claims(overrides) {
    const now = Math.floor(Date.now() / 1000);
    const base = {
        sub: pm.collectionVariables.get('username'), iat: now, nbf: now, exp: now + 3600,
        jti: '00000000-0000-4000-8000-' + String(now).padStart(12, '0'), type: 'access', fresh: false
    };
    return Object.assign(base, overrides || {});
}
`;

// Requests that forge a token with the server's key need it: when the
// environment has no jwt_secret (a server whose key you do not hold), skip.
const NEED_SECRET = String.raw`
const secret = pm.environment.get('jwt_secret') || pm.variables.get('jwt_secret');
if (!secret) {
    console.log('jwt_secret is not set: skipping "' + pm.info.requestName + '"');
    pm.execution.skipRequest();
}
`;

const expectError = (status, code, extra = '') => String.raw`
pm.test('status ${status}', function () { pm.response.to.have.status(${status}); });
pm.test('error body ${code}', function () {
    const body = pm.response.json();
    pm.expect(body.error).to.eql('${code}');
    pm.expect(body.message).to.be.a('string').and.not.empty;
${extra}});
`;

const expectMsg = (status, msg) => String.raw`
pm.test('status ${status}', function () { pm.response.to.have.status(${status}); });
pm.test('flask-jwt-extended body', function () {
    const body = pm.response.json();
    pm.expect(Object.keys(body)).to.eql(['msg']);
    ${msg === null ? "pm.expect(body.msg).to.be.a('string').and.not.empty;" : `pm.expect(body.msg).to.eql(${JSON.stringify(msg)});`}
});
`;

const expectValidation = (fields) => expectError(400, 'validation_failed', String.raw`    pm.expect(body.fields).to.be.an('object');
    pm.expect(Object.keys(body.fields).sort()).to.eql(${JSON.stringify([...fields].sort())});
`);

const PRODUCT_SHAPE = String.raw`
function checkProduct(p) {
    pm.expect(Object.keys(p).sort()).to.eql(['description', 'id', 'name', 'price', 'quantity']);
    pm.expect(p.id).to.be.a('number');
    pm.expect(Number.isInteger(p.id) && p.id > 0).to.be.true;
}
`;

// ---------------------------------------------------------------------------
// Request builders.

const JSON_CT = { key: 'Content-Type', value: 'application/json' };
const AUTH = { key: 'Authorization', value: 'Bearer {{access_token}}' };

function lines(code) {
    const out = code.replace(/^\n+/, '').replace(/\s+$/, '').split('\n');
    return out;
}

function url(path, query) {
    const [p] = path.split('?');
    const u = {
        raw: '{{base_url}}' + path,
        host: ['{{base_url}}'],
        path: p.replace(/^\//, '').split('/'),
    };
    if (query) {
        u.raw = '{{base_url}}' + p + '?' + query.map((q) => q.key + '=' + q.value).join('&');
        u.query = query;
    }
    return u;
}

function request(name, { method = 'GET', path, query, headers = [], body, pre, test, description }) {
    const item = { name };
    const events = [];
    if (pre) events.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: lines(pre) } });
    if (test) events.push({ listen: 'test', script: { type: 'text/javascript', exec: lines(test) } });
    if (events.length) item.event = events;
    item.request = { method, header: headers, url: url(path, query) };
    if (description) item.request.description = description;
    if (body !== undefined) {
        item.request.body = {
            mode: 'raw',
            raw: typeof body === 'string' ? body : JSON.stringify(body, null, 2),
            options: { raw: { language: 'json' } },
        };
    }
    return item;
}

function folder(name, description, items) {
    return { name, description, item: items };
}

// ---------------------------------------------------------------------------
// The flow.

const CREDS = { username: '{{username}}', password: '{{password}}' };

const setup = folder('0. Operations', 'Liveness, readiness and the OpenAPI document; picks fresh user names for this run.', [
    request('Health', {
        path: '/healthz',
        pre: String.raw`
// Fresh user names for every run, so the collection can run again and again
// against the same database.
const tag = Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);
pm.collectionVariables.set('username', (pm.environment.get('username_prefix') || 'postman_') + tag);
pm.collectionVariables.set('locked_username', 'locked_' + tag);
if (!pm.environment.get('password') && !pm.variables.get('password')) {
    pm.collectionVariables.set('password', 'mypassword-' + tag);
}
`,
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('body {"status": "ok"}', function () { pm.expect(pm.response.json()).to.eql({ status: 'ok' }); });
`,
    }),
    request('Ready', {
        path: '/readyz',
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('body {"status": "ready"}', function () { pm.expect(pm.response.json()).to.eql({ status: 'ready' }); });
`,
    }),
    request('OpenAPI document', {
        path: '/openapi.yaml',
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('application/yaml', function () {
    pm.expect(pm.response.headers.get('Content-Type')).to.match(/^application\/yaml/);
});
pm.test('OpenAPI 3.1 with every path', function () {
    const text = pm.response.text();
    pm.expect(text).to.match(/^openapi: 3\.1\.\d+/m);
    ['/signup:', '/login:', '/verify-2fa:', '/products:', '/products/{id}:', '/products/{id}/history:', '/healthz:', '/readyz:',
        '/logout:', '/account:', '/account/password:', '/account/recovery-codes:', '/account/2fa/reset:']
        .forEach(function (p) { pm.expect(text).to.include('  ' + p); });
});
`,
    }),
    request('Unknown path is 404', {
        path: '/no-such-path',
        test: expectError(404, 'not_found'),
    }),
    request('Wrong method is 405 with Allow', {
        method: 'DELETE',
        path: '/healthz',
        test: expectError(405, 'method_not_allowed') + String.raw`
pm.test('Allow: GET, HEAD', function () { pm.expect(pm.response.headers.get('Allow')).to.eql('GET, HEAD'); });
`,
    }),
]);

const signup = folder('1. Sign up', 'POST /signup and the request-body rules of SPEC §2 and §3.', [
    request('Sign up', {
        method: 'POST', path: '/signup', headers: [JSON_CT], body: CREDS,
        test: String.raw`
pm.test('status 201', function () { pm.response.to.have.status(201); });
pm.test('body', function () { pm.expect(pm.response.json()).to.eql({ message: 'User registered successfully' }); });
`,
    }),
    request('Sign up: name taken (ignoring case) is 409', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: { username: '{{username_upper}}', password: '{{password}}' },
        pre: String.raw`pm.variables.set('username_upper', pm.collectionVariables.get('username').toUpperCase());`,
        test: expectError(409, 'username_taken'),
    }),
    request('Sign up: bad fields are 400 with fields', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: { username: 'ab', password: 'short' },
        test: expectValidation(['username', 'password']),
    }),
    request('Sign up: 73-byte password is 400', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: { username: 'long_{{username}}', password: '{{long_password}}' },
        pre: String.raw`pm.variables.set('long_password', 'p'.repeat(73));`,
        test: expectValidation(['password']),
    }),
    request('Sign up: unknown field is 400', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: { username: 'other_{{username}}', password: 'mypassword', admin: true },
        test: expectValidation(['admin']),
    }),
    request('Sign up: a number for the password is 400', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: '{\n  "username": "other_{{username}}",\n  "password": 12345678\n}',
        test: expectValidation(['password']),
    }),
    request('Sign up: not JSON is 400 invalid_json', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: '{"username": ',
        test: expectError(400, 'invalid_json'),
    }),
    request('Sign up: a JSON array is 400 invalid_json', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: '["{{username}}", "{{password}}"]',
        test: expectError(400, 'invalid_json'),
    }),
    request('Sign up: text/plain is 415', {
        method: 'POST', path: '/signup', headers: [{ key: 'Content-Type', value: 'text/plain' }],
        body: CREDS,
        test: expectError(415, 'unsupported_media_type'),
    }),
    request('Sign up: a body over 64 KiB is 413', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: '{"username": "{{big}}", "password": "mypassword"}',
        pre: String.raw`pm.variables.set('big', 'a'.repeat(70000));`,
        test: expectError(413, 'payload_too_large'),
    }),
]);

const login = folder('2. Log in and second factor', 'POST /login (PNG and JSON), POST /verify-2fa with a code computed from the otpauth URI, and the error cases of SPEC §3 and §4.', [
    request('Log in: wrong password is 401', {
        method: 'POST', path: '/login', headers: [JSON_CT],
        body: { username: '{{username}}', password: 'not-the-password' },
        test: expectError(401, 'invalid_credentials') + String.raw`
pm.test('the same message as for an unknown user', function () {
    pm.expect(pm.response.json().message).to.eql('Invalid username or password');
});
`,
    }),
    request('Log in: unknown user is 401 (same body)', {
        method: 'POST', path: '/login', headers: [JSON_CT],
        body: { username: 'nobody_{{username}}', password: 'not-the-password' },
        test: expectError(401, 'invalid_credentials') + String.raw`
pm.test('the same body as for a wrong password', function () {
    pm.expect(pm.response.json()).to.eql({ message: 'Invalid username or password', error: 'invalid_credentials' });
});
`,
    }),
    request('Log in: missing fields are 400', {
        method: 'POST', path: '/login', headers: [JSON_CT], body: {},
        test: expectValidation(['username', 'password']),
    }),
    request('Log in (QR code PNG)', {
        method: 'POST', path: '/login', headers: [JSON_CT], body: CREDS,
        description: 'What the Flask app answered: a PNG of the QR code to scan with an authenticator app (Postman shows it).',
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('a PNG image', function () {
    pm.expect(pm.response.headers.get('Content-Type')).to.match(/^image\/png/);
    const bytes = pm.response.stream;
    pm.expect(bytes.length).to.be.above(100);
    pm.expect([bytes[0], bytes[1], bytes[2], bytes[3]]).to.eql([0x89, 0x50, 0x4e, 0x47]);
});
`,
    }),
    request('Log in (Accept: application/json)', {
        method: 'POST', path: '/login',
        headers: [JSON_CT, { key: 'Accept', value: 'application/json' }], body: CREDS,
        test: String.raw`
const cryptoJs = require('crypto-js');  // the sandbox's CryptoJS
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test('enrollment body', function () {
    pm.expect(Object.keys(body).sort()).to.eql(['2fa_enrolled', 'otpauth_uri', 'qr_png_base64']);
    pm.expect(body['2fa_enrolled']).to.eql(false);
    pm.expect(cryptoJs.enc.Base64.parse(body.qr_png_base64).toString(cryptoJs.enc.Hex).slice(0, 16)).to.eql('89504e470d0a1a0a');
});
pm.test('otpauth URI as pyotp writes it', function () {
    const name = encodeURIComponent(pm.collectionVariables.get('username'));
    const re = new RegExp('^otpauth://totp/Integrity%20API:' + name + '\\?secret=[A-Z2-7]{32}&issuer=Integrity%20API$');
    pm.expect(body.otpauth_uri).to.match(re);
});
const m = /[?&]secret=([A-Z2-7]+)/.exec(body.otpauth_uri || '');
pm.collectionVariables.set('totp_secret', m ? m[1] : '');
`,
    }),
    request('Verify: a code that is not 6 digits is 400', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: '{\n  "username": "{{username}}",\n  "code": 123456\n}',
        test: expectValidation(['code']),
    }),
    request('Verify: no password login is 401 login_required', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: 'nobody_{{username}}', code: '123456' },
        test: expectError(401, 'login_required'),
    }),
    request('Verify: a wrong code is 401 invalid_code', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', code: '{{wrong_code}}' },
        pre: TOTP_LIB + String.raw`
// a code that none of the accepted steps (now, and one either side) gives
const secret = pm.collectionVariables.get('totp_secret');
const now = Math.floor(Date.now() / 1000);
const good = [-30, 0, 30].map(function (d) { return totp(secret, now + d); });
let wrong = 0;
while (good.indexOf(String(wrong).padStart(6, '0')) >= 0) { wrong++; }
pm.variables.set('wrong_code', String(wrong).padStart(6, '0'));
`,
        test: expectError(401, 'invalid_code'),
    }),
    request('Verify 2FA (code computed with CryptoJS)', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', code: '{{totp_code}}' },
        description: 'The pre-request script computes the current TOTP code from the secret in the otpauth URI, as the authenticator app would. A code is accepted once per 30-second step per user, so the flow verifies once.',
        pre: TOTP_LIB + String.raw`
const code = totp(pm.collectionVariables.get('totp_secret'), Math.floor(Date.now() / 1000));
pm.collectionVariables.set('totp_code', code);
`,
        test: String.raw`
const cryptoJs = require('crypto-js');  // the sandbox's CryptoJS
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test('token body, with the recovery codes of the first confirmation', function () {
    pm.expect(Object.keys(body).sort()).to.eql(['access_token', 'expires_in', 'recovery_codes', 'token_type']);
    pm.expect(body.recovery_codes).to.have.lengthOf(10);
    body.recovery_codes.forEach(function (c) { pm.expect(c).to.match(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/); });
    pm.expect(body.token_type).to.eql('Bearer');
    pm.expect(body.expires_in).to.eql(3600);
    pm.expect(body.access_token).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
});
pm.test('HS256 token for this user', function () {
    const part = body.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(cryptoJs.enc.Base64.parse(part + '==='.slice((part.length + 3) % 4)).toString(cryptoJs.enc.Utf8));
    pm.expect(claims.sub).to.eql(pm.collectionVariables.get('username'));
    pm.expect(claims.type).to.eql('access');
    pm.expect(claims.fresh).to.eql(false);
    pm.expect(claims.exp - claims.iat).to.eql(3600);
});
pm.collectionVariables.set('access_token', body.access_token);
pm.collectionVariables.set('recovery_codes', JSON.stringify(body.recovery_codes));
`,
    }),
    request('Log in again: enrolled, no QR code', {
        method: 'POST', path: '/login', headers: [JSON_CT], body: CREDS,
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('no secret once 2FA is confirmed', function () {
    pm.expect(pm.response.json()).to.eql({ message: 'Enter the code from your authenticator app', '2fa_enrolled': true });
});
`,
    }),
    request('Verify: the same code again is refused (no replay)', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', code: '{{totp_code}}' },
        test: expectError(401, 'invalid_code'),
    }),
    request('Lockout: sign up a second user', {
        method: 'POST', path: '/signup', headers: [JSON_CT],
        body: { username: '{{locked_username}}', password: '{{password}}' },
        test: String.raw`pm.test('status 201', function () { pm.response.to.have.status(201); });`,
    }),
    ...[1, 2, 3, 4, 5].map((n) => request(`Lockout: wrong password ${n} of 5`, {
        method: 'POST', path: '/login', headers: [JSON_CT],
        body: { username: '{{locked_username}}', password: 'wrong-password' },
        test: expectError(401, 'invalid_credentials'),
    })),
    request('Lockout: the right password is now 429', {
        method: 'POST', path: '/login', headers: [JSON_CT],
        body: { username: '{{locked_username}}', password: '{{password}}' },
        test: expectError(429, 'too_many_attempts') + String.raw`
pm.test('Retry-After in seconds', function () {
    const ra = pm.response.headers.get('Retry-After');
    pm.expect(ra).to.match(/^[0-9]+$/);
    pm.expect(Number(ra)).to.be.above(0);
});
`,
    }),
]);

const tokens = folder('3. Tokens', 'The token errors of SPEC §5, with flask-jwt-extended\'s bodies. The requests that make a token with the server\'s key run only when the environment has jwt_secret.', [
    request('No Authorization header is 401', {
        path: '/products',
        test: expectMsg(401, 'Missing Authorization Header'),
    }),
    request('Not "Bearer <token>" is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Token {{access_token}}' }],
        test: expectMsg(422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"),
    }),
    request('Malformed token is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer not.a.token' }],
        test: expectMsg(422, null),
    }),
    request('Bad signature is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{tampered_token}}' }],
        pre: String.raw`
// change the first character of the signature
const parts = pm.collectionVariables.get('access_token').split('.');
parts[2] = (parts[2][0] === 'A' ? 'B' : 'A') + parts[2].slice(1);
pm.variables.set('tampered_token', parts.join('.'));
`,
        test: expectMsg(422, 'Signature verification failed'),
    }),
    request('alg none is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{forged_token}}' }],
        pre: JWT_LIB + String.raw`pm.variables.set('forged_token', makeJwt('none', claims(), ''));`,
        test: expectMsg(422, null),
    }),
    request('HS512 with the right key is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{forged_token}}' }],
        pre: NEED_SECRET + JWT_LIB + String.raw`pm.variables.set('forged_token', makeJwt('HS512', claims(), secret));`,
        test: expectMsg(422, null),
    }),
    request('A refresh token is 422', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{forged_token}}' }],
        pre: NEED_SECRET + JWT_LIB + String.raw`pm.variables.set('forged_token', makeJwt('HS256', claims({ type: 'refresh' }), secret));`,
        test: expectMsg(422, null),
    }),
    request('An expired token is 401', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{forged_token}}' }],
        pre: NEED_SECRET + JWT_LIB + String.raw`
const now = Math.floor(Date.now() / 1000);
pm.variables.set('forged_token', makeJwt('HS256', claims({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }), secret));
`,
        test: expectMsg(401, 'Token has expired'),
    }),
    request('A token made with the same key is accepted', {
        path: '/products', headers: [{ key: 'Authorization', value: 'Bearer {{forged_token}}' }],
        description: 'As a token issued by the Flask app with the same key would be.',
        pre: NEED_SECRET + JWT_LIB + String.raw`pm.variables.set('forged_token', makeJwt('HS256', claims(), secret));`,
        test: String.raw`pm.test('status 200', function () { pm.response.to.have.status(200); });`,
    }),
]);

const products = folder('4. Products', 'Every product route of SPEC §6 with the token from /verify-2fa, versions (ETag, If-Match), paging, history, and the error cases.', [
    request('Create product', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { name: 'Laptop', description: 'Gaming laptop', price: 1200.99, quantity: 10 },
        test: PRODUCT_SHAPE + String.raw`
pm.test('status 201', function () { pm.response.to.have.status(201); });
const p = pm.response.json();
pm.test('the product, price exact', function () {
    checkProduct(p);
    pm.expect(p).to.include({ name: 'Laptop', description: 'Gaming laptop', price: 1200.99, quantity: 10 });
});
pm.test('Location and ETag', function () {
    pm.expect(pm.response.headers.get('Location')).to.match(new RegExp('(^|[^0-9])/products/' + p.id + '$'));
    pm.expect(pm.response.headers.get('ETag')).to.eql('"1"');
});
pm.collectionVariables.set('product_id', p.id);
pm.collectionVariables.set('etag', pm.response.headers.get('ETag'));
`,
    }),
    request('Create a second product (description defaults to "")', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { name: 'Mouse', price: 25, quantity: 100 },
        test: PRODUCT_SHAPE + String.raw`
pm.test('status 201', function () { pm.response.to.have.status(201); });
const p = pm.response.json();
pm.test('the product', function () {
    checkProduct(p);
    pm.expect(p).to.include({ name: 'Mouse', description: '', price: 25, quantity: 100 });
});
pm.collectionVariables.set('product2_id', p.id);
`,
    }),
    request('Create: a string price and a fractional quantity are 400', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { name: 'Desk', price: '12.50', quantity: 1.5 },
        test: expectValidation(['price', 'quantity']),
    }),
    request('Create: 3 decimals and a negative quantity are 400', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { name: 'Desk', price: 1.234, quantity: -1 },
        test: expectValidation(['price', 'quantity']),
    }),
    request('Create: missing name and quantity are 400', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { price: 1 },
        test: expectValidation(['name', 'quantity']),
    }),
    request('Create: a blank name and an unknown field are 400', {
        method: 'POST', path: '/products', headers: [JSON_CT, AUTH],
        body: { name: '   ', price: 1, quantity: 1, colour: 'red' },
        test: expectValidation(['name', 'colour']),
    }),
    request('Create: text/plain is 415', {
        method: 'POST', path: '/products', headers: [{ key: 'Content-Type', value: 'text/plain' }, AUTH],
        body: { name: 'Desk', price: 1, quantity: 1 },
        test: expectError(415, 'unsupported_media_type'),
    }),
    request('Create with an Idempotency-Key', {
        method: 'POST', path: '/products',
        headers: [JSON_CT, AUTH, { key: 'Idempotency-Key', value: '{{idempotency_key}}' }],
        description: 'SPEC §11: a client that did not get the answer (a timeout, a 503 that may have committed) sends the same request with the same key again, and gets the first answer instead of a second product. A new key for each product it means to create; a UUID does.',
        body: { name: 'Keyboard', price: 49.9, quantity: 7 },
        pre: String.raw`pm.collectionVariables.set('idempotency_key', pm.variables.replaceIn('{{$guid}}'));`,
        test: PRODUCT_SHAPE + String.raw`
pm.test('status 201, created now', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.headers.get('Idempotent-Replayed')).to.eql(undefined);
});
const p = pm.response.json();
pm.test('the product', function () {
    checkProduct(p);
    pm.expect(p).to.include({ name: 'Keyboard', description: '', price: 49.9, quantity: 7 });
});
pm.collectionVariables.set('idempotent_body', pm.response.text());
pm.collectionVariables.set('idempotent_location', pm.response.headers.get('Location'));
`,
    }),
    request('Create: the same request and key again replay the first answer', {
        method: 'POST', path: '/products',
        headers: [JSON_CT, AUTH, { key: 'Idempotency-Key', value: '{{idempotency_key}}' }],
        body: '{"quantity": 7, "price": 49.90, "name": "Keyboard"}',
        description: 'The same values, written differently (key order, 49.90): the same request. Nothing is created.',
        test: String.raw`
pm.test('status 201, replayed', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.headers.get('Idempotent-Replayed')).to.eql('true');
});
pm.test('the first answer: body, Location and ETag', function () {
    pm.expect(pm.response.text()).to.eql(pm.collectionVariables.get('idempotent_body'));
    pm.expect(pm.response.headers.get('Location')).to.eql(pm.collectionVariables.get('idempotent_location'));
    pm.expect(pm.response.headers.get('ETag')).to.eql('"1"');
});
`,
    }),
    request('Create: the key with another body is 422', {
        method: 'POST', path: '/products',
        headers: [JSON_CT, AUTH, { key: 'Idempotency-Key', value: '{{idempotency_key}}' }],
        body: { name: 'Keyboard', price: 49.9, quantity: 8 },
        test: expectError(422, 'idempotency_key_reused'),
    }),
    request('Create: an Idempotency-Key over 255 characters is 400', {
        method: 'POST', path: '/products',
        headers: [JSON_CT, AUTH, { key: 'Idempotency-Key', value: '{{long_key}}' }],
        body: { name: 'Keyboard', price: 49.9, quantity: 7 },
        pre: String.raw`pm.variables.set('long_key', 'k'.repeat(256));`,
        test: expectError(400, 'invalid_idempotency_key'),
    }),
    request('List products', {
        path: '/products', headers: [AUTH],
        test: PRODUCT_SHAPE + String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const list = pm.response.json();
pm.test('an array ordered by id with both products', function () {
    pm.expect(list).to.be.an('array');
    list.forEach(checkProduct);
    const ids = list.map(function (p) { return p.id; });
    pm.expect(ids).to.eql(ids.slice().sort(function (a, b) { return a - b; }));
    pm.expect(ids).to.include(pm.collectionVariables.get('product_id'));
    pm.expect(ids).to.include(pm.collectionVariables.get('product2_id'));
});
`,
    }),
    request('List: one page with Link rel=next', {
        path: '/products?', headers: [AUTH],
        query: [{ key: 'limit', value: '1' }, { key: 'after_id', value: '{{before_id}}' }],
        pre: String.raw`pm.variables.set('before_id', pm.collectionVariables.get('product_id') - 1);`,
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const id = pm.collectionVariables.get('product_id');
pm.test('the first product only', function () {
    pm.expect(pm.response.json().map(function (p) { return p.id; })).to.eql([id]);
});
pm.test('Link to the next page', function () {
    const link = pm.response.headers.get('Link');
    pm.expect(link).to.match(/^<[^>]*\/products\?[^>]*>; rel="next"$/);
    pm.expect(link).to.include('after_id=' + id);
    pm.expect(link).to.include('limit=1');
});
`,
    }),
    request('List: limit=0 is 400', {
        path: '/products?', headers: [AUTH], query: [{ key: 'limit', value: '0' }],
        test: expectValidation(['query']),
    }),
    request('Get product', {
        path: '/products/{{product_id}}', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('the product', function () {
    pm.expect(pm.response.json()).to.eql({ id: pm.collectionVariables.get('product_id'), name: 'Laptop', description: 'Gaming laptop', price: 1200.99, quantity: 10 });
});
pm.test('ETag "1"', function () { pm.expect(pm.response.headers.get('ETag')).to.eql('"1"'); });
`,
    }),
    ...[['abc', 'a non-numeric id'], ['0', 'id 0'], ['-1', 'a negative id'], ['2147483647999', 'a huge id']].map(([id, what]) =>
        request(`Get: ${what} is 404`, {
            path: `/products/${id}`, headers: [AUTH],
            test: expectError(404, 'not_found'),
        })),
    request('Update product (PUT, partial)', {
        method: 'PUT', path: '/products/{{product_id}}', headers: [JSON_CT, AUTH],
        body: '{\n  "price": 1100.50,\n  "quantity": 5\n}',
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('only the fields sent changed', function () {
    pm.expect(pm.response.json()).to.eql({ id: pm.collectionVariables.get('product_id'), name: 'Laptop', description: 'Gaming laptop', price: 1100.5, quantity: 5 });
});
pm.test('ETag "2"', function () { pm.expect(pm.response.headers.get('ETag')).to.eql('"2"'); });
`,
    }),
    request('Update: a stale If-Match is 412', {
        method: 'PUT', path: '/products/{{product_id}}',
        headers: [JSON_CT, AUTH, { key: 'If-Match', value: '{{etag}}' }],
        body: { quantity: 4 },
        description: 'If-Match carries the ETag of the create ("1"); the product is at "2" now.',
        test: expectError(412, 'precondition_failed'),
    }),
    request('Get: the stale update changed nothing', {
        path: '/products/{{product_id}}', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('quantity still 5', function () { pm.expect(pm.response.json().quantity).to.eql(5); });
pm.collectionVariables.set('etag', pm.response.headers.get('ETag'));
`,
    }),
    request('Update (PATCH) with the current If-Match', {
        method: 'PATCH', path: '/products/{{product_id}}',
        headers: [JSON_CT, AUTH, { key: 'If-Match', value: '{{etag}}' }],
        body: { quantity: 4 },
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('quantity 4', function () { pm.expect(pm.response.json()).to.include({ price: 1100.5, quantity: 4 }); });
pm.test('ETag "3"', function () { pm.expect(pm.response.headers.get('ETag')).to.eql('"3"'); });
`,
    }),
    request('Update: {} is 400', {
        method: 'PUT', path: '/products/{{product_id}}', headers: [JSON_CT, AUTH], body: {},
        test: expectError(400, 'validation_failed'),
    }),
    request('Update: no such product is 404', {
        method: 'PUT', path: '/products/2147483647', headers: [JSON_CT, AUTH], body: { quantity: 1 },
        test: expectError(404, 'not_found'),
    }),
    request('Delete: a stale If-Match is 412', {
        method: 'DELETE', path: '/products/{{product_id}}', headers: [AUTH, { key: 'If-Match', value: '"1"' }],
        test: expectError(412, 'precondition_failed'),
    }),
    request('History', {
        path: '/products/{{product_id}}/history', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const h = pm.response.json();
pm.test('create, update, update, oldest first', function () {
    pm.expect(h.map(function (e) { return e.action; })).to.eql(['create', 'update', 'update']);
    h.forEach(function (e) {
        pm.expect(Object.keys(e).sort()).to.eql(['action', 'after', 'at', 'before', 'seq', 'username']);
        pm.expect(e.username).to.eql(pm.collectionVariables.get('username'));
        pm.expect(Date.parse(e.at)).to.be.a('number').and.not.NaN;
    });
    pm.expect(h[0].seq).to.be.a('number');
    pm.expect(h[1].seq).to.be.above(h[0].seq);
    pm.expect(h[2].seq).to.be.above(h[1].seq);
    pm.expect(h[0].before).to.eql(null);
    pm.expect(h[0].after).to.include({ name: 'Laptop', price: 1200.99, quantity: 10 });
    pm.expect(h[2].before).to.include({ quantity: 5 });
    pm.expect(h[2].after).to.include({ quantity: 4 });
});
`,
    }),
    request('Wrong method on a product is 405 with Allow', {
        method: 'POST', path: '/products/{{product_id}}', headers: [AUTH],
        test: expectError(405, 'method_not_allowed') + String.raw`
pm.test('Allow lists the methods', function () {
    const allow = pm.response.headers.get('Allow').split(/\s*,\s*/).sort();
    pm.expect(allow).to.eql(['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT']);
});
`,
    }),
    request('Delete product', {
        method: 'DELETE', path: '/products/{{product_id}}', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('body', function () { pm.expect(pm.response.json()).to.eql({ message: 'Product deleted successfully' }); });
`,
    }),
    request('Get: a deleted product is 404', {
        path: '/products/{{product_id}}', headers: [AUTH],
        test: expectError(404, 'not_found'),
    }),
    request('Delete: again is 404', {
        method: 'DELETE', path: '/products/{{product_id}}', headers: [AUTH],
        test: expectError(404, 'not_found'),
    }),
    request('History after the delete', {
        path: '/products/{{product_id}}/history', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const h = pm.response.json();
pm.test('ends with the delete', function () {
    pm.expect(h.map(function (e) { return e.action; })).to.eql(['create', 'update', 'update', 'delete']);
    pm.expect(h[3].after).to.eql(null);
    pm.expect(h[3].before).to.include({ name: 'Laptop', quantity: 4 });
});
`,
    }),
    request('History: no such product is 404', {
        path: '/products/2147483647/history', headers: [AUTH],
        test: expectError(404, 'not_found'),
    }),
    request('Delete the second product', {
        method: 'DELETE', path: '/products/{{product2_id}}', headers: [AUTH],
        test: String.raw`pm.test('status 200', function () { pm.response.to.have.status(200); });`,
    }),
]);


// The account lifecycle (SPEC §9), on the user of folder 2: a recovery code for
// a login, a new set, a 2FA reset and a new enrollment, a password change, a
// logout, the deletion; each revocation checked on the token it refuses.
const codeAt = (n) => String.raw`
const codes = JSON.parse(pm.collectionVariables.get('recovery_codes'));
pm.collectionVariables.set('recovery_code', codes[${n}]);
`;
const tokenFrom = (left) => String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test('a token and the codes left', function () {
    pm.expect(Object.keys(body).sort()).to.eql(['access_token', 'expires_in', 'recovery_codes_left', 'token_type']);
    pm.expect(body.recovery_codes_left).to.eql(${left});
});
pm.collectionVariables.set('access_token', body.access_token);
`;
const REVOKED = expectMsg(401, 'Token has been revoked');
const NEW_CREDS = { username: '{{username}}', password: '{{new_password}}' };
const enrolledLogin = (name, creds) => request(name, {
    method: 'POST', path: '/login', headers: [JSON_CT], body: creds,
    test: String.raw`pm.test('status 200', function () { pm.response.to.have.status(200); });`,
});
const recoveryLogin = (name, n, left, description) => request(name, {
    method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
    body: { username: '{{username}}', recovery_code: '{{recovery_code}}' },
    description, pre: codeAt(n), test: tokenFrom(left),
});

const account = folder('5. Account lifecycle', 'SPEC §9: recovery codes (shown once, used once, matched ignoring case and dashes), a new set, a 2FA reset and re-enrollment, a password change, logout and deletion; every token they revoke is then refused with 401 "Token has been revoked".', [
    enrolledLogin('Recovery: log in with the password', CREDS),
    request('Recovery: verify with a recovery code, upper case without dashes', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', recovery_code: '{{recovery_code}}' },
        description: 'In place of the TOTP code, one of the 10 codes the first confirmation showed; case and dashes do not matter.',
        pre: String.raw`
const codes = JSON.parse(pm.collectionVariables.get('recovery_codes'));
pm.collectionVariables.set('recovery_code', codes[0].toUpperCase().replace(/-/g, ''));
`,
        test: tokenFrom(9),
    }),
    enrolledLogin('Recovery: log in again', CREDS),
    request('Recovery: a used code is refused', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', recovery_code: '{{recovery_code}}' },
        pre: codeAt(0),
        test: expectError(401, 'invalid_code'),
    }),
    request('Recovery: code and recovery_code together are 400', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', code: '123456', recovery_code: '{{recovery_code}}' },
        test: expectValidation(['recovery_code']),
    }),
    request('New recovery codes: a wrong password is 401', {
        method: 'POST', path: '/account/recovery-codes', headers: [JSON_CT, AUTH],
        body: { password: 'wrong-password' },
        test: expectError(401, 'invalid_credentials'),
    }),
    request('New recovery codes', {
        method: 'POST', path: '/account/recovery-codes', headers: [JSON_CT, AUTH],
        body: { password: '{{password}}' },
        description: '10 new codes, shown this once; the old set stops working.',
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
const old = JSON.parse(pm.collectionVariables.get('recovery_codes'));
pm.test('10 new codes', function () {
    pm.expect(Object.keys(body)).to.eql(['recovery_codes']);
    pm.expect(body.recovery_codes).to.have.lengthOf(10);
    body.recovery_codes.forEach(function (c) { pm.expect(old).to.not.include(c); });
});
pm.collectionVariables.set('old_recovery_codes', JSON.stringify(old));
pm.collectionVariables.set('recovery_codes', JSON.stringify(body.recovery_codes));
`,
    }),
    request('New recovery codes: an old one is refused', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', recovery_code: '{{recovery_code}}' },
        pre: String.raw`
pm.collectionVariables.set('recovery_code', JSON.parse(pm.collectionVariables.get('old_recovery_codes'))[5]);
`,
        test: expectError(401, 'invalid_code'),
    }),
    recoveryLogin('New recovery codes: a new one logs in', 0, 9),
    request('2FA reset: the old app and codes go, every token is refused', {
        method: 'POST', path: '/account/2fa/reset', headers: [JSON_CT, AUTH],
        body: { password: '{{password}}' },
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('a message', function () { pm.expect(pm.response.json().message).to.be.a('string'); });
`,
    }),
    request('2FA reset: the token is revoked', {
        path: '/products', headers: [AUTH], test: REVOKED,
    }),
    request('2FA reset: log in enrolls again (a new otpauth URI)', {
        method: 'POST', path: '/login', headers: [JSON_CT, { key: 'Accept', value: 'application/json' }],
        body: CREDS,
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test('enrollment again, with a new secret', function () {
    pm.expect(body['2fa_enrolled']).to.eql(false);
});
const m = /[?&]secret=([A-Z2-7]+)/.exec(body.otpauth_uri || '');
pm.test('a new secret', function () {
    pm.expect(m).to.not.eql(null);
    pm.expect(m[1]).to.not.eql(pm.collectionVariables.get('totp_secret'));
});
if (m) { pm.collectionVariables.set('totp_secret', m[1]); }
`,
    }),
    request('2FA reset: verify the new app (new recovery codes)', {
        method: 'POST', path: '/verify-2fa', headers: [JSON_CT],
        body: { username: '{{username}}', code: '{{totp_code}}' },
        pre: TOTP_LIB + String.raw`
pm.collectionVariables.set('totp_code', totp(pm.collectionVariables.get('totp_secret'), Math.floor(Date.now() / 1000)));
`,
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test('a token and 10 new codes', function () {
    pm.expect(body.recovery_codes).to.have.lengthOf(10);
});
pm.collectionVariables.set('access_token', body.access_token);
pm.collectionVariables.set('recovery_codes', JSON.stringify(body.recovery_codes));
`,
    }),
    request('Password change: a short new password is 400', {
        method: 'POST', path: '/account/password', headers: [JSON_CT, AUTH],
        body: { old_password: '{{password}}', new_password: 'short' },
        test: expectValidation(['new_password']),
    }),
    request('Password change', {
        method: 'POST', path: '/account/password', headers: [JSON_CT, AUTH],
        body: { old_password: '{{password}}', new_password: '{{new_password}}' },
        description: 'Every token of the user issued before the change is refused, this one included.',
        pre: String.raw`
const pw = pm.environment.get('password') || pm.variables.get('password');
pm.collectionVariables.set('new_password', pw + '-changed');
`,
        test: String.raw`pm.test('status 200', function () { pm.response.to.have.status(200); });`,
    }),
    request('Password change: the token is revoked', {
        path: '/products', headers: [AUTH], test: REVOKED,
    }),
    request('Password change: the old password no longer logs in', {
        method: 'POST', path: '/login', headers: [JSON_CT], body: CREDS,
        test: expectError(401, 'invalid_credentials'),
    }),
    enrolledLogin('Password change: the new one does', NEW_CREDS),
    recoveryLogin('Password change: a recovery code for a token', 1, 9),
    request('Log out', {
        method: 'POST', path: '/logout', headers: [AUTH],
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('body', function () { pm.expect(pm.response.json()).to.eql({ message: 'Logged out' }); });
`,
    }),
    request('Log out: the token is revoked', {
        path: '/products', headers: [AUTH], test: REVOKED,
    }),
    enrolledLogin('Delete: log in', NEW_CREDS),
    recoveryLogin('Delete: a recovery code for a token', 2, 8),
    request('Delete: a wrong password is 401', {
        method: 'DELETE', path: '/account', headers: [JSON_CT, AUTH],
        body: { password: 'wrong-password', code: '{{recovery_code}}' },
        pre: codeAt(3),
        test: expectError(401, 'invalid_credentials'),
    }),
    request('Delete the account (password and a recovery code)', {
        method: 'DELETE', path: '/account', headers: [JSON_CT, AUTH],
        body: { password: '{{new_password}}', code: '{{recovery_code}}' },
        description: 'The code may be a TOTP code or a recovery code.',
        pre: codeAt(3),
        test: String.raw`
pm.test('status 200', function () { pm.response.to.have.status(200); });
pm.test('body', function () { pm.expect(pm.response.json()).to.eql({ message: 'Account deleted' }); });
`,
    }),
    request('Delete: the token is revoked', {
        path: '/products', headers: [AUTH], test: REVOKED,
    }),
    request('Delete: the user is gone', {
        method: 'POST', path: '/login', headers: [JSON_CT], body: NEW_CREDS,
        test: expectError(401, 'invalid_credentials'),
    }),
]);

// Every response: SPEC §2 headers, JSON unless the QR PNG or the document.
const COLLECTION_TEST = String.raw`
pm.test('Cache-Control: no-store and X-Content-Type-Options: nosniff', function () {
    pm.expect(pm.response.headers.get('Cache-Control')).to.eql('no-store');
    pm.expect(pm.response.headers.get('X-Content-Type-Options')).to.eql('nosniff');
});
const type = pm.response.headers.get('Content-Type') || '';
if (!/^image\/png/.test(type) && !/^application\/yaml/.test(type)) {
    pm.test('a JSON body', function () {
        pm.expect(type).to.match(/^application\/json/);
        pm.response.json();
    });
}
`;

const collection = {
    info: {
        _postman_id: '5d0f3c2e-6a51-4c3b-9a7e-1f2b7c9d4e10',
        name: 'Integrity API',
        description: [
            'The whole flow of the Integrity API with no manual step: sign up, log in (the otpauth URI as JSON),',
            'the TOTP code computed in a pre-request script with CryptoJS, /verify-2fa, the access token kept in the',
            'collection variable access_token, every product route, the account lifecycle (recovery codes, a 2FA reset',
            'and a new enrollment, a password change, logout, deletion), and the error cases of SPEC.md, each request with',
            'tests. Run it in order (Runner, or newman) with the environment postman/local.postman_environment.json:',
            'base_url is the server; jwt_secret (optional) is its JWT_SECRET_KEY, for the requests that make tokens',
            '(skipped when empty). Each run signs up new users, so it can run again against the same database.',
            '',
            'Generated from postman/build-collection.mjs; edit that file and run `npm run postman:build`.',
        ].join('\n'),
        schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: [setup, signup, login, tokens, products, account],
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: lines(COLLECTION_TEST) } }],
    variable: [
        'username', 'locked_username', 'totp_secret', 'totp_code', 'access_token',
        'product_id', 'product2_id', 'etag', 'recovery_codes', 'old_recovery_codes', 'recovery_code',
        'new_password', 'idempotency_key', 'idempotent_body', 'idempotent_location',
    ].map((key) => ({ key, value: '' })),
};

const text = JSON.stringify(collection, null, 2) + '\n';
if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(OUT, 'utf8'); } catch { /* missing */ }
    if (current !== text) {
        console.error(`${OUT} is not what postman/build-collection.mjs makes: run \`node postman/build-collection.mjs\``);
        process.exit(1);
    }
    console.log(`${OUT} is up to date`);
} else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT}`);
}
