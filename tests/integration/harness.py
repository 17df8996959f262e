"""Shared helpers for the integration tests: a real integrity-server binary
against a real MariaDB.

Each test class gets a fresh database (it_<module>_<pid>_<n>, made and dropped
with the `mariadb` CLI as root over IT_MYSQL_SOCKET) and, unless it says
otherwise, one server started on a free 127.0.0.1 port with a fixed test key.
Servers are stopped with SIGTERM and must exit 0.

Only the Python standard library and Debian's python3-jwt are used.

Environment (set by CTest / scripts/test.sh):
  IT_SERVER_BIN    path of the built integrity-server   (required)
  IT_MYSQL_SOCKET  Unix socket of the private MariaDB   (required)
  IT_MYSQL_PORT    its TCP port on 127.0.0.1             (needed by a few tests)
"""

import base64
import decimal
import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse


def _require_env(name, what):
    value = os.environ.get(name, "")
    if not value:
        sys.stderr.write(
            f"integration tests: {name} is not set ({what}).\n"
            "Run them through `make test` / ctest, or set it by hand, e.g.\n"
            "  IT_SERVER_BIN=build/integrity-server IT_MYSQL_SOCKET=/path/mysqld.sock "
            "/usr/bin/python3 tests/integration/test_x.py\n")
        sys.exit(1)
    return value


SERVER_BIN = _require_env("IT_SERVER_BIN", "path of the built integrity-server")
MYSQL_SOCKET = _require_env("IT_MYSQL_SOCKET", "Unix socket of the test MariaDB")
MYSQL_PORT = os.environ.get("IT_MYSQL_PORT", "")

if not (os.path.isfile(SERVER_BIN) and os.access(SERVER_BIN, os.X_OK)):
    sys.stderr.write(f"integration tests: IT_SERVER_BIN={SERVER_BIN} is not an executable file\n")
    sys.exit(1)
if shutil.which("mariadb") is None:
    sys.stderr.write("integration tests: the `mariadb` client is not on PATH\n")
    sys.exit(1)

# A fixed 40-byte HS256 key shared by the server and the tests.
JWT_KEY = "it-test-key:0123456789abcdefghijklmnopqr"
assert len(JWT_KEY.encode()) == 40

DEFAULT_PASSWORD = "correct horse battery"
ISSUER = "Integrity API"
START_TIMEOUT = 20.0      # seconds for /healthz to answer 200
STOP_TIMEOUT = 15.0       # seconds for the server to exit after SIGTERM
REQUEST_TIMEOUT = 20.0    # seconds for one HTTP exchange
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Variables the harness passes through from its own environment.
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                "LSAN_OPTIONS", "TSAN_OPTIONS", "MSAN_OPTIONS", "LD_LIBRARY_PATH")

_MODULE = re.sub(r"[^a-z0-9]", "_", os.path.splitext(os.path.basename(
    getattr(sys.modules.get("__main__"), "__file__", "it") or "it"))[0].lower())
_MODULE = _MODULE[len("test_"):] if _MODULE.startswith("test_") else _MODULE
_db_counter = itertools.count(1)
_name_counter = itertools.count(1)


# --------------------------------------------------------------------------
# MariaDB
# --------------------------------------------------------------------------

def mariadb(query, database=None, timeout=60):
    """Run `query` through the mariadb CLI as root over the socket; return the
    rows as lists of str (None for NULL). Raises AssertionError on failure."""
    cmd = ["mariadb", "--no-defaults", f"--socket={MYSQL_SOCKET}", "-uroot",
           "-N", "-B", "--default-character-set=utf8mb4"]
    if database:
        cmd.append(f"--database={database}")
    cmd += ["-e", query]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"mariadb failed ({proc.returncode}) for {query!r}: "
                             f"{proc.stderr.decode(errors='replace').strip()}")
    rows = []
    for line in proc.stdout.decode("utf-8", errors="surrogateescape").split("\n"):
        if line == "":
            continue
        rows.append([None if c == "NULL" else _unescape(c) for c in line.split("\t")])
    return rows


