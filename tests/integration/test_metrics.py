"""Operators, SPEC §10: the Prometheus metrics on their own listener
(METRICS_PORT, METRICS_HOST), X-Request-Id on every answer, LOG_FORMAT=json.

Scrapes are parsed with Debian's python3-prometheus-client, so what the
server writes must be valid text exposition 0.0.4 to get this far. Counter
checks are exact deltas between two scrapes around requests this test made
(the tests of a class run one after another, nothing else talks to its
server)."""

import json
import os
import re
import socket
import sys
import time
import uuid

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (ServerTestCase, bearer, current_step, free_port, hotp,  # noqa: E402
                     http_request, run_binary, wrong_code)

SEEN_TIMEOUT = 5.0  # a request is counted just after its answer is sent


wait_until = harness.wait_until


class Scrape:
    """One parsed /metrics answer: samples by (name, sorted labels)."""

    def __init__(self, text):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = {}
        for fam in self.families.values():
            for s in fam.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def get(self, name, **labels):
        """The sample's value; 0 for a series not (yet) written."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def with_name(self, name):
        return [(dict(k[1]), v) for k, v in self.samples.items() if k[0] == name]


class MetricsTestCase(ServerTestCase):
    metrics_port = None

    @classmethod
    def setUpClass(cls):
        cls.metrics_port = free_port()
        cls.server_env = dict(cls.server_env, METRICS_PORT=cls.metrics_port)
        super().setUpClass()

    def scrape(self, port=None, host="127.0.0.1"):
        r = http_request(port or self.metrics_port, "GET", "/metrics", host=host)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        return Scrape(r.body.decode("utf-8"))

    def scrape_when(self, predicate):
        """Scrape until predicate(scrape) holds (or time runs out): the
        last scrape."""
        last = [None]

        def look():
            last[0] = self.scrape()
            return predicate(last[0])

        wait_until(look, SEEN_TIMEOUT)
        return last[0]


class RequestMetricsTests(MetricsTestCase):
    server_env = {"LOGIN_MAX_FAILURES": "3"}

    def settled(self):
        """A scrape once no API request is in flight. A request is counted
        after its answer is sent, by its worker, before it leaves the
        in-flight gauge: the last answer's count may still be on its way."""
        s = self.scrape_when(lambda s: s.get("http_requests_in_flight") == 0)
        self.assertEqual(s.get("http_requests_in_flight"), 0, s.text)
        return s

    def requests_total(self, s, method, route, status):
        return s.get("http_requests_total", method=method, route=route, status=str(status))

    def test_request_counters_are_exact_and_use_route_templates(self):
        token = self.token()
        auth = bearer(token)
        r = self.post_json("/products", {"name": "m", "price": 1, "quantity": 1},
                           headers=auth)
        self.assertEqual(r.status, 201, r)
        pid = r.json()["id"]

        before = self.settled()
        for _ in range(3):
            self.assertEqual(self.req("GET", f"/products/{pid}", headers=auth).status, 200)
        for _ in range(2):
            self.assertEqual(self.req("GET", "/products/987654321", headers=auth).status, 404)
        self.assertEqual(self.req("GET", f"/products/{pid}/history", headers=auth).status, 200)
        self.assertEqual(self.req("GET", "/products").status, 401)
        self.assertEqual(self.req("DELETE", "/healthz").status, 405)
        self.assertEqual(self.req("HEAD", "/healthz").status, 200)
        for path in (f"/nope-{uuid.uuid4().hex}", "/Products", "/products/1/history/x"):
            self.assertEqual(self.req("GET", path).status, 404, path)

        expected = [
            ("GET", "/products/{id}", 200, 3),
            ("GET", "/products/{id}", 404, 2),
            ("GET", "/products/{id}/history", 200, 1),
            ("GET", "/products", 401, 1),
            ("DELETE", "/healthz", 405, 1),
            ("HEAD", "/healthz", 200, 1),
            ("GET", "other", 404, 3),
        ]

        def all_seen(s):
            return all(self.requests_total(s, m, rt, st) - self.requests_total(before, m, rt, st)
                       >= n for m, rt, st, n in expected)

        after = self.scrape_when(all_seen)
        for m, rt, st, n in expected:
            self.assertEqual(self.requests_total(after, m, rt, st)
                             - self.requests_total(before, m, rt, st), n, (m, rt, st))
        # Nothing else moved: the paths' own text never becomes a label.
        moved = {k: v - before.samples.get(k, 0.0) for k, v in after.samples.items()
                 if k[0] == "http_requests_total" and v != before.samples.get(k, 0.0)}
        self.assertEqual(sum(moved.values()), sum(n for *_, n in expected), moved)
        self.assertNotIn("nope-", after.text)
        self.assertNotIn("/Products", after.text)

    def test_histogram_is_consistent_with_the_counter(self):
        for _ in range(4):
            self.assertEqual(self.req("GET", "/healthz").status, 200)
        s = self.settled()
        self.assertEqual(self.scrape().families["http_request_duration_seconds"].type,
                         "histogram")
        buckets = {}
        for labels, v in s.with_name("http_request_duration_seconds_bucket"):
            key = (labels["method"], labels["route"])
            buckets.setdefault(key, []).append((float(labels["le"]), v))
        self.assertIn(("GET", "/healthz"), buckets)
        for key, bs in buckets.items():
            bs.sort()
            values = [v for _, v in bs]
            self.assertEqual(values, sorted(values), f"buckets of {key} not monotone: {bs}")
            self.assertEqual(bs[-1][0], float("inf"))
            count = s.get("http_request_duration_seconds_count", method=key[0], route=key[1])
            self.assertEqual(bs[-1][1], count, key)
            requests = sum(v for labels, v in s.with_name("http_requests_total")
                           if (labels["method"], labels["route"]) == key)
            self.assertEqual(count, requests, key)
            total = s.get("http_request_duration_seconds_sum", method=key[0], route=key[1])
            self.assertGreaterEqual(total, 0.0)
            self.assertLess(total, count * 30.0)

    def test_in_flight_gauge(self):
        self.assertEqual(self.scrape().get("http_requests_in_flight"), 0)
        # A /login whose body never finishes arriving holds its worker.
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        try:
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                         b"\r\nContent-Length: 100\r\n\r\n{\"user")
            s = self.scrape_when(lambda s: s.get("http_requests_in_flight") == 1)
            self.assertEqual(s.get("http_requests_in_flight"), 1, s.text)
        finally:
            sock.close()
        s = self.scrape_when(lambda s: s.get("http_requests_in_flight") == 0)
        self.assertEqual(s.get("http_requests_in_flight"), 0)

    def test_login_totp_lockout_and_token_counters(self):
        def logins(s, result):
            return s.get("integrity_logins_total", result=result)

        def totps(s, result):
            return s.get("integrity_totp_verifications_total", result=result)

        before = self.scrape()
        # One user through enrollment, with a wrong password and a wrong code.
        name, password = self.signup()
        self.assertError(self.login(name, "wrong password!"), 401, "invalid_credentials")
        secret = self.login_secret(name, password)                         # success
        self.assertError(self.verify(name, wrong_code(secret)), 401, "invalid_code")
        self.verify_ok(name, hotp(secret, current_step()))                 # success, token
        self.assertError(self.verify(name, "123456"), 401, "login_required")
        self.assertEqual(self.post_json("/login", {"username": name}).status, 400)
        self.assertEqual(self.post_json("/verify-2fa", {"username": name}).status, 400)
        # Another locked by three wrong passwords (LOGIN_MAX_FAILURES=3).
        other, other_pw = self.signup()
        for _ in range(3):
            self.assertError(self.login(other, "wrong password!"), 401, "invalid_credentials")
        self.assertEqual(self.login(other, other_pw).status, 429)
        self.assertEqual(self.verify(other, "123456").status, 429)

        want = {
            ("login", "success"): 1, ("login", "invalid_credentials"): 4,
            ("login", "locked"): 1, ("login", "invalid_request"): 1,
            ("login", "busy"): 0, ("login", "error"): 0,
            ("totp", "success"): 1, ("totp", "invalid_code"): 1,
            ("totp", "login_required"): 1, ("totp", "locked"): 1,
            ("totp", "invalid_request"): 1, ("totp", "error"): 0,
        }

        def delta(s, kind, result):
            f = logins if kind == "login" else totps
            return f(s, result) - f(before, result)

        after = self.scrape_when(lambda s: all(delta(s, *k) >= v for k, v in want.items()))
        got = {k: delta(after, *k) for k in want}
        self.assertEqual(got, want)
        self.assertEqual(after.get("integrity_tokens_issued_total")
                         - before.get("integrity_tokens_issued_total"), 1)
        self.assertEqual(after.get("integrity_lockouts_total")
                         - before.get("integrity_lockouts_total"), 1)
        # Every result is written, at 0 too, so rate() has a start.
        for result in ("success", "invalid_credentials", "locked", "busy", "error"):
            self.assertIn(("integrity_logins_total", (("result", result),)), after.samples)

    def test_build_info_db_counters_and_process(self):
        rc, out = run_binary(["--version"], {})
        self.assertEqual(rc, 0)
        version = out.split()[-1]
        s1 = self.scrape()
        self.assertEqual(s1.get("integrity_build_info", version=version), 1, s1.text)
        self.assertEqual(len(s1.with_name("integrity_build_info")), 1)
        self.assertEqual(s1.get("integrity_db_retries_total"), 0)
        self.assertIn(("integrity_db_errors_total", ()), s1.samples)
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_max_fds", "process_start_time_seconds",
                     "process_virtual_memory_bytes"):
            self.assertIn((name, ()), s1.samples, name)
        start = s1.get("process_start_time_seconds")
        now = time.time()
        self.assertLessEqual(start, now + 2)
        self.assertGreater(start, now - 3600)
        rss = s1.get("process_resident_memory_bytes")
        self.assertGreater(rss, 1 << 20)
        self.assertLess(rss, 1 << 30)
        fds = s1.get("process_open_fds")
        self.assertGreaterEqual(fds, 4)   # stdin/out/err and the listeners at least
        self.assertLessEqual(fds, s1.get("process_max_fds"))
        with open(f"/proc/{self.server.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        rss_now = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        self.assertLess(abs(rss_now - rss), 16 << 20)
        # Counters never go down.
        for _ in range(20):
            self.req("GET", "/healthz")
        s2 = self.scrape()
        for key, v in s1.samples.items():
            fam = key[0]
            if fam.endswith(("_total", "_bucket", "_count", "_sum")):
                self.assertGreaterEqual(s2.samples.get(key, 0.0), v, key)
        self.assertGreater(s2.get("process_cpu_seconds_total"), 0)

    def test_metrics_only_on_the_metrics_listener(self):
        r = self.req("GET", "/metrics")
        self.assertError(r, 404, "not_found")
        self.assertNotIn(b"http_requests_total", r.body)
        r = http_request(self.metrics_port, "GET", "/nope")
        self.assertEqual(r.status, 404)
        r = http_request(self.metrics_port, "GET", "/metrics/x")
        self.assertEqual(r.status, 404)
        r = http_request(self.metrics_port, "GET", "/healthz")
        self.assertEqual(r.status, 404)
        r = http_request(self.metrics_port, "POST", "/metrics", body=b"")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")
        # A scrape is not an API request: it is neither counted nor logged.
        before = self.settled()
        after = self.scrape()
        self.assertEqual(before.with_name("http_requests_total"),
                         after.with_name("http_requests_total"))


class MetricsHostTests(ServerTestCase):
    start_server = False

    def test_metrics_host_is_the_listen_address(self):
        port = free_port()
        srv = self.spawn_server({"METRICS_PORT": port, "METRICS_HOST": "127.0.0.2"})
        r = http_request(port, "GET", "/metrics", host="127.0.0.2")
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"# TYPE http_requests_total counter", r.body)
        with self.assertRaises(ConnectionRefusedError):
            http_request(port, "GET", "/metrics", host="127.0.0.1")
        self.assertIn("metrics on http://127.0.0.2:", srv.stderr())

    def test_no_metrics_port_no_listener(self):
        srv = self.spawn_server({})
        self.assertNotIn("metrics on", srv.stderr())
        self.assertEqual(self.req("GET", "/metrics", srv=srv).status, 404)

    def test_bad_settings_refuse_to_start(self):
        for env, needle in (({"METRICS_PORT": "0"}, "METRICS_PORT"),
                            ({"METRICS_PORT": "70000"}, "METRICS_PORT"),
                            ({"METRICS_PORT": "x"}, "METRICS_PORT"),
                            ({"LOG_FORMAT": "xml"}, "LOG_FORMAT")):
            full = {"JWT_SECRET_KEY": harness.JWT_KEY, "PORT": str(free_port())}
            full.update(env)
            rc, out = run_binary([], full)
            self.assertEqual(rc, 1, (env, out))
            self.assertIn(needle, out)

    def test_metrics_port_taken_refuses_to_start(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            full = {"JWT_SECRET_KEY": harness.JWT_KEY, "PORT": str(free_port()),
                    "METRICS_PORT": str(port),
                    "DATABASE_URL": f"mysql://app:app@127.0.0.1:{free_port()}/x"}
            rc, out = run_binary([], full)
        self.assertEqual(rc, 1, out)
        self.assertIn("METRICS_PORT", out)

    def test_db_errors_are_counted(self):
        port = free_port()
        srv = self.spawn_server({"METRICS_PORT": port,
                                 "DATABASE_URL": f"mysql://app:app@127.0.0.1:{free_port()}/x"},
                                wait_ready=False)

        def errors():
            r = http_request(port, "GET", "/metrics")
            return Scrape(r.body.decode()).get("integrity_db_errors_total")

        self.assertTrue(wait_until(lambda: errors() >= 2, 10), srv.tail())
        first = errors()
        self.assertEqual(self.req("GET", "/readyz", srv=srv).status, 503)
        self.assertGreaterEqual(errors(), first)


HEX32 = re.compile(r"^[0-9a-f]{32}$")
LOG_FIELDS = {"time", "method", "route", "path", "status", "duration_ms", "request_id"}


class RequestIdTests(MetricsTestCase):
    server_env = {"LOG_FORMAT": "json"}

    def raw(self, request_bytes):
        """Send raw bytes, return the answer's head as (status, headers dict)."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(request_bytes)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        return int(head[0].split()[1]), headers

    def test_a_valid_client_id_is_echoed(self):
        for rid in ("a", "abc.DEF_1-2", "x" * 64, "0" * 64, "-._"):
            r = self.req("GET", "/healthz", headers={"X-Request-Id": rid})
            self.assertEqual(r.header("X-Request-Id"), rid)
            self.assertEqual(len(r.headers.get_all("X-Request-Id")), 1)

    def test_an_invalid_client_id_is_replaced(self):
        seen = set()
        for rid in ("x" * 65, "has space", "a/b", "a;b", "a\tb", "\u00e9t\u00e9", "a,b",
                    "%41"):
            r = self.req("GET", "/healthz", headers={"X-Request-Id": rid})
            got = r.header("X-Request-Id")
            self.assertRegex(got or "", HEX32, rid)
            seen.add(got)
        # Bytes http.client would not send: empty, raw UTF-8.
        for raw_id in (b"", b"\xc3\xa9", b"\xff" * 8):
            status, headers = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: "
                                       + raw_id + b"\r\nConnection: close\r\n\r\n")
            self.assertEqual(status, 200)
            self.assertEqual(len(headers["x-request-id"]), 1)
            self.assertRegex(headers["x-request-id"][0], HEX32, raw_id)
            seen.add(headers["x-request-id"][0])
        self.assertEqual(len(seen), 11)

    def test_every_answer_has_an_id_and_new_ones_differ(self):
        ids = set()
        for method, path in (("GET", "/healthz"), ("GET", "/nope"), ("DELETE", "/healthz"),
                             ("GET", "/products"), ("POST", "/login"), ("GET", "/%00")):
            r = self.req(method, path)
            self.assertRegex(r.header("X-Request-Id") or "", HEX32, (method, path, r))
            ids.add(r.header("X-Request-Id"))
        for _ in range(200):
            ids.add(self.req("GET", "/healthz").header("X-Request-Id"))
        self.assertEqual(len(ids), 206)
        # CivetWeb's own errors (a request line it cannot parse) too.
        status, headers = self.raw(b"GARBAGE\r\n\r\n")
        self.assertEqual(status, 400)
        self.assertRegex(headers["x-request-id"][0], HEX32)

    def json_lines(self):
        out = []
        for line in self.server.stdout().splitlines():
            out.append(json.loads(line))   # every line is one JSON object
        return out

    def line_of(self, rid):
        found = []

        def look():
            found[:] = [o for o in self.json_lines() if o.get("request_id") == rid]
            return bool(found)

        wait_until(look, SEEN_TIMEOUT)
        self.assertEqual(len(found), 1, (rid, self.server.tail()))
        return found[0]

    def test_json_log_lines(self):
        token = self.token()
        marker = uuid.uuid4().hex
        r = self.req("GET", f"/products/42?token={marker}&password={marker}",
                     headers={**bearer(token), "X-Request-Id": "json-1"})
        self.assertEqual(r.status, 404)
        line = self.line_of("json-1")
        self.assertEqual(set(line), LOG_FIELDS)
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["route"], "/products/{id}")
        self.assertEqual(line["path"], "/products/42")
        self.assertEqual(line["status"], 404)
        self.assertIsInstance(line["duration_ms"], (int, float))
        self.assertGreaterEqual(line["duration_ms"], 0)
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        r = self.req("GET", "/healthz", headers={"X-Request-Id": "bad id"})
        line = self.line_of(r.header("X-Request-Id"))
        self.assertEqual(line["route"], "/healthz")
        self.assertEqual(line["status"], 200)

        # A path a client made to break the line stays one valid object
        # (CivetWeb refuses raw control and non-ASCII bytes itself).
        status, headers = self.raw(b'GET /x"y%01 HTTP/1.1\r\nHost: x\r\n'
                                   b"Connection: close\r\n\r\n")
        self.assertEqual(status, 400)
        line = self.line_of(headers["x-request-id"][0])
        self.assertEqual(line["route"], "other")
        self.assertEqual(line["status"], 400)
        self.assertEqual(line["path"], '/x"y%01')

        out = self.server.stdout()
        self.assertNotIn(marker, out)
        self.assertNotIn(token, out)
        self.assertNotIn("Bearer", out)


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "count", "time", "le",
                "route", "status", "result", "job", "instance", "version", "without", "on",
                "avg", "max", "min", "irate", "offset", "bool", "and", "or", "unless"}


class DocsTests(MetricsTestCase):
    """docs/prometheus.yml and docs/grafana-dashboard.json parse, and every
    series the dashboard queries is one a real server writes."""

    def test_prometheus_config(self):
        import yaml   # Debian's python3-yaml (scripts/deps.sh)
        with open(os.path.join(DOCS, "prometheus.yml")) as f:
            conf = yaml.safe_load(f)
        jobs = conf["scrape_configs"]
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0]["metrics_path"], "/metrics")
        targets = [t for sc in jobs[0]["static_configs"] for t in sc["targets"]]
        self.assertTrue(targets)
        for t in targets:
            self.assertRegex(t, r"^[\w.-]+:\d+$")

    def test_dashboard_uses_only_real_series(self):
        with open(os.path.join(DOCS, "grafana-dashboard.json")) as f:
            dash = json.load(f)
        self.assertTrue(dash["title"])
        self.assertTrue(dash["panels"])
        # A scrape after some traffic, so that the labelled series exist.
        self.token()
        self.req("GET", "/nope")
        s = self.scrape_when(lambda s: s.with_name("http_requests_total"))
        written = set()
        for fam in s.families.values():
            written.add(fam.name)
            for sample in fam.samples:
                written.add(sample.name)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 10)
        used = set()
        for e in exprs:
            no_strings = re.sub(r'"[^"]*"', '""', e)
            no_ranges = re.sub(r"\[[^\]]*\]", "", no_strings)
            for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", no_ranges):
                if word not in PROMQL_WORDS:
                    used.add(word)
        self.assertTrue(used)
        self.assertEqual(used - written, set(), f"queried but never written: {used - written}")
        for family in ("http_requests_total", "http_request_duration_seconds_bucket",
                       "integrity_logins_total", "integrity_totp_verifications_total",
                       "integrity_lockouts_total", "integrity_db_errors_total"):
            self.assertIn(family, used)


if __name__ == "__main__":
    harness.main()
