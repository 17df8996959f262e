"""The database connection killed in the middle of a query or a result
(SPEC §8, issue 20 item 1), against the real server.

A failed row fetch used to close the connection, and every prepared statement
with it, while the caller still held the statement it was reading: the
caller's db_done() then freed a result of freed memory (a crash at the first
KILL during a list or a history read). The failed fetch also carried no error
number on the statement (Connector/C puts it on the connection, or none at
all), so it was logged as "db: error 0:" and answered 500 instead of 503.

The server runs with MALLOC_PERTURB_ (glibc fills freed memory) and, in an
ASan build, with ASan's own free fill, so a use after free reads garbage
pointers and crashes instead of passing unnoticed.

- MidResultKillTests: an unpaged GET /products is parked mid-result (the
  client stops reading, so the server stops fetching and MariaDB stops
  sending); its database connection is then killed (KILL QUERY, then
  KILL CONNECTION), and the client reads on: the stream is cut off (the
  chunked terminator never comes), the server lives, logs no "db: error"
  (a failed fetch is a lost connection, not an unknown error) and the next
  request on another connection succeeds (reconnect).
- KillStormTests: thousands of products and a product with thousands of
  history entries; for at most KILL_ROUNDS rounds and STORM_SECONDS, reader
  threads read GET /products (unpaged, some slowly), ?limit=1000 and the
  history, another signs up, logs in, verifies and creates products, while a
  killer thread runs KILL / KILL QUERY on the server's connections (found in
  information_schema.PROCESSLIST by the test database's name). Every answer
  is a 2xx with a complete valid JSON body, a 503 database_unavailable, or,
  for the unpaged list only, a cut-off stream. Afterwards a normal request
  succeeds, the server is alive and exits 0 on SIGTERM.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MYSQL_SOCKET, ServerTestCase, bearer, hotp, current_step  # noqa: E402

PRODUCTS = 6000              # rows of the list: ~3.8 MB unpaged, so it streams for a while
HISTORY = 3000               # history entries of product 1
DESCRIPTION = "d" * 600
KILL_ROUNDS = 60             # killer rounds in the storm
STORM_SECONDS = 30.0         # the storm's time bound
READER_MAX_REQUESTS = 400    # per reader thread
CLIENT_TIMEOUT = 20.0


def perturbing_env():
    """Server env in which a read of freed memory finds garbage: glibc's
    MALLOC_PERTURB_, and in an ASan build ASan's free fill (ASan's allocator
    ignores MALLOC_PERTURB_ and, unfilled, a freed MYSQL_STMT read by the
    uninstrumented Connector/C would still look valid)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "max_free_fill_size=1048576:free_fill_byte=165"
    return {"MALLOC_PERTURB_": "165", "ASAN_OPTIONS": asan, "THREADS": "16"}


def server_connections(db_name):
    """(id, command, info) of the server's connections to db_name."""
    rows = harness.mariadb(
        "SELECT ID, COMMAND, IFNULL(INFO, '') FROM information_schema.PROCESSLIST "
        f"WHERE USER = 'app' AND DB = '{db_name}' AND ID <> CONNECTION_ID()")
    return [(int(r[0]), r[1], r[2]) for r in rows]


