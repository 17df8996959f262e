#!/usr/bin/env node
// The authentication side of a MySQL 8 server, and only that: enough of the
// client/server protocol to check that a client library completes MySQL 8's
// default authentication, caching_sha2_password, over plain TCP (no TLS), both
// ways the real server runs it:
//
//   - full authentication (the user's hash is not in the server's cache yet,
//     as for the first login after every MySQL restart): the server answers
//     "perform full authentication", the client asks for the server's RSA
//     public key and sends the password RSA-OAEP encrypted;
//   - fast authentication (cached): the SHA-256 scramble alone.
//
// After a successful login it answers OK to every query and ping (no result
// sets), so a client can connect, ping and quit. It is NOT a MySQL server: it
// proves the authentication exchange of tests/e2e/test_mysql8_auth.sh, nothing
// about SQL. Protocol: MySQL's "Connection Phase" and caching_sha2_password
// documentation (HandshakeV10, HandshakeResponse41, AuthMoreData 0x03/0x04,
// public-key request 0x02).
//
//   node fake_mysql8.mjs USER PASSWORD
//     prints "listening PORT" (127.0.0.1, a free port), then one line per login:
//     "auth fast ok USER", "auth full-rsa ok USER", "auth denied USER (...)"
import { createHash, generateKeyPairSync, privateDecrypt, randomBytes, constants } from 'node:crypto';
import net from 'node:net';

const [USER, PASSWORD] = process.argv.slice(2);
if (!USER || PASSWORD === undefined) {
    console.error('usage: fake_mysql8.mjs USER PASSWORD');
    process.exit(2);
}

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' });
const cache = new Set();   // users whose full authentication succeeded (MySQL's cache)

const CLIENT_LONG_PASSWORD = 0x1, CLIENT_CONNECT_WITH_DB = 0x8, CLIENT_PROTOCOL_41 = 0x200,
    CLIENT_TRANSACTIONS = 0x2000, CLIENT_SECURE_CONNECTION = 0x8000, CLIENT_MULTI_STATEMENTS = 0x10000,
    CLIENT_MULTI_RESULTS = 0x20000, CLIENT_PS_MULTI_RESULTS = 0x40000, CLIENT_PLUGIN_AUTH = 0x80000,
    CLIENT_CONNECT_ATTRS = 0x100000, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;
// No CLIENT_SSL: the client cannot switch to TLS, so a full authentication
// must take the RSA path (what a client without TLS meets against MySQL 8).
const SERVER_CAPS = CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 |
    CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS |
    CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const xor = (a, b) => Buffer.from(a.map((x, i) => x ^ b[i % b.length]));

function okPacket() {
    return Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);
}
function errPacket(code, state, message) {
    const head = Buffer.alloc(3);
    head[0] = 0xff;
    head.writeUInt16LE(code, 1);
    return Buffer.concat([head, Buffer.from('#' + state + message)]);
}

let connectionId = 0;
const server = net.createServer((socket) => {
    const nonce = randomBytes(20).map((b) => (b & 0x7f) || 1);   // no NUL, like MySQL's
    let buffer = Buffer.alloc(0);
    let stage = 'response';
    let user = '';
    let seq = 0;

    const send = (payload) => {
        const head = Buffer.alloc(4);
        head.writeUIntLE(payload.length, 0, 3);
        head[3] = seq & 0xff;
        seq++;
        socket.write(Buffer.concat([head, payload]));
    };
    const deny = (why) => {
        console.log(`auth denied ${user} (${why})`);
        send(errPacket(1045, '28000', `Access denied for user '${user}'`));
        socket.end();
    };

    // HandshakeV10
    const version = Buffer.from('8.4.0-fake-auth-only\0');
    const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
    let o = 0;
    fixed.writeUInt32LE(++connectionId, o); o += 4;
    nonce.copy(fixed, o, 0, 8); o += 8;
    fixed[o++] = 0;
    fixed.writeUInt16LE(SERVER_CAPS & 0xffff, o); o += 2;
    fixed[o++] = 255;                       // utf8mb4_0900_ai_ci
    fixed.writeUInt16LE(0x0002, o); o += 2; // autocommit
    fixed.writeUInt16LE(SERVER_CAPS >>> 16, o); o += 2;
    fixed[o++] = 21;                        // length of the auth data
    send(Buffer.concat([Buffer.from([10]), version, fixed, nonce.subarray(8), Buffer.from([0]),
        Buffer.from('caching_sha2_password\0')]));

    socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 4) {
            const len = buffer.readUIntLE(0, 3);
            if (buffer.length < 4 + len) return;
            seq = buffer[3] + 1;
            const payload = buffer.subarray(4, 4 + len);
            buffer = buffer.subarray(4 + len);
            handle(payload);
        }
    });
    socket.on('error', () => socket.destroy());

    function handle(p) {
        if (stage === 'response') {
            const caps = p.readUInt32LE(0);
            let i = 4 + 4 + 1 + 23;
            const nul = p.indexOf(0, i);
            user = p.subarray(i, nul).toString();
            i = nul + 1;
            let authLen;
            if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
                authLen = p[i++];   // lengths here are < 251
            } else {
                authLen = p[i++];
            }
            const scramble = p.subarray(i, i + authLen);
            i += authLen;
            if (caps & CLIENT_CONNECT_WITH_DB) i = p.indexOf(0, i) + 1;
            const plugin = caps & CLIENT_PLUGIN_AUTH ? p.subarray(i, p.indexOf(0, i)).toString() : '';
            if (plugin !== 'caching_sha2_password') return deny(`client plugin ${JSON.stringify(plugin)}`);
            if (user !== USER) return deny('unknown user');
            const d1 = sha256(Buffer.from(PASSWORD));
            const expected = xor(d1, sha256(sha256(d1), nonce));
            if (cache.has(user) && scramble.equals(expected)) {
                send(Buffer.from([0x01, 0x03]));   // fast_auth_success
                send(okPacket());
                console.log(`auth fast ok ${user}`);
                stage = 'command';
                return;
            }
            send(Buffer.from([0x01, 0x04]));       // perform_full_authentication
            stage = 'full';
            return;
        }
        if (stage === 'full') {
            if (p.length === 1 && p[0] === 0x02) { // request_public_key
                send(Buffer.concat([Buffer.from([0x01]), Buffer.from(PUBLIC_PEM)]));
                return;
            }
            let clear;
            try {
                clear = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, p);
            } catch {
                return deny('the password is neither RSA-encrypted nor sent over TLS');
            }
            const password = xor(clear, nonce);
            if (!password.equals(Buffer.concat([Buffer.from(PASSWORD), Buffer.from([0])]))) return deny('wrong password');
            cache.add(user);
            send(okPacket());
            console.log(`auth full-rsa ok ${user}`);
            stage = 'command';
            return;
        }
        // command phase: COM_QUIT closes, anything else gets OK
        seq = 1;
        if (p[0] === 0x01) { socket.end(); return; }
        send(okPacket());
    }
});

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
