"""The server on a real three-node MariaDB Galera cluster (SPEC §11, issue 22).

The module starts its own cluster with scripts/galera.sh in a temporary
folder, on free loopback ports, and always stops it (tearDownModule, and an
atexit hook if the module dies early). Without galera-4 or rsync it is
skipped. CTest runs it in the ASan flavour only (label `cluster`; see
scripts/test.sh): a crash is what a second run would add.

One database on the cluster and one server per node, each listing its own
node first and the others after it (DATABASE_URL with three servers):

- CrossNodeTests: a login on node 1 and its /verify-2fa on node 2, the same
  code replayed on node 3; a lock made on node 1 holds on nodes 2 and 3;
  If-Match PUTs racing on two nodes: exactly one 200, the other 412, never
  500 or 503; a product's history written on alternating nodes stays in
  order; an Idempotency-Key used on node 1 replays on node 2 (and two first
  requests with one key racing on two nodes make one product); a node that
  is not ready (isolated: 1047) makes /readyz 503 for a
  server that can use no other node, and is left for another node by one
  that can.
- NodeKillTests: node 1 killed with SIGKILL under mixed load (creates, reads,
  updates) through a server that lists node 1 first: requests fail with 503
  only while the server moves (bounded), never 500; no write answered 2xx is
  lost; the node rejoins, and every node's table checksums agree.
"""

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, ServerTestCase, current_step, hotp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GALERA = os.path.join(ROOT, "scripts", "galera.sh")
NODES = 3
MOVE_BOUND = 12.0    # seconds of 503s allowed around a node's death (suspect timeout 3 s + stall)

_cluster = None


def _have_galera():
    return (os.path.exists("/usr/lib/galera/libgalera_smm.so")
            and shutil.which("rsync") is not None)


def _ports_free(base):
    for n in range(NODES):
        for k in range(4):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", base + 10 * n + k))
                except OSError:
                    return False
    return True


