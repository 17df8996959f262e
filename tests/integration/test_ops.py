"""Operations against a real server: SPEC §1 (running it), §2 (routing,
database outages), §7 (health), logging, signals, configuration, TLS."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (JWT_KEY, MYSQL_PORT, FaultProxy, Server, ServerTestCase,  # noqa: E402
                     bearer, current_step, hotp, new_username, run_binary)

ALL_VARIABLES = ("DATABASE_URL", "JWT_SECRET_KEY", "APP_ENV", "HOST", "PORT", "THREADS",
                 "BCRYPT_COST", "JWT_EXPIRES_SECONDS", "TOTP_ISSUER", "TOTP_SECRET_KEY",
                 "LOGIN_MAX_FAILURES", "LOGIN_LOCK_SECONDS", "LOGIN_CHALLENGE_SECONDS",
                 "LOGIN_QUEUE_SECONDS", "BCRYPT_NICE", "SCHED_POLICY",
                 "TLS_CERT", "TLS_KEY", "METRICS_PORT", "METRICS_HOST", "LOG_FORMAT")


wait_until = harness.wait_until


class RoutingAndLogTests(ServerTestCase):

    def test_healthz_is_200_status_ok(self):
        r = self.req("GET", "/healthz")
        self.assertEqual(self.assertJsonResponse(r, 200), {"status": "ok"})

    def test_every_answer_forbids_caching_and_sniffing(self):
        """Tokens, QR codes and products must not stay in a cache; every
        answer, success or error, carries both headers."""
        u = self.enrolled_user()
        answers = [
            self.req("GET", "/healthz"),
            self.req("GET", "/products", headers=u.auth),
            self.req("GET", "/products"),                                # 401
            self.req("GET", "/products", headers={"Authorization": "x"}),  # 422
            self.req("GET", "/nowhere"),                                 # 404
            self.req("DELETE", "/login"),                                # 405
            self.post_json("/signup", {"username": "x"}),                # 400
            self.post_json("/login", {"username": u.username, "password": "wrong password"}),
        ]
        for r in answers:
            with self.subTest(status=r.status):
                self.assertEqual(r.header("Cache-Control"), "no-store", r)
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r)

    def test_readyz_is_200_when_the_database_answers(self):
        body = self.assertJsonResponse(self.req("GET", "/readyz"), 200)
        self.assertIsInstance(body, dict)

    def test_unknown_paths_are_404_json(self):
        for path in ("/nope", "/products/1/extra", "/assets/nope.js", "/assets/", "/docs/x", "/signup/x", "/Login", "/healthz/x",
                     "/products/1/history/2"):
            with self.subTest(path=path):
                self.assertError(self.req("GET", path), 404, "not_found")

    def test_wrong_methods_are_405_with_allow(self):
        before = self.db.count("users")
        for method, path, must, must_not in (
                ("POST", "/healthz", {"GET"}, {"POST"}),
                ("DELETE", "/readyz", {"GET"}, {"DELETE"}),
                ("GET", "/signup", {"POST"}, {"GET"}),
                ("GET", "/login", {"POST"}, {"GET"}),
                ("PUT", "/verify-2fa", {"POST"}, {"PUT"})):
            with self.subTest(method=method, path=path):
                r = self.req(method, path, headers={"Content-Type": "application/json"},
                             body="{}" if method in ("POST", "PUT") else None)
                self.assertError(r, 405, "method_not_allowed")
                self.assertAllow(r, must, must_not)
        self.assertEqual(self.db.count("users"), before)

    def test_head_is_get_without_a_body(self):
        for path in ("/healthz", "/readyz", "/openapi.yaml", "/", "/docs", "/assets/app.js"):
            with self.subTest(path=path):
                get = self.req("GET", path)
                head = self.req("HEAD", path)
                self.assertEqual(head.status, get.status)
                self.assertEqual(head.body, b"")
                self.assertEqual(head.header("Content-Length"), get.header("Content-Length"))
                self.assertEqual(head.header("Content-Type"), get.header("Content-Type"))
        r = self.req("POST", "/healthz", headers={"Content-Type": "application/json"}, body="{}")
        self.assertAllow(r, {"GET", "HEAD"}, {"POST"})

    def test_pages_are_the_web_files_with_their_csp(self):
        """GET / and /docs (SPEC §10): the files of web/ as built, each page with
        its CSP; every script and style they name is served from /assets/ and
        neither page has an inline script or style (the CSP would refuse it)."""
        web = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
        csp = {"/": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
               "/docs": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data:; worker-src blob:; object-src 'none'; "
                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}
        for path, name in (("/", "index.html"), ("/docs", "docs.html")):
            with self.subTest(path=path):
                r = self.req("GET", path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
                self.assertEqual(r.header("Content-Security-Policy"), csp[path])
                self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
                with open(os.path.join(web, name), "rb") as f:
                    self.assertEqual(r.body, f.read(), f"{path} is not web/{name}: rebuild")
                html = r.body.decode("utf-8")
                self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)", "an inline script")
                self.assertNotRegex(html, r"<style|\sstyle=|\son[a-z]+=", "inline style or handler")
                refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
                self.assertTrue(refs, html[:200])
                for ref in refs:
                    a = self.req("GET", ref)
                    self.assertEqual(a.status, 200, ref)
                    self.assertIn(a.content_type, ("text/javascript", "text/css"), ref)
        for name in ("app.js", "app.css", "docs.js"):
            with self.subTest(asset=name):
                with open(os.path.join(web, name), "rb") as f:
                    self.assertEqual(self.req("GET", f"/assets/{name}").body, f.read())
        bundle = self.req("GET", "/assets/redoc.standalone.js").body
        self.assertNotIn(b"cdn.redoc.ly", bundle)
        self.assertError(self.req("GET", "/assets/index.html"), 404, "not_found")

    def log_lines_with(self, needle, timeout=3.0):
        found = []

        def look():
            found[:] = [ln for ln in self.server.stdout().splitlines() if needle in ln]
            return bool(found)

        wait_until(look, timeout)
        return found

    def test_one_log_line_per_request_with_method_path_status(self):
        path = f"/nope-{uuid.uuid4().hex}"
        self.assertError(self.req("GET", path), 404, "not_found")
        lines = self.log_lines_with(path)
        self.assertEqual(len(lines), 1, f"log lines for {path}: {lines!r}\n{self.server.tail()}")
        self.assertRegex(lines[0], r"\bGET\b.*" + re.escape(path) + r"(?![\w-]).*\b404\b")

        name = new_username("log")
        self.signup(name)
        lines = [ln for ln in self.log_lines_with("/signup")
                 if re.search(r"\bPOST\b.*/signup\b.*\b201\b", ln)]
        self.assertGreaterEqual(len(lines), 1, self.server.tail())

    def test_query_strings_are_not_logged(self):
        marker = f"q{uuid.uuid4().hex}"
        r = self.req("GET", f"/healthz?token={marker}&password={marker}")
        self.assertEqual(r.status, 200)
        time.sleep(0.5)
        self.assertNotIn(marker, self.server.stdout())
        self.assertNotIn(marker, self.server.stderr())

    def test_logs_never_contain_passwords_secrets_codes_or_tokens(self):
        password = f"Pw-{uuid.uuid4().hex[:12]}"
        username, _ = self.signup(password=password)
        wrong_password = f"Wrong-{uuid.uuid4().hex[:12]}"
        self.login(username, wrong_password)
        secret = self.login_secret(username, password)
        harness.wait_away_from_step_edge()
        step = current_step()
        wrong = harness.wrong_code(secret)
        self.verify(username, wrong)
        code = hotp(secret, step)
        token = self.verify_ok(username, code)["access_token"]
        self.assertEqual(self.req("GET", "/products", headers=bearer(token)).status, 200)
        self.assertEqual(self.req("GET", "/products", headers=bearer(token + "x")).status, 422)
        self.log_lines_with("/verify-2fa")
        time.sleep(0.3)
        logs = {"stdout": self.server.stdout(), "stderr": self.server.stderr()}
        for where, text in logs.items():
            for label, secret_value in (("password", password), ("wrong password", wrong_password),
                                        ("TOTP secret", secret), ("JWT", token),
                                        ("JWT signature", token.split(".")[2]),
                                        ("JWT key", JWT_KEY)):
                with self.subTest(log=where, value=label):
                    self.assertNotIn(secret_value, text)
            for label, c in (("code", code), ("wrong code", wrong)):
                with self.subTest(log=where, value=label):
                    self.assertIsNone(re.search(r"(?<!\d)" + c + r"(?!\d)", text),
                                      f"{label} {c} appears in {where}")
        self.assertIn("/verify-2fa", logs["stdout"])


class LifecycleTests(ServerTestCase):
    start_server = False

    def test_help_lists_every_variable(self):
        rc, out = run_binary(["--help"], {})
        self.assertEqual(rc, 0, out)
        for var in ALL_VARIABLES:
            with self.subTest(variable=var):
                self.assertRegex(out, r"\b" + var + r"\b")

    def test_version_prints_a_version(self):
        rc, out = run_binary(["--version"], {})
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"\b\d+\.\d+\.\d+\b")

    def assertRefusesToStart(self, env, mention):
        srv = Server(self.db.name, env=env)
        self.addCleanup(srv.cleanup)
        try:
            rc, out = run_binary([], srv.env, timeout=15)
        except subprocess.TimeoutExpired:
            self.fail(f"server with {env} kept running instead of refusing to start")
        self.assertNotEqual(rc, 0, out)
        self.assertIn(mention, out)

    def test_missing_or_short_jwt_key_refuses_to_start(self):
        self.assertRefusesToStart({"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY")
        self.assertRefusesToStart({"JWT_SECRET_KEY": "k" * 31}, "JWT_SECRET_KEY")

    def test_invalid_settings_refuse_to_start(self):
        for env, mention in (({"PORT": "abc"}, "PORT"), ({"BCRYPT_COST": "3"}, "BCRYPT_COST"),
                             ({"TOTP_SECRET_KEY": "abcd"}, "TOTP_SECRET_KEY"),
                             ({"LOGIN_MAX_FAILURES": "many"}, "LOGIN_MAX_FAILURES"),
                             ({"SCHED_POLICY": "fifo"}, "SCHED_POLICY"),
                             # fits the variable, not an otpauth URI (SPEC 8: checked at start)
                             ({"TOTP_ISSUER": "\u6f22" * 40}, "TOTP_ISSUER")):
            with self.subTest(env=env):
                self.assertRefusesToStart(env, mention)

    def test_32_byte_key_is_enough(self):
        key = "k" * 32
        srv = self.spawn_server({"JWT_SECRET_KEY": key})
        u = self.enrolled_user(srv=srv)
        self.assertEqual(self.req("GET", "/products", srv=srv, headers=u.auth).status, 200)
        srv.stop()

    def test_development_mode_runs_with_a_random_key_and_warns(self):
        srv = self.spawn_server({"JWT_SECRET_KEY": None, "APP_ENV": "development"})
        u = self.enrolled_user(srv=srv)
        self.assertEqual(self.req("GET", "/products", srv=srv, headers=u.auth).status, 200)
        import jwt
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(u.token, JWT_KEY, algorithms=["HS256"])
        out = srv.stdout() + srv.stderr()
        self.assertIn("JWT_SECRET_KEY", out)
        self.assertRegex(out.lower(), r"warn")
        srv.stop()

    @staticmethod
    def thread_policies(pid):
        """{tid: scheduling policy} of every thread of pid and of its children
        (the bcrypt helper), from field 41 of /proc/<pid>/task/<tid>/stat."""
        out = {}
        pids = [pid]
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        for p in pids:
            for tid in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{tid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # the thread ended meanwhile
                out[(p, int(tid))] = int(fields[41 - 3])
        return out

    def test_sched_policy_batch_by_default_for_every_thread_and_the_helper(self):
        for env, want in ((None, os.SCHED_BATCH), ({"SCHED_POLICY": "batch"}, os.SCHED_BATCH),
                          ({"SCHED_POLICY": "normal"}, os.SCHED_OTHER)):
            with self.subTest(env=env):
                srv = self.spawn_server(env)
                u = self.enrolled_user(srv=srv)   # the workers and the helper have run
                self.assertEqual(srv.request("GET", "/products", headers=u.auth).status, 200)
                policies = self.thread_policies(srv.proc.pid)
                pids = {p for p, _ in policies}
                self.assertEqual(len(pids), 2, f"server and bcrypt helper expected: {policies}")
                # the workers (THREADS, at least 64 by default) and the main thread
                self.assertGreater(len(policies), 64, policies)
                wrong = {k: v for k, v in policies.items() if v != want}
                self.assertEqual(wrong, {}, f"threads not on policy {want}\n{srv.tail()}")
                self.assertNotIn("SCHED_POLICY", srv.stderr())  # no refusal warning
                self.assertEqual(srv.stop(), 0)

    @staticmethod
    def context_switches(pid):
        """{tid: voluntary + involuntary context switches} of pid's threads."""
        out = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    out[tid] = sum(int(line.split()[1]) for line in f
                                   if line.startswith(("voluntary_ctxt_switches",
                                                       "nonvoluntary_ctxt_switches")))
            except OSError:
                continue
        return out

    def test_an_idle_server_sleeps(self):
        # Nothing wakes up to look for work: the main thread waits for its
        # signals, the access-log writer for a line. Only CivetWeb's master
        # thread polls (every 2 s or so). It used to be 20+ wake-ups a second.
        srv = self.spawn_server()
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        self.assertTrue(wait_until(lambda: "/healthz" in srv.stdout(), 5), srv.tail())
        time.sleep(0.5)   # the writer's last interval ends with nothing to write
        before = self.context_switches(srv.proc.pid)
        time.sleep(4)
        after = self.context_switches(srv.proc.pid)
        woke = {t: after[t] - before[t] for t in before if t in after and after[t] > before[t]}
        self.assertLessEqual(sum(woke.values()), 12, f"wake-ups in 4 s by thread: {woke}")
        # and the log still works after the sleep: a line, then a clean stop
        path = f"/nope-{uuid.uuid4().hex}"
        self.assertEqual(srv.request("GET", path).status, 404)
        self.assertTrue(wait_until(lambda: path in srv.stdout(), 5),
                        "no log line after the writer slept\n" + srv.tail())
        self.assertEqual(srv.stop(), 0)

    def test_sigint_exits_0(self):
        srv = self.spawn_server()
        self.assertEqual(srv.stop(sig=signal.SIGINT), 0)

    def test_sigterm_finishes_the_request_in_flight(self):
        srv = self.spawn_server({"BCRYPT_COST": "14"})   # a signup takes about a second
        username = new_username("slow")
        result = {}

        def slow_signup():
            try:
                result["r"] = srv.request("POST", "/signup", json_body={
                    "username": username, "password": "abcdefgh"}, timeout=60)
            except Exception as e:  # reported below
                result["e"] = e

        t = threading.Thread(target=slow_signup)
        t.start()
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        t.join(timeout=60)
        self.assertFalse(t.is_alive())
        try:
            srv.proc.wait(timeout=harness.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        rc = srv.proc.poll()
        stored = self.db.count("users", f"username = '{username}'")
        outcome = (f"response: {result.get('r', result.get('e'))!r}; exit status: {rc}; "
                   f"user stored: {stored}\n{srv.tail()}")
        self.assertIn("r", result, outcome)
        self.assertEqual(result["r"].status, 201, outcome)
        self.assertEqual(result["r"].json(), {"message": "User registered successfully"})
        self.assertEqual(stored, 1, outcome)
        self.assertEqual(rc, 0, outcome)

    def test_pymysql_url_over_tcp(self):
        if not MYSQL_PORT:
            self.fail("IT_MYSQL_PORT is not set (the TCP port of the test MariaDB)")
        url = f"mysql+pymysql://app:app@127.0.0.1:{MYSQL_PORT}/{self.db.name}"
        srv = self.spawn_server(database_url=url)
        u = self.enrolled_user(srv=srv)
        self.assertEqual(self.db.count("users", f"username = '{u.username}'"), 1)
        srv.stop()

    def test_tls_serves_https_only(self):
        tmp = tempfile.mkdtemp(prefix="it-tls-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", tmp]))
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                               "-keyout", key, "-out", cert, "-days", "1",
                               "-subj", "/CN=127.0.0.1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        srv = self.spawn_server({"TLS_CERT": cert, "TLS_KEY": key}, scheme="https")
        r = srv.request("GET", "/healthz")
        self.assertEqual(self.assertJsonResponse(r, 200), {"status": "ok"})
        self.signup(srv=srv)
        try:
            plain = srv.request("GET", "/healthz", scheme="http", timeout=5)
            self.assertNotEqual(plain.status, 200, "plain HTTP answered on the HTTPS port")
        except (OSError, harness.http.client.HTTPException):
            pass
        srv.stop()


