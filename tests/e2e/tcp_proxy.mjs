#!/usr/bin/env node
// A TCP relay that can be cut and restored, to take "the database" away from a
// running server: tests/e2e/test_openapi.sh points the server's DATABASE_URL
// at it, and tests/e2e/validate_openapi.mjs signals it.
//
//   node tcp_proxy.mjs TARGET_HOST TARGET_PORT
//     prints "listening PORT" (a free port on 127.0.0.1) once it accepts
//     SIGUSR1  cut: stop listening and drop every relayed connection
//     SIGUSR2  restore: listen again on the same port
//     SIGTERM  exit
import net from 'node:net';

const [host, portText] = process.argv.slice(2);
const targetPort = Number(portText);
if (!host || !Number.isInteger(targetPort)) {
    console.error('usage: tcp_proxy.mjs TARGET_HOST TARGET_PORT');
    process.exit(2);
}

const sockets = new Set();
let listenPort = 0;
let server = null;

function track(socket) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
}

function listen(announce) {
    server = net.createServer((client) => {
        const upstream = net.connect(targetPort, host);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
    });
    server.on('error', (err) => {
        console.error(`tcp_proxy: ${err.message}`);
        process.exit(1);
    });
    server.listen(listenPort, '127.0.0.1', () => {
        listenPort = server.address().port;
        if (announce) console.log(`listening ${listenPort}`);
    });
}

process.on('SIGUSR1', () => {
    if (server) {
        server.close();
        server = null;
    }
    for (const s of sockets) s.destroy();
    sockets.clear();
    console.log('cut');
});
process.on('SIGUSR2', () => {
    if (!server) listen(false);
    console.log('restored');
});
process.on('SIGTERM', () => process.exit(0));
// Signal handlers do not keep Node.js running: while cut, nothing else would.
setInterval(() => {}, 1 << 30);

listen(true);