def kill(ids, query_only):
    """KILL [QUERY] each id; ids that ended meanwhile are no error."""
    if not ids:
        return
    verb = "KILL QUERY" if query_only else "KILL CONNECTION"
    sql = " ".join(f"{verb} {int(i)};" for i in ids)
    subprocess.run(["mariadb", "--no-defaults", f"--socket={MYSQL_SOCKET}", "-uroot", "--force",
                    "-e", sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


class RawResponse:
    """One HTTP/1.1 exchange read to EOF on a raw socket, so that a body cut
    off before its chunked terminator can be told from a complete one."""

    def __init__(self, status, headers, body, complete):
        self.status = status
        self.headers = headers      # dict, lower-case names
        self.body = body
        self.complete = complete

    def __repr__(self):
        return (f"<{self.status} complete={self.complete} {self.headers!r} "
                f"{self.body[:300]!r}...{len(self.body)} bytes>")


def parse_response(raw):
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return RawResponse(None, {}, raw, False)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body, pos = b"", 0
        while True:
            eol = rest.find(b"\r\n", pos)
            if eol < 0:
                return RawResponse(status, headers, body, False)
            try:
                size = int(rest[pos:eol].split(b";")[0], 16)
            except ValueError:
                return RawResponse(status, headers, body, False)
            if size == 0:
                return RawResponse(status, headers, body, rest[eol + 2:eol + 4] == b"\r\n")
            chunk = rest[eol + 2:eol + 2 + size]
            if len(chunk) < size or rest[eol + 2 + size:eol + 4 + size] != b"\r\n":
                return RawResponse(status, headers, body + chunk, False)
            body += chunk
            pos = eol + 4 + size
    length = headers.get("content-length")
    if length is None or not length.isdigit():
        return RawResponse(status, headers, rest, False)
    return RawResponse(status, headers, rest[:int(length)], len(rest) == int(length))


def raw_get(port, path, token, slow=False, rcvbuf=None, on_first_bytes=None):
    """GET path, read to EOF and parsed (harness.raw_get). slow: read in small
    pieces with pauses, so the server (and MariaDB behind it) waits for this
    client mid-result. on_first_bytes(): called once, after the first bytes
    arrived, while this client has stopped reading."""
    data, _ = harness.raw_get(port, path, token, extra="Connection: close\r\n", slow=slow,
                              rcvbuf=rcvbuf, on_first_bytes=on_first_bytes,
                              timeout=CLIENT_TIMEOUT, pause=0.0005)
    return parse_response(data)


def fill(db):
    db.sql("INSERT INTO products (name, description, price, quantity) "
           f"SELECT CONCAT('product ', seq), '{DESCRIPTION}', 12.50, seq "
           f"FROM mysql.seq_1_to_{PRODUCTS}")
    db.sql("INSERT INTO product_history (product_id, action, username, before_json, after_json) "
           "SELECT 1, 'update', 'someone', JSON_OBJECT('name', CONCAT('old ', seq), 'quantity', "
           "seq), JSON_OBJECT('name', CONCAT('new ', seq), 'quantity', seq + 1) "
           f"FROM mysql.seq_1_to_{HISTORY}")


class KillTestCase(ServerTestCase):
    server_env = perturbing_env()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fill(cls.db)

    def assertServerClean(self):
        self.assertTrue(self.server.running(), "the server died\n" + self.server.tail())
        err = self.server.stderr()
        for bad in ("AddressSanitizer", "runtime error:", "db: error"):
            self.assertNotIn(bad, err, self.server.tail())

    def assertRecovers(self):
        """After the kills: past the idle check every worker's dead connection
        is noticed before use, so plain requests succeed at once."""
        time.sleep(1.3)
        token = self.user.token
        for path in ("/products?limit=5", "/products/1", "/products/1/history"):
            r = self.req("GET", path, headers=bearer(token))
            self.assertEqual(r.status, 200, r)
            self.assertIsInstance(r.json(), (list, dict), r)
        r = self.post_json("/products", {"name": "after", "price": 1, "quantity": 1},
                           headers=bearer(token))
        self.assertEqual(r.status, 201, r)


class MidResultKillTests(KillTestCase):

    def setUp(self):
        self.user = self.enrolled_user()

    def kill_mid_stream(self, query_only):
        """Park an unpaged list mid-result, kill its connection, read on."""
        parked = {}

        def park():
            # The client reads nothing more: the server blocks sending, stops
            # fetching, and MariaDB's connection waits mid-result.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                busy = [c for c in server_connections(self.db.name)
                        if c[1] == "Execute" and "FROM products" in c[2]]
                if busy:
                    parked["id"] = busy[0][0]
                    kill([busy[0][0]], query_only)
                    time.sleep(0.3)
                    return
                time.sleep(0.05)

        r = raw_get(self.server.port, "/products", self.user.token, rcvbuf=4096,
                    on_first_bytes=park)
        self.assertIn("id", parked, "the list's query was never seen mid-result")
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.complete, f"a killed stream must be cut off: {r!r}")
        self.assertServerClean()
        self.assertRecovers()
        self.assertServerClean()

    def test_kill_query_mid_stream_cuts_it_off_and_the_server_lives(self):
        self.kill_mid_stream(query_only=True)

    def test_kill_connection_mid_stream_cuts_it_off_and_the_server_lives(self):
        self.kill_mid_stream(query_only=False)