def _unescape(cell):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}
                  .get(m.group(1), m.group(1)), cell)


def sql_str(value):
    """A SQL string literal for value (our own test data only)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class Database:
    """A fresh, uniquely named database; drop() removes it."""

    def __init__(self):
        self.name = f"it_{_MODULE}_{os.getpid()}_{next(_db_counter)}"[:64]
        mariadb(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        self.dropped = False

    def sql(self, query):
        return mariadb(query, database=self.name)

    def scalar(self, query):
        rows = self.sql(query)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise AssertionError(f"expected one value from {query!r}, got {rows!r}")
        return rows[0][0]

    def count(self, table, where="1=1"):
        return int(self.scalar(f"SELECT COUNT(*) FROM `{table}` WHERE {where}"))

    def drop(self):
        if not self.dropped:
            self.dropped = True
            mariadb(f"DROP DATABASE IF EXISTS `{self.name}`")


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # http.client.HTTPMessage (case-insensitive)
        self.body = body            # bytes

    def header(self, name):
        return self.headers.get(name)

    @property
    def content_type(self):
        ct = self.headers.get("Content-Type") or ""
        return ct.split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"), parse_float=decimal.Decimal)

    def __repr__(self):
        body = self.body[:400]
        return f"<{self.status} {dict(self.headers.items())!r} {body!r}>"


_NO_JSON = object()


def http_request(port, method, path, body=None, headers=None, json_body=_NO_JSON,
                 scheme="http", timeout=REQUEST_TIMEOUT, host="127.0.0.1"):
    """One HTTP exchange on a new connection. `body` is sent raw (bytes/str);
    `json_body` is serialised and sent with Content-Type: application/json
    unless headers say otherwise. Returns a Response."""
    headers = dict(headers or {})
    if json_body is not _NO_JSON:
        body = json.dumps(json_body)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    if isinstance(body, str):
        body = body.encode("utf-8")
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        send_error = None
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError) as e:
            # The server may answer (e.g. 413) and close before reading all.
            send_error = e
        try:
            resp = conn.getresponse()
            data = resp.read()
        except Exception:
            if send_error is not None:
                raise send_error
            raise
        return Response(resp.status, resp.headers, data)
    finally:
        conn.close()


class KeepAlive:
    """Requests on one HTTP/1.1 connection, which CivetWeb serves from one
    worker thread for as long as it stays open. Fails the caller's test (via
    AssertionError) if the server closes it."""

    def __init__(self, port, timeout=REQUEST_TIMEOUT):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, headers=None, json_body=_NO_JSON):
        headers = dict(headers or {})
        body = None
        if json_body is not _NO_JSON:
            body = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        r = Response(resp.status, resp.headers, resp.read())
        if (r.header("Connection") or "").lower() == "close":
            raise AssertionError(f"the server closed the keep-alive connection: {r!r}")
        return r

    def close(self):
        self.conn.close()


def raw_get(port, path, token, version="1.1", extra="", slow=False, rcvbuf=None,
            on_first_bytes=None, timeout=REQUEST_TIMEOUT, pause=0.001):
    """GET path on a raw socket, with the request line's HTTP version and the
    `extra` header lines, read to EOF (or a reset): what http.client would
    hide (a cut-off stream, an HTTP/1.0 answer). slow: read in small pieces
    with `pause` seconds between them, so that the server (and MariaDB
    behind it) waits for this client mid-answer. on_first_bytes(): called
    once, after the first bytes arrived, while this client has stopped
    reading. Returns (the bytes, seconds from the end of on_first_bytes to
    EOF)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.sendall((f"GET {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: Bearer {token}\r\n{extra}\r\n").encode())
        data = bytearray()
        resumed = time.monotonic()
        while True:
            try:
                piece = s.recv(4096 if slow else 262144)
            except ConnectionResetError:
                break
            if not piece:
                break
            data += piece
            if on_first_bytes is not None:
                on_first_bytes()
                on_first_bytes = None
                resumed = time.monotonic()
            if slow:
                time.sleep(pause)
        return bytes(data), time.monotonic() - resumed
    finally:
        s.close()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------
# TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps)
# --------------------------------------------------------------------------

def b32decode(secret):
    s = secret.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def hotp(secret_b32, counter):
    mac = hmac.new(b32decode(secret_b32), struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return f"{value % 1000000:06d}"


def current_step(t=None):
    return int((time.time() if t is None else t) // 30)


def totp(secret_b32, step=None):
    return hotp(secret_b32, current_step() if step is None else step)


def wrong_code(secret_b32):
    """A 6-digit code that matches none of the steps around now."""
    step = current_step()
    near = {hotp(secret_b32, step + d) for d in range(-3, 4)}
    for candidate in ("000000", "111111", "123456", "999999", "424242", "271828"):
        if candidate not in near:
            return candidate
    raise AssertionError("could not find a wrong code")  # practically impossible


def wait_away_from_step_edge(margin=3.0):
    """Sleep (at most margin+1 s) so that at least `margin` seconds remain in
    the current 30-second step."""
    left = 30 - (time.time() % 30)
    if left < margin:
        time.sleep(left + 0.2)


def parse_otpauth(uri):
    """(label, params) of an otpauth URI."""
    parts = urllib.parse.urlsplit(uri)
    return parts.path, urllib.parse.parse_qs(parts.query)


def secret_from_uri(uri):
    m = re.search(r"[?&]secret=([A-Z2-7]+)(?:&|$)", uri)
    if not m:
        raise AssertionError(f"no base32 secret in {uri!r}")
    return m.group(1)


# --------------------------------------------------------------------------
# Ports and processes
# --------------------------------------------------------------------------

def wait_until(predicate, timeout, interval=0.05):
    """Poll predicate() until it is true or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env():
    return {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}


def run_binary(args, env, timeout=20):
    """Run the server binary to completion (e.g. --help); returns
    (returncode, stdout+stderr text)."""
    full = base_env()
    full.update(env)
    proc = subprocess.run([SERVER_BIN] + list(args), env=full, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", errors="replace")


class Server:
    """One integrity-server process."""

    def __init__(self, db_name, env=None, database_url=None, scheme="http"):
        self.port = free_port()
        self.scheme = scheme
        self.logdir = tempfile.mkdtemp(prefix="it-server-")
        self.stdout_path = os.path.join(self.logdir, "stdout.log")
        self.stderr_path = os.path.join(self.logdir, "stderr.log")
        self.env = {
            "DATABASE_URL": database_url or
            f"mysql://app:app@localhost/{db_name}?socket={MYSQL_SOCKET}",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "JWT_SECRET_KEY": JWT_KEY,
            "BCRYPT_COST": "4",
        }
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = str(v)
        self.proc = None

    # -- life cycle --------------------------------------------------------

    def start(self, wait_ready=True):
        full = base_env()
        full.update(self.env)
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen([SERVER_BIN], env=full, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL)
        self.wait_for("/healthz", START_TIMEOUT)
        if wait_ready:
            self.wait_for("/readyz", START_TIMEOUT)
        return self

    def wait_for(self, path, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.proc.returncode} while waiting for {path}\n"
                    + self.tail())
            try:
                r = self.request("GET", path, timeout=2)
                last = r.status
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.1)
        # left running on purpose: the class's tearDown still stops it with
        # SIGTERM and checks that it exits 0
        raise AssertionError(f"GET {path} did not answer 200 within {timeout}s "
                             f"(last: {last})\n" + self.tail())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig by pid and require exit status 0 within timeout."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError(f"server did not exit within {timeout}s after "
                                     f"signal {sig}; killed\n" + self.tail())
        rc = self.proc.returncode
        if rc != 0:
            raise AssertionError(f"server exited with status {rc} (expected 0)\n" + self.tail())
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.logdir, ignore_errors=True)

    # -- logs --------------------------------------------------------------

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def tail(self, n=40):
        out = self.stdout().splitlines()[-n:]
        err = self.stderr().splitlines()[-n:]
        return ("--- server stdout (tail) ---\n" + "\n".join(out) +
                "\n--- server stderr (tail) ---\n" + "\n".join(err))

    # -- HTTP --------------------------------------------------------------

    def request(self, method, path, **kw):
        kw.setdefault("scheme", self.scheme)
        return http_request(self.port, method, path, **kw)


# --------------------------------------------------------------------------
# Flows
# --------------------------------------------------------------------------

class EnrolledUser:
    def __init__(self, username, password, secret, token, step, token_body):
        self.username = username
        self.password = password
        self.secret = secret
        self.token = token
        self.step = step                 # the TOTP step that was accepted
        self.token_body = token_body     # the /verify-2fa body

    @property
    def auth(self):
        return bearer(self.token)


def new_username(prefix="u"):
    return f"{prefix}{os.getpid() % 100000}_{next(_name_counter)}"


class ServerTestCase(unittest.TestCase):
    """Base class: a fresh database per class and (unless start_server is
    False) one server with server_env's overrides."""

    server_env = {}
    start_server = True
    wait_ready = True
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.db = Database()
        cls.addClassCleanup(cls.db.drop)
        cls.servers = []
        cls.server = None
        if cls.start_server:
            cls.server = cls.spawn_server(cls.server_env)

    @classmethod
    def spawn_server(cls, env=None, database_url=None, scheme="http", wait_ready=None):
        """Start another server on this class's database (stopped at class end)."""
        srv = Server(cls.db.name, env=env, database_url=database_url, scheme=scheme)
        cls.addClassCleanup(srv.cleanup)
        cls.servers.append(srv)
        srv.start(wait_ready=cls.wait_ready if wait_ready is None else wait_ready)
        return srv

    @classmethod
    def tearDownClass(cls):
        errors = []
        for srv in cls.servers:
            try:
                srv.stop()
            except AssertionError as e:
                errors.append(str(e))
        if errors:
            raise AssertionError("server shutdown failed:\n" + "\n".join(errors))

    # -- HTTP shortcuts -----------------------------------------------------

    def req(self, method, path, srv=None, **kw):
        return (srv or self.server).request(method, path, **kw)

    def post_json(self, path, obj, srv=None, headers=None):
        return self.req("POST", path, srv=srv, json_body=obj, headers=headers)

    # -- assertions ---------------------------------------------------------

    def assertJsonResponse(self, resp, status):
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.content_type, "application/json", resp)
        try:
            return resp.json()
        except ValueError as e:
            self.fail(f"body is not JSON ({e}): {resp!r}")

    def assertError(self, resp, status, code, fields=None):
        """An application error: {"message": str, "error": code[, "fields"]}.
        fields: names that must appear in body["fields"]."""
        body = self.assertJsonResponse(resp, status)
        self.assertIsInstance(body, dict, resp)
        self.assertEqual(body.get("error"), code, resp)
        self.assertIsInstance(body.get("message"), str, resp)
        self.assertTrue(body["message"], resp)
        if fields:
            self.assertIsInstance(body.get("fields"), dict, resp)
            for f in fields:
                self.assertIn(f, body["fields"], resp)
                self.assertIsInstance(body["fields"][f], str, resp)
        return body

    def assertValidation(self, resp, field):
        """400 for a bad field: validation_failed naming the field (an
        unknown field may also be reported as unknown_field)."""
        body = self.assertJsonResponse(resp, 400)
        self.assertIsInstance(body, dict, resp)
        if body.get("error") == "unknown_field":
            return body
        return self.assertError(resp, 400, "validation_failed", fields=[field])

    def assertBadText(self, resp, field):
        """400 for text that is not valid UTF-8 or holds a NUL: reported
        either as invalid_json or as validation_failed naming the field."""
        body = self.assertJsonResponse(resp, 400)
        self.assertIsInstance(body, dict, resp)
        if body.get("error") == "invalid_json":
            return self.assertError(resp, 400, "invalid_json")
        return self.assertValidation(resp, field)

    def assertMsg(self, resp, status, msg=None):
        """A token error in flask-jwt-extended's shape: {"msg": ...}."""
        body = self.assertJsonResponse(resp, status)
        self.assertIsInstance(body, dict, resp)
        self.assertEqual(set(body), {"msg"}, resp)
        self.assertIsInstance(body["msg"], str, resp)
        self.assertTrue(body["msg"], resp)
        if msg is not None:
            self.assertEqual(body["msg"], msg, resp)
        return body

    def assertAllow(self, resp, must, must_not=()):
        allow = resp.header("Allow")
        self.assertIsNotNone(allow, f"no Allow header: {resp!r}")
        methods = {m.strip().upper() for m in allow.split(",") if m.strip()}
        for m in must:
            self.assertIn(m, methods, resp)
        for m in must_not:
            self.assertNotIn(m, methods, resp)
        return methods

    # -- flows ---------------------------------------------------------------

    def signup(self, username=None, password=DEFAULT_PASSWORD, srv=None):
        username = username or new_username()
        r = self.post_json("/signup", {"username": username, "password": password}, srv=srv)
        body = self.assertJsonResponse(r, 201)
        self.assertEqual(body, {"message": "User registered successfully"})
        return username, password

    def login(self, username, password, accept="application/json", srv=None):
        headers = {"Accept": accept} if accept is not None else {}
        return self.post_json("/login", {"username": username, "password": password},
                              srv=srv, headers=headers)

    def login_secret(self, username, password, srv=None):
        """Password login of a not-yet-enrolled user; returns the TOTP secret."""
        r = self.login(username, password, srv=srv)
        body = self.assertJsonResponse(r, 200)
        self.assertIs(body.get("2fa_enrolled"), False, r)
        return secret_from_uri(body["otpauth_uri"])

    def login_enrolled(self, username, password, srv=None):
        r = self.login(username, password, srv=srv)
        body = self.assertJsonResponse(r, 200)
        self.assertEqual(body, {"message": "Enter the code from your authenticator app",
                                "2fa_enrolled": True})

    def verify(self, username, code, srv=None):
        return self.post_json("/verify-2fa", {"username": username, "code": code}, srv=srv)

    def verify_ok(self, username, code, srv=None):
        """A right code: the token, and on the request that first confirms
        2FA the 10 recovery codes (SPEC 9)."""
        r = self.verify(username, code, srv=srv)
        body = self.assertJsonResponse(r, 200)
        self.assertIn(set(body), ({"access_token", "token_type", "expires_in"},
                                  {"access_token", "token_type", "expires_in",
                                   "recovery_codes"}), r)
        self.assertEqual(body["token_type"], "Bearer")
        return body

    def enrolled_user(self, username=None, password=DEFAULT_PASSWORD, srv=None):
        """Sign up, log in (JSON), compute the code, verify: a user with a token."""
        username, password = self.signup(username, password, srv=srv)
        secret = self.login_secret(username, password, srv=srv)
        step = current_step()
        body = self.verify_ok(username, hotp(secret, step), srv=srv)
        return EnrolledUser(username, password, secret, body["access_token"], step, body)

    def token(self):
        return self.enrolled_user().token


# --------------------------------------------------------------------------
# The TCP proxy in front of MariaDB that tests cut or blackhole to simulate an
# outage lives in tests/lib/faultproxy.py (the e2e scripts run it too).
# --------------------------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import faultproxy  # noqa: E402

FaultProxy = faultproxy.FaultProxy


def main():
    unittest.main(verbosity=2)
