"""Chaos: the database connection cut at random moments under mixed load
(issue 20, "Beyond the list"; SPEC §2, §4, §6, §8), against the real server.

The server reaches MariaDB through tests/lib/faultproxy.py. For CHAOS_SECONDS
(60; env CHAOS_SECONDS) the proxy cuts:
  - every relayed connection after a random number of relayed bytes
    (random_cuts: exponential, mean CUT_MEAN_BYTES, half of them RST), so a
    cut lands inside a query, a result or a routine's transaction;
  - every live connection at once (cut_all), at random moments;
  - now and then everything for a short while (mode cut: new connections
    closed at once; mode refuse: the port closed).
The schedule comes from one seed, printed at the start (env CHAOS_SEED
replays it, as far as thread timing allows).

Meanwhile WORKERS client threads (bounded by CHAOS_SECONDS and by
MAX_REQUESTS each) run mixed load: signups, logins with right and wrong
passwords, /verify-2fa with right and wrong codes, product creates, PUT and
PATCH with and without If-Match (a known version or a stale one), DELETE
with and without If-Match, single reads, the unpaged list, list pages and
histories. Each worker owns its products, so its writes to one product are
sequential, and each write carries a value no other write sends, so every
history entry can be traced to the request that made it.

Every answer must be the one the request can get (judged against what the
worker knows: a product whose earlier write went unanswered may have
changed, a user whose earlier wrong attempts were sent may be locked...),
503 database_unavailable with Retry-After, 503 server_busy (password
checks), or for the unpaged list a stream cut off after its first bytes.
A 500, a missing answer, a client timeout or a malformed body fails.

Afterwards, with the proxy forwarding again:
  - the server is alive, ready, and exits 0 on SIGTERM; its stderr holds no
    sanitizer report (ASan/UBSan/LSan) and no "db: error" (an unknown
    error: a lost connection must be told as such);
  - products (read with the mariadb CLI): each history starts with its
    create, each entry's `before` is the previous `after`, nothing follows a
    delete; the row is the last entry's `after` with version = 1 + updates,
    or is gone when the last entry is a delete; every entry traces to one
    request, at most once, that did not get a 4xx, in the order the requests
    were sent (so a product shows its last acknowledged write or a later
    attempted one); every acknowledged write (201, 200) has its entry, with
    what its answer said (body, ETag); every product deleted with a 200 is
    gone; every product in the table traces to a create request;
  - a sample of histories read through the API equals the table's;
  - users: every acknowledged signup exists, no user that was never signed
    up does; counters non-negative; locked_until NULL or at most
    max(LOGIN_LOCK_SECONDS, 24 h) ahead; failed_logins no more than the
    failure-type attempts sent since the last acknowledged completed login;
    zero (and no lock) when none was sent since; an open challenge's wrong
    codes below five; attempts in flight expire within their hold.
"""

import decimal
import http.client
import json
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (DEFAULT_PASSWORD, MYSQL_PORT, FaultProxy, ServerTestCase, bearer,  # noqa: E402
                     current_step, hotp, new_username, secret_from_uri)

RECOVERY_CODE = re.compile(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}")

CHAOS_SECONDS = float(os.environ.get("CHAOS_SECONDS", "60"))
WORKERS = 5
MAX_REQUESTS = 10000         # per worker (a bound; the 60 s end the load first)
CLIENT_TIMEOUT = 15.0        # the server's MySQL timeouts are 2 s connect, 5 s read
CUT_MEAN_BYTES = 64 * 1024
MAX_FAILURES_SHOWN = 25
LOGIN_MAX_FAILURES = 3
LOGIN_LOCK_SECONDS = 1       # locks come and go (1, 2, 4, ... s) during the run
LOGIN_QUEUE_SECONDS = 5
HOLD_SLACK_SECONDS = 30      # routes_auth.c: a reserved check counts this long after the queue
DAY = 86400
PRICES = (0.0, 0.5, 1, 12.34, 1200.99, 99999999.99, 7.1)

TWO = decimal.Decimal("0.01")


