#!/usr/bin/env node
// Replays the whole flow against a live server with fetch and checks every
// response against docs/openapi.yaml: the status must be documented for that
// path and method, the Content-Type must be one of the response's media types,
// the body must validate against its schema (Ajv, JSON Schema 2020-12, which
// OpenAPI 3.1 uses), and the response's documented headers must be there
// (when required) and match their schemas. An unknown path must answer as
// components/responses/PathNotFound, a wrong method as MethodNotAllowed.
// At the end every (operation, status) the document lists must have been seen
// at least once: the document cannot promise an answer the server never gives.
//
// Environment:
//   BASE_URL    the server, e.g. http://127.0.0.1:5000 (required)
//   OPENAPI     the document (default docs/openapi.yaml)
//   JWT_SECRET  the server's JWT_SECRET_KEY: makes expired / HS512 / refresh tokens
//   PROXY_PID   pid of tests/lib/faultproxy.py between the server and MariaDB:
//               cut (SIGUSR1) and restored (SIGUSR2) for the 503 answers
// Without JWT_SECRET or PROXY_PID the answers that need them are not required.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const BASE = process.env.BASE_URL;
const DOC_PATH = process.env.OPENAPI || 'docs/openapi.yaml';
const JWT_SECRET = process.env.JWT_SECRET || '';
const PROXY_PID = process.env.PROXY_PID ? Number(process.env.PROXY_PID) : 0;
if (!BASE) {
    console.error('validate_openapi: BASE_URL is not set');
    process.exit(2);
}

const docText = readFileSync(DOC_PATH, 'utf8');
const doc = YAML.parse(docText);

// --- schemas ------------------------------------------------------------------
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
addFormats(ajv);
ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'boolean', 'object', 'array', 'null'] });