class Cluster:
    """Three Galera nodes under a temporary folder (scripts/galera.sh)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="it-galera-")
        os.chmod(self.dir, 0o755)  # the nodes run as mysql when we are root
        start = int(os.environ.get("IT_GALERA_PORT", "0")) or 20000 + (os.getpid() % 400) * 25
        for base in range(start, start + 2000, 30):
            if _ports_free(base):
                self.base = base
                break
        else:
            raise AssertionError("no free ports for the cluster")
        self.env = dict(os.environ, GALERA_DIR=self.dir, GALERA_PORT=str(self.base))
        self.started = False

    def run(self, *args, timeout=300):
        p = subprocess.run([GALERA] + list(args), env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = p.stdout.decode(errors="replace")
        if p.returncode != 0:
            raise AssertionError(f"galera.sh {' '.join(args)} failed ({p.returncode}):\n{out}")
        return out

    def start(self):
        self.started = True
        t0 = time.monotonic()
        self.run("start")
        self.start_seconds = time.monotonic() - t0

    def stop(self):
        if self.started:
            self.started = False
            try:
                self.run("stop")
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)

    def port(self, n):
        return self.base + 10 * (n - 1)

    def socket(self, n):
        with open(os.path.join(self.dir, f"node{n}", "socket.path")) as f:
            return f.read().strip()

    def url(self, first, db, others=True):
        order = [first] + ([n for n in range(1, NODES + 1) if n != first] if others else [])
        hosts = ",".join(f"127.0.0.1:{self.port(n)}" for n in order)
        return f"mysql://app:app@{hosts}/{db}"

    def sql(self, n, query, db=None, timeout=60):
        cmd = ["mariadb", "--no-defaults", f"--socket={self.socket(n)}", "-uroot", "-N", "-B"]
        if db:
            cmd.append(f"--database={db}")
        p = subprocess.run(cmd + ["-e", query], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if p.returncode != 0:
            raise AssertionError(f"node {n}: {query!r}: {p.stderr.decode(errors='replace')}")
        return [line.split("\t") for line in p.stdout.decode().splitlines() if line]

    def checksums(self, n, db):
        rows = self.sql(n, f"CHECKSUM TABLE `{db}`.users, `{db}`.products, "
                           f"`{db}`.product_history EXTENDED")
        return {r[0].split(".")[-1]: r[1] for r in rows}


def setUpModule():
    global _cluster
    if not _have_galera():
        raise unittest.SkipTest("galera-4 or rsync not installed")
    _cluster = Cluster()
    atexit.register(_cluster.stop)
    _cluster.start()
    sys.stderr.write(f"cluster: 3 nodes Synced in {_cluster.start_seconds:.1f} s "
                     f"(ports {_cluster.base}..{_cluster.base + 23})\n")


def tearDownModule():
    if _cluster is not None:
        _cluster.stop()


class GaleraTestCase(ServerTestCase):
    """A fresh database on the cluster and one server per node."""

    start_server = False
    server_env = {}

    @classmethod
    def setUpClass(cls):
        cls.dbname = f"it_galera_{os.getpid()}_{cls.__name__.lower()}"[:64]
        _cluster.sql(1, f"CREATE DATABASE `{cls.dbname}` CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_unicode_ci")
        cls.addClassCleanup(lambda: _cluster.sql(1, f"DROP DATABASE IF EXISTS `{cls.dbname}`"))
        cls.servers = []
        cls.node_srv = {}
        cls.server = None
        for n in range(1, NODES + 1):
            srv = Server(cls.dbname, env=cls.server_env, database_url=_cluster.url(n, cls.dbname))
            cls.addClassCleanup(srv.cleanup)
            cls.servers.append(srv)
            # one at a time: the first applies schema.sql, the others find it
            srv.start()
            cls.node_srv[n] = srv
        cls.server = cls.node_srv[1]

    def on(self, n):
        return self.node_srv[n]


class CrossNodeTests(GaleraTestCase):
    server_env = {"LOGIN_MAX_FAILURES": "2", "LOGIN_LOCK_SECONDS": "60"}

    def test_login_on_one_node_verify_on_another_replay_on_a_third(self):
        for i in range(6):
            a, b, c = self.on(1 + i % 3), self.on(1 + (i + 1) % 3), self.on(1 + (i + 2) % 3)
            harness.wait_away_from_step_edge(4)
            user, pw = self.signup(srv=a)
            secret = self.login_secret(user, pw, srv=a)       # read-your-writes: the signup
            code = hotp(secret, current_step())
            body = self.verify_ok(user, code, srv=b)          # the challenge opened on a
            r = self.verify(user, code, srv=c)                 # the same code on a third node
            self.assertEqual(r.status, 401, r)
            g = self.req("GET", "/products", srv=c, headers=harness.bearer(body["access_token"]))
            self.assertJsonResponse(g, 200)

    def test_lock_made_on_one_node_holds_on_the_others(self):
        user, pw = self.signup(srv=self.on(1))
        for _ in range(2):
            r = self.login(user, "wrong password!", srv=self.on(1))
            self.assertEqual(r.status, 401, r)
        for n in (2, 3):
            r = self.login(user, pw, srv=self.on(n))
            self.assertError(r, 429, "too_many_attempts")

    def test_if_match_races_on_two_nodes_have_one_winner(self):
        u = self.enrolled_user(srv=self.on(1))
        r = self.req("POST", "/products", headers=u.auth,
                     json_body={"name": "race", "price": 1.5, "quantity": 1})
        pid = self.assertJsonResponse(r, 201)["id"]
        outcomes = {}
        for rep in range(30):
            g = self.req("GET", f"/products/{pid}", srv=self.on(2), headers=u.auth)
            etag = self.assertJsonResponse(g, 200) and g.header("ETag")
            pair = (1 + rep % 3, 1 + (rep + 1) % 3)
            results = [None, None]
            barrier = threading.Barrier(2)

            def shoot(k, node):
                barrier.wait()
                results[k] = self.req("PUT", f"/products/{pid}", srv=self.on(node),
                                      headers=dict(u.auth, **{"If-Match": etag}),
                                      json_body={"name": f"race {rep} {k}", "price": 2,
                                                 "quantity": rep})
            ts = [threading.Thread(target=shoot, args=(k, n)) for k, n in enumerate(pair)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            statuses = sorted(r.status for r in results)
            outcomes[tuple(statuses)] = outcomes.get(tuple(statuses), 0) + 1
            self.assertEqual(statuses, [200, 412], f"rep {rep}: {results!r}")
        versions = {int(_cluster.sql(n, f"SELECT version FROM products WHERE id = {pid}",
                                     db=self.dbname)[0][0]) for n in range(1, NODES + 1)}
        self.assertEqual(versions, {31})

    def test_history_written_on_alternating_nodes_stays_in_order(self):
        u = self.enrolled_user(srv=self.on(1))
        r = self.req("POST", "/products", headers=u.auth,
                     json_body={"name": "h", "price": 1, "quantity": 0})
        pid = self.assertJsonResponse(r, 201)["id"]
        for q in range(1, 10):
            r = self.req("PATCH", f"/products/{pid}", srv=self.on(1 + q % 3), headers=u.auth,
                         json_body={"quantity": q})
            self.assertJsonResponse(r, 200)
        h = self.req("GET", f"/products/{pid}/history", srv=self.on(3), headers=u.auth)
        events = self.assertJsonResponse(h, 200)
        if isinstance(events, dict):
            events = events.get("history", events.get("items", []))
        qty = [e["after"]["quantity"] for e in events]
        self.assertEqual(qty, list(range(10)), events)
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs))
        # a page after the fifth entry holds the rest
        p = self.req("GET", f"/products/{pid}/history?limit=100&after_seq={seqs[4]}",
                     srv=self.on(2), headers=u.auth)
        rest = self.assertJsonResponse(p, 200)
        if isinstance(rest, dict):
            rest = rest.get("history", rest.get("items", []))
        self.assertEqual([e["after"]["quantity"] for e in rest], list(range(5, 10)))

    def test_an_idempotency_key_holds_across_nodes(self):
        u = self.enrolled_user(srv=self.on(1))
        name = f"idem {os.getpid()}"
        body = {"name": name, "price": 3.5, "quantity": 7}
        h = dict(u.auth, **{"Idempotency-Key": f"across-{os.getpid()}"})
        first = self.req("POST", "/products", srv=self.on(1), headers=h, json_body=body)
        pid = self.assertJsonResponse(first, 201)["id"]
        self.assertIsNone(first.header("Idempotent-Replayed"), first)
        again = self.req("POST", "/products", srv=self.on(2), headers=h, json_body=body)
        self.assertEqual((again.status, again.body), (201, first.body), again)
        self.assertEqual(again.header("Idempotent-Replayed"), "true", again)
        for k in ("Location", "ETag"):
            self.assertEqual(again.header(k), first.header(k), k)
        r = self.req("POST", "/products", srv=self.on(3), headers=h,
                     json_body=dict(body, quantity=8))
        self.assertError(r, 422, "idempotency_key_reused")
        # two first requests with one key racing on two nodes: the one whose
        # commit loses certification (1213) runs again and finds the other's
        for rep in range(10):
            hk = dict(u.auth, **{"Idempotency-Key": f"race-{os.getpid()}-{rep}"})
            results = [None, None]
            barrier = threading.Barrier(2)

            def shoot(k, node):
                barrier.wait()
                results[k] = self.req("POST", "/products", srv=self.on(node), headers=hk,
                                      json_body=dict(body, quantity=rep))
            ts = [threading.Thread(target=shoot, args=(k, 1 + (rep + k) % 3)) for k in (0, 1)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual([r.status for r in results], [201, 201], f"rep {rep}: {results!r}")
            self.assertEqual(results[0].body, results[1].body, f"rep {rep}")
        for n in range(1, NODES + 1):
            rows = _cluster.sql(n, "SET SESSION wsrep_sync_wait = 1; SELECT"
                                   f" (SELECT COUNT(*) FROM products WHERE name = '{name}'),"
                                   " (SELECT COUNT(*) FROM idempotency_keys),"
                                   " (SELECT COUNT(*) FROM product_history WHERE action ="
                                   f" 'create' AND JSON_VALUE(after_json, '$.name') = '{name}'),"
                                   f" (SELECT product_id FROM idempotency_keys WHERE idem_key ="
                                   f" 'across-{os.getpid()}')", db=self.dbname)
            self.assertEqual(rows, [["11", "11", "11", str(pid)]], f"node {n}")

    def test_a_node_that_is_not_ready_is_unavailable_or_left(self):
        u = self.enrolled_user(srv=self.on(1))
        only3 = Server(self.dbname, env=self.server_env,
                       database_url=_cluster.url(3, self.dbname, others=False))
        self.addCleanup(only3.cleanup)
        only3.start()
        _cluster.sql(3, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
        try:
            deadline = time.monotonic() + 20
            while _cluster.sql(3, "SHOW STATUS LIKE 'wsrep_ready'")[0][1] != "OFF":
                self.assertLess(time.monotonic(), deadline, "node 3 still ready")
                time.sleep(0.2)
            r = only3.request("GET", "/readyz")
            self.assertEqual(r.status, 503, r)
            r = only3.request("GET", "/products", headers=u.auth)
            self.assertError(r, 503, "database_unavailable")
            # the server of node 3 also lists 1 and 2: it moves
            srv3 = self.on(3)
            self.assertEqual(srv3.request("GET", "/readyz").status, 200)
            for _ in range(5):
                r = srv3.request("GET", "/products", headers=u.auth)
                self.assertJsonResponse(r, 200)
            self.assertNotIn("db: error", only3.stderr() + srv3.stderr())
        finally:
            _cluster.sql(3, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
            _cluster.run("wait")
        only3.stop()
        deadline = time.monotonic() + 20
        while only3.running():
            time.sleep(0.1)
        self.assertTrue(time.monotonic() < deadline)


class NodeKillTests(GaleraTestCase):
    WORKERS = 6
    BEFORE, DOWN = 3.0, 10.0

    def test_node_killed_under_load(self):
        srv = self.on(1)              # lists node 1 first: its connections die with it
        u = self.enrolled_user(srv=srv)
        stop = threading.Event()
        log = []                      # (t, kind, status)
        created = []                  # ids answered 201
        acked = {}                    # product id -> highest version answered 200
        lock = threading.Lock()
        errors = []

        def worker(w):
            rnd = random.Random(w)
            mine = []
            while not stop.is_set():
                t = time.monotonic()
                try:
                    kind = rnd.choice(["create", "create", "read", "update"] if mine
                                      else ["create"])
                    if kind == "create":
                        r = srv.request("POST", "/products", headers=u.auth, timeout=30,
                                        json_body={"name": f"k{w}", "price": 1, "quantity": 1})
                        if r.status == 201:
                            pid = r.json()["id"]
                            mine.append([pid, 1])
                            with lock:
                                created.append(pid)
                    elif kind == "read":
                        r = srv.request("GET", f"/products/{rnd.choice(mine)[0]}",
                                        headers=u.auth, timeout=30)
                    else:
                        p = rnd.choice(mine)
                        r = srv.request("PUT", f"/products/{p[0]}", timeout=30,
                                        headers=dict(u.auth, **{"If-Match": f'"{p[1]}"'}),
                                        json_body={"name": "upd", "price": 2, "quantity": p[1]})
                        if r.status == 200:
                            p[1] += 1
                            with lock:
                                acked[p[0]] = p[1]
                        elif r.status == 412:  # a 503 that had committed: read the version
                            g = srv.request("GET", f"/products/{p[0]}", headers=u.auth)
                            if g.status == 200:
                                p[1] = int(g.header("ETag").strip('"'))
                    with lock:
                        log.append((t, kind, r.status))
                except Exception as e:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(repr(e))
                    return

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(self.WORKERS)]
        t_start = time.monotonic()
        for t in threads:
            t.start()
        try:
            time.sleep(self.BEFORE)
            t_kill = time.monotonic()
            _cluster.run("kill", "1")
            time.sleep(self.DOWN)
            t_restart = time.monotonic()
            out = _cluster.run("restart", "1")
            time.sleep(3.0)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        t_end = time.monotonic()
        self.assertEqual(errors, [])
        statuses = {}
        for _, kind, st in log:
            statuses[(kind, st)] = statuses.get((kind, st), 0) + 1
        bad = [x for x in log if x[2] >= 500 and x[2] != 503]
        self.assertEqual(bad, [], statuses)
        fails = [x[0] for x in log if x[2] == 503]
        window = (max(fails) - min(fails)) if fails else 0.0
        sys.stderr.write(
            f"\nnode kill: {len(log)} requests in {t_end - t_start:.1f} s, statuses {statuses}; "
            f"503s: {len(fails)} over {window:.2f} s, first {min(fails) - t_kill:.2f} s after "
            f"the kill\n" if fails else f"\nnode kill: {len(log)} requests, no 503, {statuses}\n")
        sys.stderr.write(f"restart: {out.strip().splitlines()[-1]}; "
                         f"restarted {t_restart - t_kill:.1f} s after the kill\n")
        if fails:
            self.assertGreaterEqual(min(fails), t_kill - 0.5)
            self.assertLess(window, MOVE_BOUND, statuses)
        ok_after = [x for x in log if x[0] > t_kill + MOVE_BOUND and x[2] < 300]
        self.assertTrue(ok_after, "nothing succeeded after the move")
        self.assertGreater(len(created), 10)
        # no write answered 2xx is lost, on any node
        for n in range(1, NODES + 1):
            rows = _cluster.sql(n, "SELECT id, version FROM products", db=self.dbname)
            have = {int(i): int(v) for i, v in rows}
            missing = [i for i in created if i not in have]
            self.assertEqual(missing, [], f"node {n} lost acknowledged creates")
            older = [(i, v, have.get(i)) for i, v in acked.items() if have.get(i, 0) < v]
            self.assertEqual(older, [], f"node {n} lost acknowledged updates")
        sums = {n: _cluster.checksums(n, self.dbname) for n in range(1, NODES + 1)}
        self.assertEqual(sums[1], sums[2], sums)
        self.assertEqual(sums[1], sums[3], sums)


if __name__ == "__main__":
    harness.main()