class DatabaseOutageTests(ServerTestCase):
    """The server reaches MariaDB through a TCP proxy the test can cut."""
    start_server = False

    def setUp(self):
        if not MYSQL_PORT:
            self.fail("IT_MYSQL_PORT is not set (the TCP port of the test MariaDB)")
        self.proxy = FaultProxy(MYSQL_PORT)
        self.addCleanup(self.proxy.close)
        self.url = f"mysql://app:app@127.0.0.1:{self.proxy.port}/{self.db.name}"

    def assertUnavailable(self, r):
        self.assertError(r, 503, "database_unavailable")
        retry = r.header("Retry-After")
        self.assertIsNotNone(retry, f"no Retry-After: {r!r}")
        self.assertRegex(retry, r"^[0-9]+$")

    def test_database_down_during_requests_is_503_then_recovers(self):
        srv = self.spawn_server(database_url=self.url)
        u = self.enrolled_user(srv=srv)
        other, other_pw = self.signup(srv=srv)
        self.proxy.cut()
        r = srv.request("GET", "/products", headers=u.auth)
        self.assertUnavailable(r)
        self.assertUnavailable(srv.request("POST", "/products", headers=u.auth, json_body={
            "name": "x", "price": 1, "quantity": 1}))
        self.assertUnavailable(self.login(other, other_pw, srv=srv))
        self.assertUnavailable(self.login(other, "wrong password", srv=srv))
        self.assertUnavailable(srv.request("POST", "/signup", json_body={
            "username": new_username(), "password": "abcdefgh"}))
        self.assertUnavailable(self.verify(other, "123456", srv=srv))
        r = srv.request("GET", "/readyz")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.content_type, "application/json")
        self.assertEqual(self.assertJsonResponse(srv.request("GET", "/healthz"), 200),
                         {"status": "ok"})

        self.proxy.forward()
        self.assertTrue(wait_until(lambda: srv.request("GET", "/products",
                                                       headers=u.auth).status == 200, 30),
                        "the server did not reconnect within 30 s\n" + srv.tail())
        r = srv.request("POST", "/products", headers=u.auth, json_body={
            "name": "after outage", "price": 1, "quantity": 1})
        self.assertJsonResponse(r, 201)
        self.assertEqual(self.assertJsonResponse(self.login(other, other_pw, srv=srv), 200)
                         ["2fa_enrolled"], False)
        self.assertEqual(srv.request("GET", "/readyz").status, 200)
        srv.stop()

    def test_database_down_at_start_is_retried(self):
        self.proxy.cut()
        srv = self.spawn_server(database_url=self.url, wait_ready=False)
        time.sleep(1.5)
        self.assertTrue(srv.running(), "the server exited while the database was down\n"
                        + srv.tail())
        self.assertEqual(self.assertJsonResponse(srv.request("GET", "/healthz"), 200),
                         {"status": "ok"})
        r = srv.request("GET", "/readyz")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.content_type, "application/json")
        self.proxy.forward()
        self.assertTrue(wait_until(lambda: srv.request("GET", "/readyz").status == 200, 30),
                        "not ready 30 s after the database came back\n" + srv.tail())
        self.enrolled_user(srv=srv)
        srv.stop()


if __name__ == "__main__":
    harness.main()