class KillStormTests(KillTestCase):

    def setUp(self):
        self.user = self.enrolled_user()

    def test_kills_during_lists_history_logins_and_writes(self):
        port, token = self.server.port, self.user.token
        stop = threading.Event()
        lock = threading.Lock()
        bad = []          # (what, response or exception)
        counts = {"ok": 0, "503": 0, "cut": 0, "kills": 0}

        def note(kind):
            with lock:
                counts[kind] += 1

        def fail(what, r):
            with lock:
                bad.append((what, r))
            stop.set()

        def is_503(status, body):
            if status != 503:
                return False
            try:
                return json.loads(body).get("error") == "database_unavailable"
            except (ValueError, AttributeError):
                return False

        def check_raw(what, r, may_cut):
            if r.status == 200 and r.complete:
                try:
                    json.loads(r.body)
                except ValueError:
                    return fail(what + " (200, not JSON)", r)
                return note("ok")
            if r.status == 200 and may_cut:
                return note("cut")
            if r.complete and is_503(r.status, r.body):
                return note("503")
            fail(what, r)

        def reader(n):
            rng = random.Random(n)
            for _ in range(READER_MAX_REQUESTS):
                if stop.is_set():
                    return
                pick = rng.randrange(4)
                try:
                    if pick == 0:
                        check_raw("GET /products", raw_get(port, "/products", token), True)
                    elif pick == 1:
                        check_raw("GET /products (slow)",
                                  raw_get(port, "/products", token, slow=True, rcvbuf=8192), True)
                    elif pick == 2:
                        check_raw("GET /products?limit=1000",
                                  raw_get(port, "/products?limit=1000", token), False)
                    else:
                        check_raw("GET /products/1/history",
                                  raw_get(port, "/products/1/history", token), False)
                except OSError as e:
                    fail(f"reader {n}", e)

        def expect(what, r, ok_status):
            """ok_status or 503: True for ok_status, False for 503."""
            if r.status == ok_status:
                try:
                    r.json()
                except ValueError:
                    fail(what + " (not JSON)", r)
                    return False
                note("ok")
                return True
            if is_503(r.status, r.body):
                note("503")
                return False
            fail(what, r)
            return False

        def writer():
            # A flow stops at its first 503 (a 503 write may have committed).
            for i in range(READER_MAX_REQUESTS):
                if stop.is_set():
                    return
                try:
                    r = self.post_json("/products", {"name": f"w{i}", "price": 2.5,
                                                     "quantity": i}, headers=bearer(token))
                    expect("POST /products", r, 201)
                    name = harness.new_username("k")
                    r = self.post_json("/signup", {"username": name,
                                                   "password": harness.DEFAULT_PASSWORD})
                    if not expect("POST /signup", r, 201):
                        continue
                    r = self.login(name, harness.DEFAULT_PASSWORD)
                    if not expect("POST /login", r, 200):
                        continue
                    secret = harness.secret_from_uri(r.json()["otpauth_uri"])
                    r = self.verify(name, hotp(secret, current_step()))
                    expect("POST /verify-2fa", r, 200)
                except OSError as e:
                    fail("writer", e)

        def killer():
            rng = random.Random(99)
            deadline = time.monotonic() + STORM_SECONDS
            for _ in range(KILL_ROUNDS):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                time.sleep(rng.uniform(0.05, 0.3))
                conns = server_connections(self.db.name)
                busy = [c[0] for c in conns if c[1] != "Sleep"]
                targets = busy if busy and rng.random() < 0.8 else [c[0] for c in conns]
                kill(targets, query_only=rng.random() < 0.5)
                note("kills")
                if not self.server.running():
                    fail("server", "died")
                    break
            stop.set()

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
        threads += [threading.Thread(target=writer), threading.Thread(target=killer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=STORM_SECONDS + 60)
        stop.set()
        self.assertFalse(any(t.is_alive() for t in threads), "a test thread hung")
        sys.stderr.write(f"  storm: {counts}\n")
        self.assertEqual(bad[:5], [], self.server.tail())
        self.assertGreater(counts["kills"], 0)
        self.assertServerClean()
        self.assertRecovers()
        self.assertServerClean()
        self.server.stop()   # SIGTERM: exit status 0 within the harness's bound


if __name__ == "__main__":
    harness.main()