def chaos_env():
    """As in test_db_kill: freed memory is filled, so a use after free reads
    garbage and crashes instead of passing unnoticed."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "max_free_fill_size=1048576:free_fill_byte=165"
    return {"MALLOC_PERTURB_": "165", "ASAN_OPTIONS": asan, "THREADS": "8",
            "LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
            "LOGIN_LOCK_SECONDS": str(LOGIN_LOCK_SECONDS),
            "LOGIN_QUEUE_SECONDS": str(LOGIN_QUEUE_SECONDS)}


def money(v):
    return decimal.Decimal(str(v)).quantize(TWO)


def norm(state):
    """A product's fields in comparable form (from an answer, a history
    entry or a row)."""
    return {"id": int(state["id"]), "name": state["name"],
            "description": state["description"], "price": money(state["price"]),
            "quantity": int(state["quantity"])}


def overlay(before, sent):
    after = dict(before)
    for k, v in sent.items():
        after[k] = money(v) if k == "price" else v
    return after


class Answer:
    """One exchange: status (None when no answer), headers, body, whether
    the body was complete, the exception if any, and timing."""

    def __init__(self, status=None, headers=None, body=b"", complete=False, error=None,
                 t0=0.0, t1=0.0):
        self.status, self.headers, self.body = status, headers, body
        self.complete, self.error, self.t0, self.t1 = complete, error, t0, t1

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def json(self):
        return json.loads(self.body.decode("utf-8"), parse_float=decimal.Decimal)

    def __repr__(self):
        hdrs = dict(self.headers.items()) if self.headers is not None else {}
        return (f"<{self.status} complete={self.complete} error={self.error!r} "
                f"took {self.t1 - self.t0:.2f}s {hdrs!r} {self.body[:300]!r}>")


def exchange(port, method, path, json_body=None, headers=None):
    headers = dict(headers or {})
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    a = Answer(t0=t0)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        a.status, a.headers = resp.status, resp.headers
        a.body = resp.read()
        a.complete = True
    except http.client.IncompleteRead as e:
        a.body, a.error = e.partial, e
    except (OSError, http.client.HTTPException) as e:
        a.error = e
    finally:
        conn.close()
        a.t1 = time.monotonic()
    return a


# --------------------------------------------------------------------------
# What the workers did
# --------------------------------------------------------------------------

ACK, REFUSED, UNKNOWN = "ack", "refused", "unknown"


class Write:
    """A write request on a product: create, update or delete."""

    def __init__(self, seq, kind, worker, sent=None, pid=None, if_match=None):
        self.seq, self.kind, self.worker = seq, kind, worker
        self.sent = sent or {}
        self.pid, self.if_match = pid, if_match
        self.outcome = None       # ACK, REFUSED or UNKNOWN
        self.answer = None
        self.state = None         # ACK: the product the answer carried (norm)
        self.version = None       # ACK: its ETag
        self.matched = 0          # history entries traced to it

    def __repr__(self):
        a = self.answer
        when = f" at +{a.t0 - Chaos.T0:.3f}s..+{a.t1 - Chaos.T0:.3f}s" if a else ""
        return (f"<write #{self.seq} {self.kind} by w{self.worker} pid={self.pid} "
                f"if_match={self.if_match} sent={self.sent} -> {self.outcome} "
                f"{a.status if a else None}{when}>")


class Product:
    """A product a worker created (with a 201): what it knows of it."""

    def __init__(self, create):
        self.pid = create.pid
        self.writes = [create]
        self.state = create.state
        self.version = 1
        self.uncertain = False     # a write since the last known state went unanswered
        self.maybe_deleted = False
        self.deleted = False       # a DELETE answered 200
        self.gone = False          # a request answered 404 (an unanswered DELETE did it)


class Account:
    """A user of the auth load."""

    def __init__(self, name, password):
        self.name, self.password = name, password
        self.signed_up = None      # ACK or UNKNOWN
        self.secret = None
        self.last_step = 0         # the highest step sent in a right code
        self.wrong_since_ok = 0    # failure-type attempts since the last acked completion
        self.completed = 0         # acked completions
        self.log = []              # (op, status) for messages

    def __repr__(self):
        return (f"<account {self.name} signup={self.signed_up} completed={self.completed} "
                f"wrong_since_ok={self.wrong_since_ok} log={self.log[-12:]}>")


class Chaos:
    T0 = 0.0


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

class ChaosTests(ServerTestCase):
    start_server = False

    def test_random_cuts_under_mixed_load(self):
        if not MYSQL_PORT:
            self.fail("IT_MYSQL_PORT is not set (the TCP port of the test MariaDB)")
        seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 10**9))
        sys.stderr.write(f"\n    [chaos seed {seed} (CHAOS_SEED={seed} replays it), "
                         f"{CHAOS_SECONDS:.0f} s] ")
        sys.stderr.flush()
        self.seed = seed
        self.proxy = FaultProxy(MYSQL_PORT)
        self.addCleanup(self.proxy.close)
        url = f"mysql://app:app@127.0.0.1:{self.proxy.port}/{self.db.name}"
        self.srv = self.spawn_server(chaos_env(), database_url=url)

        self.lock = threading.Lock()
        self.failures = []
        self.stop = threading.Event()
        self.seq = 0
        self.load_end = 0.0
        self.counts = {}
        self.writes = []            # every Write
        self.creates_by_name = {}   # name -> create Write
        self.products = {}          # pid -> Product (acked creates)
        self.accounts = []
        self.owners = {}            # worker -> username of its token
        tokens = {}
        for w in range(WORKERS):
            u = self.enrolled_user(srv=self.srv)
            tokens[w] = u.token
            self.owners[w] = u.username

        self.proxy.random_cuts(CUT_MEAN_BYTES, seed=seed, rst_share=0.5)
        Chaos.T0 = time.monotonic()
        deadline = Chaos.T0 + CHAOS_SECONDS
        threads = [threading.Thread(target=self.worker, args=(w, tokens[w], seed, deadline),
                                    daemon=True) for w in range(WORKERS)]
        threads.append(threading.Thread(target=self.cutter, args=(seed, deadline), daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, deadline + CLIENT_TIMEOUT + 10 - time.monotonic()))
        hung = [t.name for t in threads if t.is_alive()]
        self.stop.set()
        self.proxy.random_cuts(None)
        self.proxy.forward()
        t_end = time.monotonic()
        self.note_counts(t_end)
        self.assertEqual(hung, [], "load threads did not finish")
        self.assertNoFailures("answers under chaos")
        self.assertServerClean()

        self.recover()
        self.check_products()
        self.check_history_api()
        self.check_users()
        self.assertNoFailures("state after chaos")
        self.assertServerClean()
        self.assertEqual(self.srv.stop(), 0)
        self.assertServerClean(alive=False)

    # -- bookkeeping --------------------------------------------------------

    def fail_with(self, what, answer=None):
        with self.lock:
            self.failures.append(f"{what}: {answer!r}" if answer is not None else what)
            if len(self.failures) >= MAX_FAILURES_SHOWN:
                self.stop.set()

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def note_counts(self, t_end):
        c = dict(sorted(self.counts.items()))
        total = sum(v for k, v in c.items() if k.startswith("status "))
        s = self.proxy.stats()
        acked = sum(1 for w in self.writes if w.outcome == ACK)
        unknown = sum(1 for w in self.writes if w.outcome == UNKNOWN)
        sys.stderr.write(f"\n    [chaos seed {self.seed}: {total} requests in "
                         f"{self.load_end - Chaos.T0:.1f}s (cuts for {t_end - Chaos.T0:.1f}s); "
                         f"{acked} writes acked, {unknown} unanswered; "
                         f"proxy {s}; {c}] ")
        sys.stderr.flush()

    def assertNoFailures(self, what):
        with self.lock:
            failures = list(self.failures)
        if failures:
            self.fail(f"{what} (seed {self.seed}): {len(failures)} failure(s):\n  "
                      + "\n  ".join(failures[:MAX_FAILURES_SHOWN]) + "\n" + self.srv.tail(30))

    def assertServerClean(self, alive=True):
        if alive:
            self.assertTrue(self.srv.running(), f"the server died (seed {self.seed})\n"
                            + self.srv.tail(60))
        err = self.srv.stderr()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                    "db: error"):
            self.assertNotIn(bad, err, f"seed {self.seed}\n" + self.srv.tail(60))

    # -- the schedule of cuts -------------------------------------------------

    def cutter(self, seed, deadline):
        rng = random.Random(seed + 1)
        for _ in range(2000):
            if self.stop.is_set() or time.monotonic() >= deadline:
                return
            time.sleep(rng.uniform(0.1, 1.0))
            if not self.srv.running():
                self.fail_with("the server process died during the load")
                return
            pick = rng.random()
            if pick < 0.9:
                self.proxy.cut_all()
                self.count("cut_all")
            elif pick < 0.95:
                self.proxy.cut()
                time.sleep(rng.uniform(0.05, 0.4))
                self.proxy.forward()
                self.count("cut window")
            else:
                self.proxy.refuse()
                time.sleep(rng.uniform(0.05, 0.4))
                self.proxy.forward()
                self.count("refuse window")

    # -- judging one answer -------------------------------------------------

    def judge(self, what, a, allowed, stream=False):
        """The kind of answer a is: a status in allowed (a dict status ->
        set of error codes, or None for any JSON), "503", or "cut" (a
        stream cut off after its status); records a failure and returns
        None for anything else. allowed's statuses must answer JSON."""
        self.count(f"status {a.status}")
        if a.status == 503:
            # as a client that honours Retry-After a little: the load stays
            # a mix of requests rather than a stream of fast 503s
            time.sleep(0.02)
        if a.status is None:
            self.fail_with(f"{what}: no answer", a)
            return None
        if not a.complete:
            if stream and a.status == 200:
                self.count("cut-off stream")
                return "cut"
            self.fail_with(f"{what}: the body was cut off", a)
            return None
        ctype = (a.header("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body = a.json()
        except ValueError:
            self.fail_with(f"{what}: the body is not JSON", a)
            return None
        if ctype != "application/json":
            self.fail_with(f"{what}: Content-Type {ctype!r}", a)
            return None
        if a.status == 503:
            code = body.get("error") if isinstance(body, dict) else None
            ok = {"database_unavailable"} | (allowed.get(503) or set())
            if code not in ok:
                self.fail_with(f"{what}: 503 {code!r} (expected one of {sorted(ok)})", a)
                return None
            if not re.fullmatch(r"[0-9]+", a.header("Retry-After") or ""):
                self.fail_with(f"{what}: 503 without a numeric Retry-After", a)
                return None
            self.count(f"503 {code}")
            return "503"
        if a.status not in allowed:
            self.fail_with(f"{what}: status {a.status} (expected one of "
                           f"{sorted(allowed)} or 503)", a)
            return None
        codes = allowed[a.status]
        if codes is not None:
            code = body.get("error") if isinstance(body, dict) else None
            if code not in codes:
                self.fail_with(f"{what}: {a.status} with error {code!r} (expected "
                               f"{sorted(codes)})", a)
                return None
        if a.status == 429 and not re.fullmatch(r"[0-9]+", a.header("Retry-After") or ""):
            self.fail_with(f"{what}: 429 without a numeric Retry-After", a)
            return None
        return a.status

    # -- the load -------------------------------------------------------------

    def worker(self, w, token, seed, deadline):
        rng = random.Random(seed * 31 + w)
        port = self.srv.port
        auth = bearer(token)
        mine = []              # my Products not known deleted
        accounts = []
        ops = (["create"] * 3 + ["update"] * 5 + ["delete"] + ["get"] + ["list"] + ["page"]
               + ["history"] + ["auth"] * 4)
        try:
            for _ in range(MAX_REQUESTS):
                if self.stop.is_set() or time.monotonic() >= deadline:
                    break
                op = rng.choice(ops)
                live = [p for p in mine if not p.deleted and not p.gone]
                if op == "create" or (op in ("update", "delete", "get", "history") and not live):
                    self.do_create(w, rng, port, auth, mine)
                elif op == "update":
                    self.do_update(w, rng, port, auth, rng.choice(live))
                elif op == "delete":
                    self.do_delete(w, rng, port, auth, rng.choice(live))
                elif op == "get":
                    self.do_get(port, auth, rng.choice(live))
                elif op == "history":
                    self.do_history(port, auth, rng.choice(mine))
                elif op == "list":
                    self.do_list(port, auth, mine)
                elif op == "page":
                    self.do_page(rng, port, auth)
                else:
                    self.do_auth(w, rng, port, accounts)
        except Exception as e:  # a bug of the test itself: show it
            import traceback
            self.fail_with(f"worker {w} raised {e!r}\n{traceback.format_exc()}")
        with self.lock:
            self.load_end = max(self.load_end, time.monotonic())

    # products

    def new_write(self, kind, w, **kw):
        wr = Write(self.next_seq(), kind, w, **kw)
        with self.lock:
            self.writes.append(wr)
        return wr

    def do_create(self, w, rng, port, auth, mine):
        wr = self.new_write("create", w)
        sent = {"name": f"c{w}-{wr.seq}", "price": rng.choice(PRICES), "quantity": wr.seq}
        if rng.random() < 0.7:
            sent["description"] = f"d{w}-{wr.seq}" + "x" * rng.randrange(0, 300)
        wr.sent = sent
        with self.lock:
            self.creates_by_name[sent["name"]] = wr
        a = exchange(port, "POST", "/products", sent, auth)
        wr.answer = a
        kind = self.judge("POST /products", a, {201: None})
        if kind == 201:
            body = a.json()
            state = norm({"description": "", **sent, "id": body.get("id", 0)})
            if norm(body) != state or set(body) != set(state):
                return self.fail_with(f"{wr}: 201 with another product", a)
            if a.header("ETag") != '"1"' or a.header("Location") != f"/products/{state['id']}":
                return self.fail_with(f"{wr}: 201 with ETag/Location wrong", a)
            wr.outcome, wr.pid, wr.state, wr.version = ACK, state["id"], state, 1
            p = Product(wr)
            with self.lock:
                if state["id"] in self.products:
                    return self.fail_with(f"{wr}: 201 with the id of another product", a)
                self.products[state["id"]] = p
            mine.append(p)
        elif kind == "503":
            wr.outcome = UNKNOWN

    def update_fields(self, rng, wr, w):
        """A non-empty partial product with one value no other write sends."""
        unique = rng.choice(("name", "description", "quantity"))
        sent = {}
        for f in ("name", "description", "price", "quantity"):
            if f == unique or rng.random() < 0.3:
                if f == "name":
                    sent[f] = f"u{w}-{wr.seq}"
                elif f == "description":
                    sent[f] = f"e{w}-{wr.seq}" + "y" * rng.randrange(0, 200)
                elif f == "price":
                    sent[f] = rng.choice(PRICES)
                else:
                    sent[f] = wr.seq
        return sent

    def if_match_for(self, rng, p):
        """(If-Match version or None, whether it is stale on purpose)."""
        r = rng.random()
        if r < 0.45:
            return p.version, False
        if r < 0.55 and p.version >= 2:
            return p.version - 1, True
        return None, False

    def do_update(self, w, rng, port, auth, p):
        wr = self.new_write("update", w, pid=p.pid)
        wr.sent = self.update_fields(rng, wr, w)
        wr.if_match, stale = self.if_match_for(rng, p)
        headers = dict(auth)
        if wr.if_match is not None:
            headers["If-Match"] = f'"{wr.if_match}"'
        method = rng.choice(("PUT", "PATCH"))
        p.writes.append(wr)
        a = exchange(port, method, f"/products/{p.pid}", wr.sent, headers)
        wr.answer = a
        allowed = {200: None}
        if wr.if_match is not None and (stale or p.uncertain):
            allowed[412] = {"precondition_failed"}
        if p.maybe_deleted:
            allowed[404] = {"not_found"}
        kind = self.judge(f"{method} /products/{p.pid} {wr}", a, allowed)
        if kind == 200:
            if stale:
                return self.fail_with(f"{wr}: a stale If-Match was answered 200", a)
            body = a.json()
            state = norm(body)
            etag = a.header("ETag") or ""
            if not re.fullmatch(r'"[0-9]+"', etag):
                return self.fail_with(f"{wr}: 200 without an ETag", a)
            version = int(etag.strip('"'))
            if not p.uncertain and (state != overlay(p.state, wr.sent) or
                                    version != p.version + 1):
                return self.fail_with(f"{wr}: 200 with {state} v{version}, expected "
                                      f"{overlay(p.state, wr.sent)} v{p.version + 1}", a)
            if p.uncertain and (any(state[k] != v for k, v in overlay({}, wr.sent).items())
                                or version <= p.version):
                return self.fail_with(f"{wr}: 200 with {state} v{version} (after "
                                      f"v{p.version} and unanswered writes)", a)
            wr.outcome, wr.state, wr.version = ACK, state, version
            p.state, p.version, p.uncertain, p.maybe_deleted = state, version, False, False
        elif kind in (412, 404):
            wr.outcome = REFUSED
            p.gone = p.gone or kind == 404
        elif kind == "503":
            wr.outcome = UNKNOWN
            p.uncertain = True

    def do_delete(self, w, rng, port, auth, p):
        wr = self.new_write("delete", w, pid=p.pid)
        wr.if_match, stale = self.if_match_for(rng, p)
        headers = dict(auth)
        if wr.if_match is not None:
            headers["If-Match"] = f'"{wr.if_match}"'
        p.writes.append(wr)
        a = exchange(port, "DELETE", f"/products/{p.pid}", None, headers)
        wr.answer = a
        allowed = {200: None}
        if wr.if_match is not None and (stale or p.uncertain):
            allowed[412] = {"precondition_failed"}
        if p.maybe_deleted:
            allowed[404] = {"not_found"}
        kind = self.judge(f"DELETE /products/{p.pid} {wr}", a, allowed)
        if kind == 200:
            if stale:
                return self.fail_with(f"{wr}: a stale If-Match was answered 200", a)
            if a.json() != {"message": "Product deleted successfully"}:
                return self.fail_with(f"{wr}: 200 with another body", a)
            wr.outcome = ACK
            p.deleted = True
        elif kind in (412, 404):
            wr.outcome = REFUSED
            p.gone = p.gone or kind == 404
        elif kind == "503":
            wr.outcome = UNKNOWN
            p.uncertain = p.maybe_deleted = True

    def do_get(self, port, auth, p):
        a = exchange(port, "GET", f"/products/{p.pid}", None, auth)
        allowed = {200: None}
        if p.maybe_deleted:
            allowed[404] = {"not_found"}
        kind = self.judge(f"GET /products/{p.pid}", a, allowed)
        p.gone = p.gone or kind == 404
        if kind == 200 and not p.uncertain:
            if norm(a.json()) != p.state or a.header("ETag") != f'"{p.version}"':
                self.fail_with(f"GET /products/{p.pid}: expected {p.state} v{p.version}", a)

    def check_entries(self, what, a, entries):
        prev = None
        for i, e in enumerate(entries):
            if set(e) != {"seq", "action", "username", "at", "before", "after"}:
                return self.fail_with(f"{what}: entry {i} has keys {sorted(e)}", a)
            if i == 0 and (e["action"] != "create" or e["before"] is not None):
                return self.fail_with(f"{what}: the first entry is not the create", a)
            if i > 0 and (e["seq"] <= prev["seq"] or e["before"] != prev["after"]
                          or prev["action"] == "delete"):
                return self.fail_with(f"{what}: entry {i} does not follow entry {i - 1}", a)
            prev = e

    def do_history(self, port, auth, p):
        path = f"/products/{p.pid}/history"
        a = exchange(port, "GET", path, None, auth)
        if self.judge(f"GET {path}", a, {200: None}) == 200:
            entries = a.json()
            if not isinstance(entries, list) or not entries:
                return self.fail_with(f"GET {path}: not a non-empty array", a)
            self.check_entries(f"GET {path}", a, entries)

    def do_list(self, port, auth, mine):
        # what the list must show: my products created (201) before it was
        # asked for and not touched by a DELETE since, and not those deleted
        # with a 200
        must = {p.pid for p in mine if not p.maybe_deleted and not p.deleted}
        gone = {p.pid for p in mine if p.deleted}
        a = exchange(port, "GET", "/products", None, auth)
        kind = self.judge("GET /products", a, {200: None}, stream=True)
        if kind != 200:
            return
        rows = a.json()
        if not isinstance(rows, list):
            return self.fail_with("GET /products: not an array", a)
        ids = [r.get("id") for r in rows]
        if ids != sorted(set(ids)):
            return self.fail_with("GET /products: ids not ascending", a)
        self.count("complete list")
        missing, present = must - set(ids), gone & set(ids)
        if missing or present:
            self.fail_with(f"GET /products: acknowledged products missing {sorted(missing)[:10]}"
                           f" or deleted ones present {sorted(present)[:10]}", a)

    def do_page(self, rng, port, auth):
        limit = rng.choice((1, 5, 50, 1000))
        after = rng.randrange(0, max(1, self.seq))
        path = f"/products?limit={limit}&after_id={after}"
        a = exchange(port, "GET", path, None, auth)
        if self.judge(f"GET {path}", a, {200: None}) != 200:
            return
        rows = a.json()
        ids = [r.get("id") for r in rows] if isinstance(rows, list) else None
        if ids is None or ids != sorted(set(ids)) or len(ids) > limit or \
                any(i <= after for i in ids):
            return self.fail_with(f"GET {path}: not a page after {after}", a)
        link = a.header("Link")
        if link is not None and (len(ids) != limit or link != (
                f'</products?limit={limit}&after_id={ids[-1]}>; rel="next"')):
            self.fail_with(f"GET {path}: Link {link!r} with {len(ids)} rows", a)

    # accounts

    def do_auth(self, w, rng, port, accounts):
        usable = [acc for acc in accounts if len(acc.log) < 60]
        if len(usable) < 3 or rng.random() < 0.08:
            acc = Account(new_username(f"x{w}_"), DEFAULT_PASSWORD + "!" + str(w))
            with self.lock:
                self.accounts.append(acc)
            accounts.append(acc)
            return self.do_signup(port, acc)
        acc = rng.choice(usable)
        r = rng.random()
        if acc.secret is not None and r < 0.35:
            self.do_verify(port, acc, right=True)
        elif r < 0.6:
            self.do_login(port, acc, right=True)
        elif r < 0.8:
            self.do_login(port, acc, right=False)
        else:
            self.do_verify(port, acc, right=False)

    def do_signup(self, port, acc):
        a = exchange(port, "POST", "/signup", {"username": acc.name, "password": acc.password})
        kind = self.judge(f"POST /signup {acc.name}", a, {201: None, 503: {"server_busy"}})
        acc.log.append(("signup", a.status))
        if kind == 201:
            if a.json() != {"message": "User registered successfully"}:
                return self.fail_with("POST /signup: 201 with another body", a)
            acc.signed_up = ACK
        elif kind == "503":
            acc.signed_up = UNKNOWN

    def do_login(self, port, acc, right):
        if not right:
            acc.wrong_since_ok += 1      # counted before it is sent: it may count
        pw = acc.password if right else acc.password + "-wrong"
        a = exchange(port, "POST", "/login", {"username": acc.name, "password": pw},
                     {"Accept": "application/json"})
        allowed = {503: {"server_busy"}}
        if not right or acc.signed_up != ACK:
            allowed[401] = {"invalid_credentials"}
        if acc.wrong_since_ok > 0:
            allowed[429] = {"too_many_attempts"}
        if right:
            allowed[200] = None
        what = f"POST /login ({'right' if right else 'wrong'} password) {acc!r}"
        kind = self.judge(what, a, allowed)
        acc.log.append(("login" if right else "login-wrong", a.status))
        if kind == 200:
            body = a.json()
            if body.get("2fa_enrolled") is False:
                secret = secret_from_uri(body.get("otpauth_uri", ""))
                if acc.secret is not None and secret != acc.secret:
                    return self.fail_with(f"{what}: the secret changed", a)
                acc.secret = secret
            elif body != {"message": "Enter the code from your authenticator app",
                          "2fa_enrolled": True}:
                self.fail_with(f"{what}: 200 with another body", a)

    def do_verify(self, port, acc, right):
        # Any verify not answered 200 may count as a wrong code.
        acc.wrong_since_ok += 1
        if right:
            step = max(current_step(), acc.last_step + 1)
            if step > current_step() + 1:
                step = current_step()    # replayed: answered 401 invalid_code
            acc.last_step = max(acc.last_step, step)
            code = hotp(acc.secret, step)
        else:
            code = harness.wrong_code(acc.secret) if acc.secret else "000000"
        a = exchange(port, "POST", "/verify-2fa", {"username": acc.name, "code": code})
        allowed = {401: {"invalid_code", "login_required"}}
        if acc.wrong_since_ok > 1:
            allowed[429] = {"too_many_attempts"}
        if right:
            allowed[200] = None
        what = f"POST /verify-2fa ({'right' if right else 'wrong'} code) {acc!r}"
        kind = self.judge(what, a, allowed)
        acc.log.append(("verify" if right else "verify-wrong", a.status))
        if kind == 200:
            body = a.json()
            keys = {"access_token", "token_type", "expires_in"}
            # SPEC 9: the answer that first confirms 2FA carries the 10
            # recovery codes; a confirmation answered 503 may have committed,
            # so a first acknowledged one may come without them, but one
            # after an acknowledged confirmation never has them.
            codes = body.get("recovery_codes")
            if codes is not None and (acc.completed or not (
                    isinstance(codes, list) and len(codes) == 10 and
                    all(isinstance(c, str) and RECOVERY_CODE.fullmatch(c) for c in codes))):
                return self.fail_with(f"{what}: 200 with recovery codes it must not carry", a)
            if set(body) - {"recovery_codes"} != keys:
                return self.fail_with(f"{what}: 200 with another body", a)
            acc.wrong_since_ok = 0
            acc.completed += 1

    # -- afterwards ---------------------------------------------------------

    def recover(self):
        """The proxy forwards again: the server answers 2xx within 10 s.
        First past the idle check (db.c's STALE_CHECK_IDLE_MS, 1 s): a
        connection cut while idle and used again within it fails its next
        statement (one 503) by design; past it, every dead one is noticed
        before use, so from then on every request must succeed."""
        time.sleep(1.3)
        deadline = time.monotonic() + 10
        last = None
        while time.monotonic() < deadline:
            last = exchange(self.srv.port, "GET", "/readyz")
            if last.status == 200:
                break
            time.sleep(0.2)
        self.assertEqual(last.status, 200, f"not ready 10 s after the cuts stopped: {last!r}\n"
                         + self.srv.tail())
        token = self.enrolled_user(srv=self.srv).token
        r = self.srv.request("GET", "/products?limit=5", headers=bearer(token))
        self.assertEqual(r.status, 200, r)
        self.token = token

    def history_rows(self):
        rows = self.db.sql("SELECT id, product_id, action, username, "
                           "IFNULL(JSON_COMPACT(before_json), 'null'), "
                           "IFNULL(JSON_COMPACT(after_json), 'null') "
                           "FROM product_history ORDER BY id")
        hist = {}
        for hid, pid, action, user, before, after in rows:
            hist.setdefault(int(pid), []).append({
                "seq": int(hid), "action": action, "username": user,
                "before": json.loads(before, parse_float=decimal.Decimal),
                "after": json.loads(after, parse_float=decimal.Decimal)})
        return hist

    def check_products(self):
        hist = self.history_rows()
        table = {int(r[0]): {"id": r[0], "name": r[1], "description": r[2], "price": r[3],
                             "quantity": r[4], "version": int(r[5])}
                 for r in self.db.sql("SELECT id, name, description, price, quantity, version "
                                      "FROM products")}
        bad = []
        for pid in sorted(set(hist) | set(table)):
            problem = self.check_product(pid, hist.get(pid, []), table.get(pid))
            if problem:
                bad.append(f"product {pid}: {problem}")
        for wr in self.writes:
            if wr.outcome == ACK and wr.matched != 1:
                bad.append(f"{wr} acknowledged but found {wr.matched} times in the history")
            if wr.matched > 1:
                bad.append(f"{wr} applied {wr.matched} times")
        for p in self.products.values():
            if p.deleted and p.pid in table:
                bad.append(f"product {p.pid} deleted with a 200 is still there")
        for b in bad[:MAX_FAILURES_SHOWN]:
            self.fail_with(b)
        sys.stderr.write(f"\n    [after: {len(table)} products, {sum(map(len, hist.values()))} "
                         f"history entries checked] ")

    def check_product(self, pid, entries, row):
        if not entries:
            return f"a row without history: {row}"
        # the chain
        for i, e in enumerate(entries):
            if i == 0:
                if e["action"] != "create" or e["before"] is not None:
                    return f"the first entry is not a create: {e}"
            else:
                if entries[i - 1]["action"] == "delete":
                    return f"entry {e['seq']} follows a delete"
                if e["action"] not in ("update", "delete") or \
                        e["before"] != entries[i - 1]["after"]:
                    return f"entry {e['seq']}'s before is not the previous after: {entries}"
        last = entries[-1]
        updates = sum(1 for e in entries if e["action"] == "update")
        if last["action"] == "delete":
            if row is not None:
                return f"the last entry is a delete but the row is there: {row}"
        else:
            if row is None:
                return f"the row is gone without a delete entry: {last}"
            if norm(row) != norm(last["after"]):
                return f"the row {row} is not the last entry's after {last['after']}"
            if row["version"] != 1 + updates:
                return f"version {row['version']} after {updates} updates"
        # tracing every entry to the request that made it
        create = self.creates_by_name.get(entries[0]["after"]["name"])
        if create is None:
            return f"created by no request of the test: {entries[0]}"
        if create.outcome == REFUSED or create.outcome is None:
            return f"created by {create}, which was not acknowledged nor unanswered"
        create.matched += 1
        if create.outcome == ACK and (create.pid != pid or
                                      create.state != norm(entries[0]["after"])):
            return f"{create} answered {create.state} but the history says {entries[0]}"
        traced = [create]
        product = self.products.get(pid)
        candidates = product.writes[1:] if product is not None and create.outcome == ACK else []
        version = 1
        for e in entries[1:]:
            if e["action"] == "update":
                version += 1
                before, after = norm(e["before"]), norm(e["after"])
                found = [wr for wr in candidates if wr.kind == "update"
                         and overlay(before, wr.sent) == after]
            else:
                # one delete at most can have applied: the acknowledged one
                # if any, else an unanswered one sent after the entry before
                deletes = [wr for wr in candidates if wr.kind == "delete"]
                found = ([wr for wr in deletes if wr.outcome == ACK]
                         or [wr for wr in deletes if wr.outcome == UNKNOWN
                             and wr.seq > traced[-1].seq] or deletes)
            if len(found) < 1:
                return f"entry {e} traces to no request: {candidates}"
            wr = found[0]
            wr.matched += 1
            if wr.outcome not in (ACK, UNKNOWN):
                return f"entry {e} made by {wr}, which was refused"
            if wr.seq < traced[-1].seq:
                return (f"entry {e} made by {wr}, sent before {traced[-1]} of the entry "
                        "before it (writes applied out of order)")
            if wr.outcome == ACK and wr.kind == "update" and (
                    wr.state != norm(e["after"]) or wr.version != version):
                return f"{wr} answered {wr.state} v{wr.version}, the history says {e} v{version}"
            if e["username"].lower() != self.owners[wr.worker].lower():
                return f"entry {e} has username {e['username']}"
            traced.append(wr)
        return None

    def check_history_api(self):
        """A sample of histories read through the API equals the table's."""
        hist = self.history_rows()
        rng = random.Random(self.seed + 2)
        sample = rng.sample(sorted(hist), min(25, len(hist)))
        for pid in sample:
            r = self.srv.request("GET", f"/products/{pid}/history?limit=1000",
                                 headers=bearer(self.token))
            self.assertEqual(r.status, 200, r)
            got = [{k: e[k] for k in ("seq", "action", "username", "before", "after")}
                   for e in r.json()]
            self.assertEqual(got, hist[pid], f"product {pid}")

    def check_users(self):
        cols = {r[0] for r in self.db.sql(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA = '{self.db.name}' AND TABLE_NAME = 'users'")}
        want = [c for c in ("failed_logins", "locked_until", "challenge_expires",
                            "challenge_failures", "attempts_in_flight", "attempts_expire")
                if c in cols]
        self.assertIn("failed_logins", want)
        self.assertIn("locked_until", want)
        rows = self.db.sql("SELECT username, UNIX_TIMESTAMP(), " + ", ".join(want)
                           + " FROM users")
        users = {}
        for r in rows:
            users[r[0].lower()] = dict(zip(["now"] + want,
                                           [None if v is None else int(v) for v in r[1:]]))
        known = {acc.name.lower(): acc for acc in self.accounts}
        owners = {n.lower() for n in self.owners.values()}
        hold = LOGIN_QUEUE_SECONDS + HOLD_SLACK_SECONDS + 5
        bad = []
        for acc in self.accounts:
            if acc.signed_up == ACK and acc.name.lower() not in users:
                bad.append(f"{acc!r}: signed up with a 201 but not in the table")
        locked = 0
        for name, u in users.items():
            acc = known.get(name)
            if acc is None:
                if name not in owners and not name.startswith(f"u{os.getpid() % 100000}_"):
                    bad.append(f"user {name} was never signed up")
                continue
            if acc.signed_up is None:
                bad.append(f"{acc!r}: in the table but its signup was answered 4xx")
            now = u["now"]
            if u["failed_logins"] < 0:
                bad.append(f"{acc!r}: failed_logins {u}")
            if u["locked_until"] is not None:
                locked += u["locked_until"] > now
                if u["locked_until"] > now + max(LOGIN_LOCK_SECONDS, DAY) + 5:
                    bad.append(f"{acc!r}: locked beyond the longest lock: {u}")
            if u["failed_logins"] > acc.wrong_since_ok:
                bad.append(f"{acc!r}: {u['failed_logins']} failures counted, but only "
                           f"{acc.wrong_since_ok} failure-type attempts were sent since the "
                           f"last completed login: {u}")
            if acc.completed and acc.wrong_since_ok == 0 and (
                    u["failed_logins"] != 0 or u["locked_until"] is not None):
                bad.append(f"{acc!r}: a completed login after the last failure, yet {u}")
            if u.get("challenge_failures") is not None and not 0 <= u["challenge_failures"] < 5:
                bad.append(f"{acc!r}: challenge_failures {u}")
            if u.get("attempts_in_flight") and (u.get("attempts_expire") is None
                                                 or u["attempts_expire"] > now + hold):
                bad.append(f"{acc!r}: attempts in flight that do not expire in time: {u}")
        for b in bad[:MAX_FAILURES_SHOWN]:
            self.fail_with(b)
        sys.stderr.write(f"\n    [after: {len(self.accounts)} accounts, "
                         f"{sum(1 for a in self.accounts if a.completed)} with a completed "
                         f"login, {locked} locked at the end] ")


if __name__ == "__main__":
    harness.main()