// components/schemas become $defs of one schema; their $refs are rewritten to it.
const SCHEMAS_ID = 'urn:integrity-api:openapi-schemas';
function rewriteRefs(node) {
    if (Array.isArray(node)) return node.map(rewriteRefs);
    if (node && typeof node === 'object') {
        const out = {};
        for (const [k, v] of Object.entries(node)) {
            if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
                out[k] = `${SCHEMAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
            } else {
                out[k] = rewriteRefs(v);
            }
        }
        return out;
    }
    return node;
}
ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(doc.components?.schemas || {}) });

function pointer(ref) {
    if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
    return ref.slice(2).split('/').reduce((node, key) => {
        const k = key.replace(/~1/g, '/').replace(/~0/g, '~');
        if (node == null || !(k in node)) throw new Error(`dangling $ref ${ref}`);
        return node[k];
    }, doc);
}
function deref(node) {
    let n = node;
    for (let i = 0; n && n.$ref && i < 10; i++) n = pointer(n.$ref);
    return n;
}

const compiled = new Map();
function validator(key, schema) {
    if (!compiled.has(key)) compiled.set(key, ajv.compile(rewriteRefs(schema)));
    return compiled.get(key);
}

// --- paths ----------------------------------------------------------------------
const templates = Object.keys(doc.paths).map((t) => ({
    template: t,
    re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Every (operation, status) the document lists, to tick off.
const documented = new Map();
for (const { template } of templates) {
    for (const m of METHODS) {
        const op = doc.paths[template][m];
        if (!op) continue;
        for (const status of Object.keys(op.responses || {})) {
            documented.set(`${m.toUpperCase()} ${template} ${status}`, false);
        }
    }
}

const failures = [];
let checked = 0;

function describe(errors) {
    return (errors || []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`).join('; ');
}

// Checks one response against the document; returns the parsed body.
function check(method, path, res, bytes) {
    const where = `${method} ${path} -> ${res.status}`;
    const problems = [];
    const pathOnly = path.split('?')[0];
    const match = templates.find((t) => t.re.test(pathOnly));
    let response;
    let label;
    if (!match) {
        response = deref(doc.components.responses.PathNotFound);
        label = 'components/responses/PathNotFound';
        if (res.status !== 404) problems.push(`no such path in the document, but the status is not 404`);
    } else {
        const op = doc.paths[match.template][method.toLowerCase()];
        if (!op) {
            response = deref(doc.components.responses.MethodNotAllowed);
            label = 'components/responses/MethodNotAllowed';
            if (res.status !== 405) problems.push(`${method} is not documented for ${match.template}, but the status is not 405`);
        } else {
            const key = `${method} ${match.template} ${res.status}`;
            label = key;
            response = op.responses[String(res.status)] && deref(op.responses[String(res.status)]);
            if (!response) problems.push(`status ${res.status} is not documented for ${method} ${match.template}`);
            else documented.set(key, true);
        }
    }
    let body;
    if (response) {
        // headers
        for (const [name, h0] of Object.entries(response.headers || {})) {
            const h = deref(h0);
            const value = res.headers.get(name);
            if (value === null) {
                if (h.required) problems.push(`header ${name} is missing`);
                continue;
            }
            const v = validator(`${label} header ${name}`, h.schema || {});
            if (!v(value)) problems.push(`header ${name}: ${JSON.stringify(value)}: ${describe(v.errors)}`);
        }
        // body
        const ctype = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
        const content = response.content || {};
        if (!content[ctype]) {
            problems.push(`Content-Type ${JSON.stringify(ctype)} is not one of ${JSON.stringify(Object.keys(content))}`);
        } else if (ctype === 'application/json') {
            const text = Buffer.from(bytes).toString('utf8');
            try {
                body = JSON.parse(text);
            } catch {
                problems.push(`the body is not JSON: ${text.slice(0, 200)}`);
            }
            if (body !== undefined) {
                const v = validator(`${label} ${ctype}`, content[ctype].schema || {});
                if (!v(body)) problems.push(`body ${text.slice(0, 300)}: ${describe(v.errors)}`);
            }
        } else if (ctype === 'image/png') {
            if (Buffer.from(bytes).subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') problems.push('the body is not a PNG');
        } else if (ctype === 'application/yaml') {
            body = Buffer.from(bytes).toString('utf8');
            if (path === '/openapi.yaml' && body !== docText) problems.push(`GET /openapi.yaml is not ${DOC_PATH} (rebuild the server)`);
        }
    }
    checked++;
    if (problems.length) {
        failures.push(`${where}: ${problems.join('; ')}`);
        console.log(`FAIL ${where}\n     ${problems.join('\n     ')}`);
    } else {
        console.log(`ok   ${where} ${res.headers.get('content-type') || ''}`);
    }
    return body;
}

// call(method, path, {json, raw, headers, token, status}) -> {res, body}
async function call(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    let body;
    if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['Content-Type'] ??= 'application/json';
    } else if (opts.raw !== undefined) {
        body = opts.raw;
        headers['Content-Type'] ??= 'application/json';
    }
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const res = await fetch(BASE + path, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(20000) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const parsed = check(method, path, res, bytes);
    if (opts.status !== undefined && res.status !== opts.status) {
        failures.push(`${method} ${path}: expected status ${opts.status}, got ${res.status}`);
        console.log(`FAIL ${method} ${path}: expected status ${opts.status}, got ${res.status}`);
    }
    return { res, body: parsed };
}

// --- TOTP and tokens ---------------------------------------------------------
function base32(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0, value = 0;
    const out = [];
    for (const ch of text.replace(/=+$/, '')) {
        value = (value << 5) | alphabet.indexOf(ch);
        bits += 5;
        if (bits >= 8) { bits -= 8; out.push((value >>> bits) & 0xff); }
    }
    return Buffer.from(out);
}
function totp(secret, t = Date.now() / 1000) {
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
    const mac = createHmac('sha1', base32(secret)).update(msg).digest();
    const o = mac[mac.length - 1] & 0x0f;
    return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const b64url = (buf) => Buffer.from(buf).toString('base64url');
function jwt(alg, claims, key) {
    const input = b64url(JSON.stringify({ alg, typ: 'JWT' })) + '.' + b64url(JSON.stringify(claims));
    if (alg === 'none') return input + '.';
    return input + '.' + createHmac(alg === 'HS512' ? 'sha512' : 'sha256', key).update(input).digest('base64url');
}
function claims(sub, extra = {}) {
    const now = Math.floor(Date.now() / 1000);
    return { sub, iat: now, nbf: now, exp: now + 3600, jti: randomUUID(), type: 'access', fresh: false, ...extra };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitReady(want, seconds) {
    for (let i = 0; i < seconds * 10; i++) {
        try {
            const r = await fetch(BASE + '/readyz', { signal: AbortSignal.timeout(3000) });
            await r.arrayBuffer();
            if (r.status === want) return true;
        } catch { /* not yet */ }
        await sleep(100);
    }
    return false;
}

// --- the flow --------------------------------------------------------------------
const tag = Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);
const user = `oas_${tag}`;
const password = `pw-${tag}-secret`;
const JSON_ACCEPT = { Accept: 'application/json' };
const BIG = JSON.stringify({ username: 'a'.repeat(70000), password: 'x' });

// operations
await call('GET', '/healthz', { status: 200 });
await call('GET', '/readyz', { status: 200 });
await call('GET', '/openapi.yaml', { status: 200 });
await call('GET', '/', { status: 200 });
await call('GET', '/docs', { status: 200 });
for (const name of ['app.js', 'app.css', 'docs.js', 'redoc.standalone.js']) await call('GET', `/assets/${name}`, { status: 200 });
await call('GET', '/assets/nope.js', { status: 404 });
await call('POST', '/', { status: 405 });
await call('GET', '/no/such/path', { status: 404 });
await call('POST', '/healthz', { status: 405 });
await call('PUT', '/products', { status: 405 });

// sign-up
await call('POST', '/signup', { json: { username: user, password }, status: 201 });
await call('POST', '/signup', { json: { username: user.toUpperCase(), password }, status: 409 });
await call('POST', '/signup', { json: { username: 'ab', password: 'short' }, status: 400 });
await call('POST', '/signup', { json: { username: `x${tag}`, password, role: 'admin' }, status: 400 });
await call('POST', '/signup', { raw: '{"username": ', status: 400 });
await call('POST', '/signup', { raw: '"a string"', status: 400 });
await call('POST', '/signup', { raw: JSON.stringify({ username: user, password }), headers: { 'Content-Type': 'text/plain' }, status: 415 });
await call('POST', '/signup', { raw: BIG, status: 413 });

// login and second factor
await call('POST', '/login', { json: { username: user, password: 'wrong-password' }, status: 401 });
await call('POST', '/login', { json: {}, status: 400 });
await call('POST', '/login', { raw: 'not json', status: 400 });
await call('POST', '/login', { raw: '{}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 415 });
await call('POST', '/login', { raw: BIG, status: 413 });
await call('POST', '/login', { json: { username: user, password }, status: 200 });   // PNG
const enrol = await call('POST', '/login', { json: { username: user, password }, headers: JSON_ACCEPT, status: 200 });
const secret = /[?&]secret=([A-Z2-7]+)/.exec(enrol.body?.otpauth_uri || '')?.[1];
if (!secret) throw new Error('no secret in the otpauth URI');

await call('POST', '/verify-2fa', { json: { username: user, code: 123456 }, status: 400 });
await call('POST', '/verify-2fa', { raw: '[]', status: 400 });
await call('POST', '/verify-2fa', { raw: '{}', headers: { 'Content-Type': 'text/json' }, status: 415 });
await call('POST', '/verify-2fa', { raw: BIG, status: 413 });
await call('POST', '/verify-2fa', { json: { username: `nobody_${tag}`, code: '123456' }, status: 401 });
const now = Date.now() / 1000;
const good = [-30, 0, 30].map((d) => totp(secret, now + d));
let wrong = 0;
while (good.includes(String(wrong).padStart(6, '0'))) wrong++;
await call('POST', '/verify-2fa', { json: { username: user, code: String(wrong).padStart(6, '0') }, status: 401 });
const code = totp(secret);
const verified = await call('POST', '/verify-2fa', { json: { username: user, code }, status: 200 });
const token = verified.body?.access_token;
if (!token) throw new Error('no access token');
await call('POST', '/login', { json: { username: user, password }, headers: JSON_ACCEPT, status: 200 });   // enrolled
await call('POST', '/login', { json: { username: user, password }, status: 200 });                         // enrolled, no Accept
await call('POST', '/verify-2fa', { json: { username: user, code }, status: 401 });                        // replay

// lockout
const locked = `lock_${tag}`;
await call('POST', '/signup', { json: { username: locked, password }, status: 201 });
for (let i = 0; i < 5; i++) await call('POST', '/login', { json: { username: locked, password: 'wrong-password' }, status: 401 });
await call('POST', '/login', { json: { username: locked, password }, status: 429 });

// tokens
await call('GET', '/products', { status: 401 });
await call('GET', '/products', { headers: { Authorization: `Token ${token}` }, status: 422 });
await call('GET', '/products', { token: 'not.a.token', status: 422 });
await call('GET', '/products', { token: jwt('none', claims(user), ''), status: 422 });
if (JWT_SECRET) {
    await call('GET', '/products', { token: jwt('HS512', claims(user), JWT_SECRET), status: 422 });
    await call('GET', '/products', { token: jwt('HS256', claims(user, { type: 'refresh' }), JWT_SECRET), status: 422 });
    const past = Math.floor(Date.now() / 1000) - 7200;
    await call('GET', '/products', { token: jwt('HS256', claims(user, { iat: past, nbf: past, exp: past + 3600 }), JWT_SECRET), status: 401 });
    await call('GET', '/products', { token: jwt('HS256', claims(user), JWT_SECRET), status: 200 });
}

// products
const laptop = await call('POST', '/products', { token, json: { name: 'Laptop', description: 'Gaming laptop', price: 1200.99, quantity: 10 }, status: 201 });
const id = laptop.body?.id;
const mouse = await call('POST', '/products', { token, json: { name: 'Mouse', price: 25, quantity: 100 }, status: 201 });
// Idempotency-Key (SPEC 11): the first answer again, 422 for another body, 400 for a bad key
{
    const key = { 'Idempotency-Key': `oas-${tag}` };
    const item = { name: 'Lamp', price: 30.5, quantity: 2 };
    const first = await call('POST', '/products', { token, headers: key, json: item, status: 201 });
    const again = await call('POST', '/products', { token, headers: key, json: item, status: 201 });
    if (again.res.headers.get('idempotent-replayed') !== 'true' || JSON.stringify(again.body) !== JSON.stringify(first.body)
        || again.res.headers.get('location') !== first.res.headers.get('location')) {
        failures.push('POST /products: a repeat with its Idempotency-Key is not the first answer replayed');
    }
    await call('POST', '/products', { token, headers: key, json: { ...item, quantity: 3 }, status: 422 });
    await call('POST', '/products', { token, headers: { 'Idempotency-Key': 'k'.repeat(256) }, json: item, status: 400 });
}
await call('POST', '/products', { token, json: { name: 'Desk', price: '12', quantity: 1.5 }, status: 400 });
await call('POST', '/products', { token, json: { price: 1 }, status: 400 });
await call('POST', '/products', { token, raw: '{"name": "Desk", "price": 1,', status: 400 });
await call('POST', '/products', { token, raw: '{}', headers: { 'Content-Type': 'text/plain' }, status: 415 });
await call('POST', '/products', { token, raw: JSON.stringify({ name: 'x'.repeat(70000), price: 1, quantity: 1 }), status: 413 });
await call('POST', '/products', { json: { name: 'Desk', price: 1, quantity: 1 }, status: 401 });
await call('POST', '/products', { token: 'not.a.token', json: { name: 'Desk', price: 1, quantity: 1 }, status: 422 });
await call('GET', '/products', { token, status: 200 });
await call('GET', `/products?limit=1&after_id=${id - 1}`, { token, status: 200 });
await call('GET', '/products?limit=1001', { token, status: 400 });

const itemPaths = [`/products/${id}`, `/products/${id}/history`];
for (const p of itemPaths) {
    await call('GET', p, { token, status: 200 });
    await call('GET', p, { status: 401 });
    await call('GET', p, { token: 'not.a.token', status: 422 });
}
await call('GET', '/products/abc', { token, status: 404 });
await call('GET', '/products/2147483647/history', { token, status: 404 });
await call('GET', `/products/${id}/history?limit=1&after_seq=0`, { token, status: 200 });
await call('GET', `/products/${id}/history?limit=0`, { token, status: 400 });
await call('POST', `/products/${id}`, { token, status: 405 });
await call('DELETE', `/products/${id}/history`, { token, status: 405 });
for (const m of ['PUT', 'PATCH']) {
    const p = `/products/${id}`;
    const r = await call(m, p, { token, json: { quantity: m === 'PUT' ? 5 : 4 }, status: 200 });
    await call(m, p, { token, json: { quantity: 3 }, headers: { 'If-Match': '"1"' }, status: 412 });
    await call(m, p, { token, json: { quantity: 3 }, headers: { 'If-Match': r.res.headers.get('etag') }, status: 200 });
    await call(m, p, { token, json: {}, status: 400 });
    await call(m, p, { token, raw: '{', status: 400 });
    await call(m, p, { token, raw: '{}', headers: { 'Content-Type': 'text/plain' }, status: 415 });
    await call(m, p, { token, raw: JSON.stringify({ description: 'd'.repeat(70000) }), status: 413 });
    await call(m, '/products/2147483647', { token, json: { quantity: 1 }, status: 404 });
    await call(m, p, { json: { quantity: 1 }, status: 401 });
    await call(m, p, { token: 'not.a.token', json: { quantity: 1 }, status: 422 });
}
await call('DELETE', `/products/${id}`, { token, headers: { 'If-Match': '"1"' }, status: 412 });
await call('DELETE', `/products/${id}`, { status: 401 });
await call('DELETE', `/products/${id}`, { token: 'not.a.token', status: 422 });
await call('DELETE', `/products/${id}`, { token, status: 200 });
await call('DELETE', `/products/${id}`, { token, status: 404 });
await call('GET', `/products/${id}`, { token, status: 404 });
await call('GET', `/products/${id}/history`, { token, status: 200 });

// the account lifecycle (SPEC 9)
// enrolled(name): sign-up, password login, first code: {token, secret, codes, step}
async function enrolled(name) {
    await call('POST', '/signup', { json: { username: name, password }, status: 201 });
    const e = await call('POST', '/login', { json: { username: name, password }, headers: JSON_ACCEPT, status: 200 });
    const s = /[?&]secret=([A-Z2-7]+)/.exec(e.body?.otpauth_uri || '')?.[1];
    const v = await call('POST', '/verify-2fa', { json: { username: name, code: totp(s) }, status: 200 });
    if (!v.body?.recovery_codes) failures.push(`${name}: the first confirmation carried no recovery_codes`);
    return { token: v.body?.access_token, secret: s, codes: v.body?.recovery_codes || [] };
}
const acct = `acct_${tag}`;
let a = await enrolled(acct);
await call('POST', '/verify-2fa', { json: { username: acct, code: '123456', recovery_code: a.codes[0] }, status: 400 });
await call('POST', '/login', { json: { username: acct, password }, headers: JSON_ACCEPT, status: 200 });
const rec = await call('POST', '/verify-2fa', { json: { username: acct, recovery_code: a.codes[0].toUpperCase() }, status: 200 });
if (rec.body?.recovery_codes_left !== 9) failures.push(`recovery_codes_left ${rec.body?.recovery_codes_left}, not 9`);
// new codes
await call('POST', '/account/recovery-codes', { json: { password }, status: 401 });
await call('POST', '/account/recovery-codes', { token: 'not.a.token', json: { password }, status: 422 });
await call('POST', '/account/recovery-codes', { token: a.token, json: {}, status: 400 });
await call('POST', '/account/recovery-codes', { token: a.token, json: { password: 'wrong-password' }, status: 401 });
const fresh = await call('POST', '/account/recovery-codes', { token: a.token, json: { password }, status: 200 });
a.codes = fresh.body?.recovery_codes || [];
// password change: every older token refused
const password2 = `${password}-2`;
await call('POST', '/account/password', { json: { old_password: password, new_password: password2 }, status: 401 });
await call('POST', '/account/password', { token: 'not.a.token', json: { old_password: password, new_password: password2 }, status: 422 });
await call('POST', '/account/password', { token: a.token, json: { old_password: password, new_password: 'short' }, status: 400 });
await call('POST', '/account/password', { token: a.token, json: { old_password: 'wrong-password', new_password: password2 }, status: 401 });
await call('POST', '/account/password', { token: a.token, json: { old_password: password, new_password: password2 }, status: 200 });
await call('GET', '/products', { token: a.token, status: 401 });   // revoked
await call('POST', '/login', { json: { username: acct, password: password2 }, headers: JSON_ACCEPT, status: 200 });
a.token = (await call('POST', '/verify-2fa', { json: { username: acct, recovery_code: a.codes[1] }, status: 200 })).body?.access_token;
// 2FA reset and a new enrollment
await call('POST', '/account/2fa/reset', { json: { password: password2 }, status: 401 });
await call('POST', '/account/2fa/reset', { token: 'not.a.token', json: { password: password2 }, status: 422 });
await call('POST', '/account/2fa/reset', { token: a.token, json: { password: 12 }, status: 400 });
await call('POST', '/account/2fa/reset', { token: a.token, json: { password: 'wrong-password' }, status: 401 });
await call('POST', '/account/2fa/reset', { token: a.token, json: { password: password2 }, status: 200 });
const again = await call('POST', '/login', { json: { username: acct, password: password2 }, headers: JSON_ACCEPT, status: 200 });
a.secret = /[?&]secret=([A-Z2-7]+)/.exec(again.body?.otpauth_uri || '')?.[1];
const reenrolled = await call('POST', '/verify-2fa', { json: { username: acct, code: totp(a.secret) }, status: 200 });
a.token = reenrolled.body?.access_token;
a.codes = reenrolled.body?.recovery_codes || [];
// logout
await call('POST', '/logout', { status: 401 });
await call('POST', '/logout', { token: 'not.a.token', status: 422 });
await call('POST', '/logout', { token: a.token, status: 200 });
await call('POST', '/logout', { token: a.token, status: 401 });   // revoked
// deletion, with a recovery code
await call('POST', '/login', { json: { username: acct, password: password2 }, headers: JSON_ACCEPT, status: 200 });
a.token = (await call('POST', '/verify-2fa', { json: { username: acct, recovery_code: a.codes[0] }, status: 200 })).body?.access_token;
await call('DELETE', '/account', { json: { password: password2, code: a.codes[1] }, status: 401 });
await call('DELETE', '/account', { token: 'not.a.token', json: { password: password2, code: a.codes[1] }, status: 422 });
await call('DELETE', '/account', { token: a.token, json: { password: password2 }, status: 400 });
await call('DELETE', '/account', { token: a.token, json: { password: password2, code: a.codes[0] }, status: 401 });   // used
await call('DELETE', '/account', { token: a.token, json: { password: password2, code: a.codes[1] }, status: 200 });
await call('GET', '/products', { token: a.token, status: 401 });   // revoked
await call('GET', '/account', { token: a.token, status: 405 });
// a locked account: every route that checks a password answers 429
const lockedAcct = `acctlock_${tag}`;
const l = await enrolled(lockedAcct);
for (let i = 0; i < 5; i++) await call('POST', '/account/recovery-codes', { token: l.token, json: { password: 'wrong-password' }, status: 401 });
await call('POST', '/account/recovery-codes', { token: l.token, json: { password }, status: 429 });
await call('POST', '/account/password', { token: l.token, json: { old_password: password, new_password: password2 }, status: 429 });
await call('POST', '/account/2fa/reset', { token: l.token, json: { password }, status: 429 });
await call('DELETE', '/account', { token: l.token, json: { password, code: l.codes[0] }, status: 429 });

// the database goes away and comes back
if (PROXY_PID) {
    console.log('---- cutting the database connection (faultproxy SIGUSR1)');
    process.kill(PROXY_PID, 'SIGUSR1');
    if (!(await waitReady(503, 10))) failures.push('GET /readyz did not answer 503 within 10 s of cutting the database');
    await call('GET', '/readyz', { status: 503 });
    await call('GET', '/healthz', { status: 200 });
    await call('POST', '/signup', { json: { username: `down_${tag}`, password }, status: 503 });
    await call('POST', '/login', { json: { username: user, password }, status: 503 });
    await call('POST', '/verify-2fa', { json: { username: user, code: '123456' }, status: 503 });
    await call('GET', '/products', { token, status: 503 });
    await call('POST', '/products', { token, json: { name: 'Chair', price: 10, quantity: 1 }, status: 503 });
    const other = `/products/${mouse.body?.id}`;
    await call('GET', other, { token, status: 503 });
    await call('PUT', other, { token, json: { quantity: 1 }, status: 503 });
    await call('PATCH', other, { token, json: { quantity: 1 }, status: 503 });
    await call('DELETE', other, { token, status: 503 });
    await call('GET', `${other}/history`, { token, status: 503 });
    await call('POST', '/account/recovery-codes', { token, json: { password }, status: 503 });
    await call('POST', '/account/password', { token, json: { old_password: password, new_password: password2 }, status: 503 });
    await call('POST', '/account/2fa/reset', { token, json: { password }, status: 503 });
    await call('DELETE', '/account', { token, json: { password, code: '123456' }, status: 503 });
    await call('POST', '/logout', { token, status: 503 });
    console.log('---- restoring the database connection (faultproxy SIGUSR2)');
    process.kill(PROXY_PID, 'SIGUSR2');
    if (!(await waitReady(200, 15))) failures.push('GET /readyz did not answer 200 within 15 s of restoring the database');
    await call('GET', other, { token, status: 200 });   // the server reconnected by itself
}
await call('DELETE', `/products/${mouse.body?.id}`, { token, status: 200 });

// --- coverage of the document ----------------------------------------------------------
const notRequired = new Set();
if (!PROXY_PID) for (const k of documented.keys()) if (k.endsWith(' 503')) notRequired.add(k);
const unseen = [...documented].filter(([k, seen]) => !seen && !notRequired.has(k)).map(([k]) => k);
for (const k of unseen) failures.push(`documented but never answered: ${k}`);

const seen = [...documented.values()].filter(Boolean).length;
console.log(`\nvalidate_openapi: ${checked} responses checked against ${DOC_PATH}; ` +
    `${seen} of ${documented.size} documented (operation, status) pairs seen`);
if (failures.length) {
    console.log(`validate_openapi: ${failures.length} problem(s):`);
    for (const f of failures) console.log(`  - ${f.length > 800 ? f.slice(0, 800) + '...' : f}`);
    process.exit(1);
}
console.log('validate_openapi: OK');
