"""The account lifecycle against a real server: SPEC §9. Recovery codes (shown
once, used once, matched ignoring case and dashes, raced by two instances),
re-enrollment, logout, password change and deletion, the revocations they make
(on every instance), the throttling of every password and code they check
(§4), and an upgrade in place from the schema before them."""

import base64
import concurrent.futures
import os
import re
import subprocess
import sys
import time
import uuid

import jwt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (JWT_KEY, MYSQL_SOCKET, ServerTestCase, bearer,  # noqa: E402
                     current_step, hotp, new_username, sql_str)

REVOKED = "Token has been revoked"
CODE_RE = re.compile(r"^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$")
BEFORE_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                             "schema-before-account.sql")


def flask_token(sub, now=None, lifetime=900):
    now = int(time.time()) if now is None else now
    return jwt.encode({"fresh": False, "iat": now, "jti": str(uuid.uuid4()), "type": "access",
                       "sub": sub, "nbf": now, "exp": now + lifetime}, JWT_KEY,
                      algorithm="HS256")


class AccountCase(ServerTestCase):
    """Shortcuts shared by the classes below."""

    def enroll(self, srv=None):
        u = self.enrolled_user(srv=srv)
        codes = u.token_body.get("recovery_codes")
        self.assertIsInstance(codes, list, u.token_body)
        return u, codes

    def next_code(self, u):
        """A TOTP code of a step after the last one used by `u` (waits when
        the next step is not yet within the ±1 window)."""
        step = max(current_step() - 1, u.step + 1)
        while step > current_step() + 1:
            time.sleep(0.5)
        u.step = step
        return hotp(u.secret, step)

    def relogin(self, u, srv=None):
        """Password login and a fresh TOTP code: a new token for u."""
        self.login_enrolled(u.username, u.password, srv=srv)
        body = self.verify_ok(u.username, self.next_code(u), srv=srv)
        u.token = body["access_token"]
        return body

    def recover(self, username, code, srv=None):
        return self.post_json("/verify-2fa", {"username": username, "recovery_code": code},
                              srv=srv)

    def authed(self, method, path, u, body=harness._NO_JSON, srv=None, token=None):
        return self.req(method, path, srv=srv, json_body=body,
                        headers=bearer(token or u.token))

    def failed_logins(self, username):
        return int(self.db.scalar(
            f"SELECT failed_logins FROM users WHERE username = {sql_str(username)}"))

    def assertRevoked(self, resp):
        self.assertMsg(resp, 401, REVOKED)

    def assertWorks(self, resp):
        self.assertEqual(resp.status, 200, resp)


class RecoveryCodeTests(AccountCase):

    def test_first_confirmation_shows_ten_codes_once_and_stores_only_keyed_hashes(self):
        u, codes = self.enroll()
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        for c in codes:
            self.assertRegex(c, CODE_RE)
        # the next login's answer carries none
        body = self.relogin(u)
        self.assertEqual(set(body), {"access_token", "token_type", "expires_in"})
        rows = self.db.sql("SELECT HEX(code_hash) FROM recovery_codes rc JOIN users u"
                           f" ON u.id = rc.user_id WHERE u.username = {sql_str(u.username)}")
        self.assertEqual(len(rows), 10)
        dump = " ".join(r[0] for r in rows).lower()
        for c in codes:   # no code, nor its plain SHA-256, is in the table
            plain = c.replace("-", "")
            self.assertNotIn(plain.encode().hex(), dump)
            import hashlib
            self.assertNotIn(hashlib.sha256(plain.encode()).hexdigest(), dump)

    def test_a_code_logs_in_once_ignoring_case_and_dashes(self):
        u, codes = self.enroll()
        self.login_enrolled(u.username, u.password)
        r = self.recover(u.username, codes[0].upper().replace("-", ""))
        body = self.assertJsonResponse(r, 200)
        self.assertEqual(set(body), {"access_token", "token_type", "expires_in",
                                     "recovery_codes_left"})
        self.assertEqual(body["recovery_codes_left"], 9)
        self.assertWorks(self.req("GET", "/products", headers=bearer(body["access_token"])))
        # used: refused, and counted as a wrong code
        self.login_enrolled(u.username, u.password)
        self.assertError(self.recover(u.username, codes[0]), 401, "invalid_code")
        self.assertEqual(int(self.db.scalar(
            "SELECT challenge_failures FROM users WHERE username = "
            f"{sql_str(u.username)}")), 1)
        r = self.recover(u.username, "-" + codes[1][:7] + "--" + codes[1][7:] + "-")
        self.assertEqual(self.assertJsonResponse(r, 200)["recovery_codes_left"], 8)

    def test_a_recovery_code_needs_the_password_login_first(self):
        u, codes = self.enroll()
        self.assertError(self.recover(u.username, codes[0]), 401, "login_required")

    def test_exactly_one_of_code_and_recovery_code(self):
        u, codes = self.enroll()
        self.login_enrolled(u.username, u.password)
        both = {"username": u.username, "code": "123456", "recovery_code": codes[0]}
        self.assertValidation(self.post_json("/verify-2fa", both), "recovery_code")
        self.assertValidation(self.post_json("/verify-2fa", {"username": u.username}), "code")
        for bad in ("abcd-efgh-ijk", "abcd-efgh-ijkl1", "0bcd-efgh-ijkl", 12, "a" * 65, ""):
            with self.subTest(bad=bad):
                self.assertValidation(self.recover(u.username, bad), "recovery_code")
        # nothing above was counted, and the code still works
        self.assertEqual(self.assertJsonResponse(self.recover(u.username, codes[0]), 200)
                         ["recovery_codes_left"], 9)

    def test_five_wrong_recovery_codes_close_the_challenge_as_wrong_codes_do(self):
        u, codes = self.enroll()
        self.login_enrolled(u.username, u.password)
        for _ in range(5):
            self.assertError(self.recover(u.username, "aaaa-aaaa-aaaa"), 401, "invalid_code")
        self.assertError(self.recover(u.username, codes[0]), 401, "login_required")
        self.assertEqual(self.failed_logins(u.username), 1)

    def test_regenerate_needs_the_password_and_replaces_the_set(self):
        u, codes = self.enroll()
        r = self.authed("POST", "/account/recovery-codes", u, {"password": "wrong password"})
        self.assertError(r, 401, "invalid_credentials")
        self.assertEqual(self.failed_logins(u.username), 1)
        self.assertValidation(self.authed("POST", "/account/recovery-codes", u, {}), "password")
        r = self.authed("POST", "/account/recovery-codes", u, {"password": u.password})
        body = self.assertJsonResponse(r, 200)
        self.assertEqual(set(body), {"recovery_codes"})
        fresh = body["recovery_codes"]
        self.assertEqual(len(fresh), 10)
        self.assertTrue(set(fresh).isdisjoint(codes))
        self.login_enrolled(u.username, u.password)
        self.assertError(self.recover(u.username, codes[1]), 401, "invalid_code")
        self.assertEqual(self.assertJsonResponse(self.recover(u.username, fresh[3]), 200)
                         ["recovery_codes_left"], 9)
        # a right password counts nothing; the completed login reset the count
        self.assertEqual(self.failed_logins(u.username), 0)

    def test_no_token_no_route(self):
        for method, path in (("POST", "/account/recovery-codes"), ("POST", "/account/2fa/reset"),
                             ("POST", "/account/password"), ("POST", "/logout"),
                             ("DELETE", "/account")):
            with self.subTest(path=path):
                self.assertMsg(self.req(method, path, json_body={}), 401,
                               "Missing Authorization Header")
        self.assertAllow(self.req("GET", "/account", headers=bearer(flask_token("x"))),
                         ["DELETE"])


class RevocationTests(AccountCase):

    def test_logout_refuses_that_token_only(self):
        u, _ = self.enroll()
        first = u.token
        self.relogin(u)
        second = u.token
        conn = harness.KeepAlive(self.server.port)   # one worker, its memo of the token
        self.addCleanup(conn.close)
        self.assertEqual(conn.request("GET", "/products", headers=bearer(first)).status, 200)
        r = self.authed("POST", "/logout", u, token=first)
        self.assertEqual(self.assertJsonResponse(r, 200), {"message": "Logged out"})
        self.assertRevoked(conn.request("GET", "/products", headers=bearer(first)))
        self.assertRevoked(self.req("GET", "/products/1", headers=bearer(first)))
        self.assertRevoked(self.authed("POST", "/logout", u, token=first))
        self.assertWorks(self.req("GET", "/products", headers=bearer(second)))
        jti = jwt.decode(first, JWT_KEY, algorithms=["HS256"])["jti"]
        exp = jwt.decode(first, JWT_KEY, algorithms=["HS256"])["exp"]
        self.assertEqual(self.db.scalar(
            f"SELECT expires_at FROM revoked_tokens WHERE jti = {sql_str(jti)}"), str(exp))

    def test_expired_revocations_are_purged_by_the_next_logout(self):
        u, _ = self.enroll()
        old = int(time.time()) - 3600
        values = ", ".join(f"('old-{i}-{uuid.uuid4()}', {old})" for i in range(150))
        self.db.sql(f"INSERT INTO revoked_tokens (jti, expires_at) VALUES {values}")
        self.assertWorks(self.authed("POST", "/logout", u))
        self.assertEqual(self.db.count("revoked_tokens", "jti LIKE 'old-%'"), 50)  # 100 a time
        self.relogin(u)
        self.assertWorks(self.authed("POST", "/logout", u))
        self.assertEqual(self.db.count("revoked_tokens", "jti LIKE 'old-%'"), 0)
        self.assertEqual(self.db.count("revoked_tokens"), 2)

    def test_password_change(self):
        u, _ = self.enroll()
        other = u.token
        self.relogin(u)
        r = self.authed("POST", "/account/password", u,
                        {"old_password": "not the password", "new_password": "a new password"})
        self.assertError(r, 401, "invalid_credentials")
        self.assertEqual(self.failed_logins(u.username), 1)
        r = self.authed("POST", "/account/password", u,
                        {"old_password": u.password, "new_password": "short"})
        self.assertValidation(r, "new_password")
        r = self.authed("POST", "/account/password", u,
                        {"old_password": u.password, "new_password": "x" * 73})
        self.assertValidation(r, "new_password")
        r = self.authed("POST", "/account/password", u,
                        {"old_password": u.password, "new_password": "a new password"})
        body = self.assertJsonResponse(r, 200)
        self.assertIsInstance(body.get("message"), str)
        for t in (u.token, other):
            self.assertRevoked(self.req("GET", "/products", headers=bearer(t)))
        self.assertError(self.login(u.username, u.password), 401, "invalid_credentials")
        u.password = "a new password"
        # a token issued after the change works
        self.relogin(u)
        self.assertWorks(self.req("GET", "/products", headers=bearer(u.token)))
        claims = jwt.decode(u.token, JWT_KEY, algorithms=["HS256"])
        self.assertGreaterEqual(claims["iat"], int(self.db.scalar(
            f"SELECT tokens_valid_after FROM users WHERE username = {sql_str(u.username)}")))

    def test_a_token_from_the_second_of_the_change_is_refused_and_one_after_works(self):
        """iat is whole seconds: the change refuses every token whose iat is
        the change's second or before, and a token issued right after waits
        for the next second, so none issued after the change is refused."""
        u, _ = self.enroll()
        r = self.authed("POST", "/account/password", u,
                        {"old_password": u.password, "new_password": "another password"})
        t0 = time.time()
        self.assertWorks(r)
        u.password = "another password"
        after = int(self.db.scalar("SELECT tokens_valid_after FROM users WHERE username = "
                                   f"{sql_str(u.username)}"))
        self.assertEqual(after, int(t0) + 1, "the second after the change")
        self.assertRevoked(self.req("GET", "/products", headers=bearer(
            flask_token(u.username, now=after - 1))))
        # at once: password, then the next TOTP step (no wait for a new step)
        self.login_enrolled(u.username, u.password)
        body = self.verify_ok(u.username, hotp(u.secret, u.step + 1))
        self.assertLess(time.time() - t0, 3)
        claims = jwt.decode(body["access_token"], JWT_KEY, algorithms=["HS256"])
        self.assertIn(claims["iat"], (after, after + 1))
        self.assertWorks(self.req("GET", "/products", headers=bearer(body["access_token"])))

    def test_2fa_reset_then_enroll_again(self):
        u, codes = self.enroll()
        old_secret = u.secret
        r = self.authed("POST", "/account/2fa/reset", u, {"password": "wrong password"})
        self.assertError(r, 401, "invalid_credentials")
        r = self.authed("POST", "/account/2fa/reset", u, {"password": u.password})
        self.assertIsInstance(self.assertJsonResponse(r, 200).get("message"), str)
        self.assertRevoked(self.req("GET", "/products", headers=u.auth))
        self.assertEqual(self.db.count("recovery_codes", "user_id = (SELECT id FROM users WHERE"
                                       f" username = {sql_str(u.username)})"), 0)
        # the old codes and the old app are no good; /login enrolls again
        secret = self.login_secret(u.username, u.password)
        self.assertNotEqual(secret, old_secret)
        self.assertError(self.recover(u.username, codes[0]), 401, "invalid_code")
        self.assertError(self.verify(u.username, hotp(old_secret, current_step())), 401,
                         "invalid_code")
        body = self.verify_ok(u.username, hotp(secret, current_step() + 1))
        self.assertEqual(len(body["recovery_codes"]), 10)
        self.assertWorks(self.req("GET", "/products", headers=bearer(body["access_token"])))

    def test_delete_with_totp_then_the_name_is_free(self):
        u, _ = self.enroll()
        r = self.authed("POST", "/products", u, {"name": "Kept", "price": 1, "quantity": 1})
        pid = self.assertJsonResponse(r, 201)["id"]
        r = self.authed("DELETE", "/account", u, {"password": "wrong password", "code": "123456"})
        self.assertError(r, 401, "invalid_credentials")
        wrong = "%06d" % ((int(self.next_code(u)) + 1) % 1000000)
        r = self.authed("DELETE", "/account", u, {"password": u.password, "code": wrong})
        self.assertError(r, 401, "invalid_code")
        self.assertEqual(self.failed_logins(u.username), 2)
        self.assertValidation(self.authed("DELETE", "/account", u, {"password": u.password}),
                              "code")
        r = self.authed("DELETE", "/account", u, {"password": u.password,
                                                  "code": self.next_code(u)})
        self.assertEqual(self.assertJsonResponse(r, 200), {"message": "Account deleted"})
        self.assertEqual(self.db.count("users", f"username = {sql_str(u.username)}"), 0)
        self.assertRevoked(self.req("GET", "/products", headers=u.auth))
        # the history keeps the name; the name can be signed up again, and the
        # old token stays refused for the new account
        hist = self.assertJsonResponse(self.req("GET", f"/products/{pid}/history",
                                                headers=bearer(self.token())), 200)
        self.assertEqual(hist[0]["username"], u.username)
        self.signup(u.username, "a brand new password")
        self.assertRevoked(self.req("GET", "/products", headers=u.auth))

    def test_delete_with_a_recovery_code(self):
        u, codes = self.enroll()
        r = self.authed("DELETE", "/account", u, {"password": u.password, "code": "zzzz-zzzz-zzzz"})
        self.assertError(r, 401, "invalid_code")
        r = self.authed("DELETE", "/account", u, {"password": u.password,
                                                  "code": codes[5].upper()})
        self.assertEqual(self.assertJsonResponse(r, 200), {"message": "Account deleted"})
        self.assertEqual(self.db.count("recovery_codes", "user_id NOT IN (SELECT id FROM users)"),
                         0)


class ThrottledAccountTests(AccountCase):
    server_env = {"LOGIN_MAX_FAILURES": "3", "LOGIN_LOCK_SECONDS": "60"}

    def test_wrong_passwords_on_account_routes_lock_the_account(self):
        u, _ = self.enroll()
        bodies = [("POST", "/account/recovery-codes", {"password": "wrong password"}),
                  ("POST", "/account/password", {"old_password": "wrong password",
                                                 "new_password": "whatever123"}),
                  ("POST", "/account/2fa/reset", {"password": "wrong password"})]
        for method, path, body in bodies:
            self.assertError(self.authed(method, path, u, body), 401, "invalid_credentials")
        # locked now: even the right password, on every route that checks one
        r = self.authed("POST", "/account/recovery-codes", u, {"password": u.password})
        self.assertError(r, 429, "too_many_attempts")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertError(self.login(u.username, u.password), 429, "too_many_attempts")
        r = self.authed("DELETE", "/account", u, {"password": u.password, "code": "123456"})
        self.assertError(r, 429, "too_many_attempts")
        self.assertEqual(self.db.count("users", f"username = {sql_str(u.username)}"), 1)

    def test_parallel_right_passwords_are_never_429(self):
        u, _ = self.enroll()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda _: self.authed("POST", "/account/recovery-codes", u,
                                                   {"password": u.password}), range(8)))
        self.assertEqual([r.status for r in rs], [200] * 8, rs)
        self.assertEqual(self.failed_logins(u.username), 0)
        # the last set stored is one whole set
        self.assertEqual(self.db.count("recovery_codes", "user_id = (SELECT id FROM users WHERE"
                                       f" username = {sql_str(u.username)})"), 10)


class TwoInstanceTests(AccountCase):
    """Two servers on one database: revocations hold on both, and two requests
    racing with one recovery code, one on each, have exactly one winner."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.spawn_server()

    def product(self, u):
        r = self.authed("POST", "/products", u, {"name": "Rev", "price": 1, "quantity": 1})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def warm(self, conn, u, pid):
        """Every guarded kind of request on B's one worker thread, so that
        it remembers u's token as good."""
        for path in ("/products", f"/products/{pid}", f"/products?after_id={pid}&limit=5",
                     f"/products/{pid}/history"):
            self.assertEqual(conn.request("GET", path, headers=u.auth).status, 200, path)

    def assertAllRevoked(self, conn, u, pid):
        for path in ("/products", f"/products/{pid}", f"/products?after_id={pid}&limit=5",
                     "/products/999999999", f"/products/{pid}/history"):
            with self.subTest(path=path):
                self.assertRevoked(conn.request("GET", path, headers=u.auth))
        self.assertRevoked(conn.request("PATCH", f"/products/{pid}", headers=u.auth,
                                        json_body={"quantity": 2}))

    def test_revocations_made_on_one_instance_hold_on_the_other_at_once(self):
        """No delay: the next request on B after the answer on A is refused,
        on the worker thread that found the token good just before."""
        b = self.other
        u, _ = self.enroll()
        pid = self.product(u)
        conn = harness.KeepAlive(b.port)
        self.addCleanup(conn.close)
        self.warm(conn, u, pid)
        self.assertWorks(self.authed("POST", "/logout", u))          # on A
        self.assertAllRevoked(conn, u, pid)
        # a password change on B refuses A's tokens, A's thread having found it good
        self.relogin(u)
        conn_a = harness.KeepAlive(self.server.port)
        self.addCleanup(conn_a.close)
        self.warm(conn_a, u, pid)
        r = self.authed("POST", "/account/password", u, srv=b,
                        body={"old_password": u.password, "new_password": "password two"})
        self.assertWorks(r)
        self.assertAllRevoked(conn_a, u, pid)

    def test_2fa_reset_and_deletion_on_one_instance_hold_on_the_other_at_once(self):
        b = self.other
        u, _ = self.enroll()
        pid = self.product(u)
        conn = harness.KeepAlive(b.port)
        self.addCleanup(conn.close)
        self.warm(conn, u, pid)
        self.assertWorks(self.authed("POST", "/account/2fa/reset", u, {"password": u.password}))
        self.assertAllRevoked(conn, u, pid)
        v, _ = self.enroll()
        self.warm(conn, v, pid)
        r = self.authed("DELETE", "/account", v, {"password": v.password,
                                                   "code": self.next_code(v)})
        self.assertWorks(r)
        self.assertAllRevoked(conn, v, pid)

    def test_another_users_revocation_leaves_a_token_good_and_its_answers_whole(self):
        """Any revocation moves the epoch: B's reads then ask about the token
        again and read again; the answers are the same as before."""
        b = self.other
        u, _ = self.enroll()
        pid = self.product(u)
        conn = harness.KeepAlive(b.port)
        self.addCleanup(conn.close)
        paths = ("/products?limit=3", f"/products/{pid}", "/products/999999999",
                 "/products?after_id=999999999&limit=2")
        before = [conn.request("GET", p, headers=u.auth) for p in paths]
        epoch = int(self.db.scalar("SELECT n FROM revocation_epoch WHERE id = 1"))
        other, _ = self.enroll()
        self.assertWorks(self.authed("POST", "/logout", other))     # on A
        self.assertEqual(int(self.db.scalar("SELECT n FROM revocation_epoch WHERE id = 1")),
                         epoch + 1)
        after = [conn.request("GET", p, headers=u.auth) for p in paths]
        for p, x, y in zip(paths, before, after):
            with self.subTest(path=p):
                self.assertEqual((y.status, y.body), (x.status, x.body))
        self.assertEqual([r.status for r in after], [200, 200, 404, 200])
        self.assertEqual(after[3].json(), [])
        # a write after the epoch moved again: asked in full, then done
        w, _ = self.enroll()
        self.assertWorks(self.authed("POST", "/logout", w))
        r = conn.request("PATCH", f"/products/{pid}", headers=u.auth, json_body={"quantity": 7})
        self.assertEqual((r.status, r.json()["quantity"]), (200, 7))
        self.assertEqual(self.db.scalar(f"SELECT quantity FROM products WHERE id = {pid}"), "7")

    def test_two_instances_racing_one_recovery_code_have_one_winner(self):
        for rep in range(4):
            with self.subTest(rep=rep):
                u, codes = self.enroll()
                self.login_enrolled(u.username, u.password)
                body = {"username": u.username, "recovery_code": codes[0]}
                with concurrent.futures.ThreadPoolExecutor(6) as ex:
                    futs = [ex.submit(self.post_json, "/verify-2fa", body,
                                      srv=(self.server if i % 2 else self.other))
                            for i in range(6)]
                    rs = [f.result() for f in futs]
                statuses = sorted(r.status for r in rs)
                self.assertEqual(statuses.count(200), 1, rs)
                for r in rs:
                    if r.status != 200:
                        self.assertEqual(r.status, 401, r)
                        self.assertIn(r.json().get("error"), ("invalid_code", "login_required"))
                self.assertEqual(self.db.count(
                    "recovery_codes", "used_at IS NOT NULL AND user_id = (SELECT id FROM users"
                    f" WHERE username = {sql_str(u.username)})"), 1)


class RevocationEpochTests(AccountCase):
    """The revocation epoch (schema.sql) moves with every revocation, in its
    transaction, and with nothing else."""

    def epoch(self):
        return int(self.db.scalar("SELECT n FROM revocation_epoch WHERE id = 1"))

    def test_each_revocation_moves_the_epoch_and_logins_do_not(self):
        u, _ = self.enroll()
        e = self.epoch()
        self.relogin(u)                                   # logins, codes, failures
        self.assertEqual(self.login(u.username, "wrong password").status, 401)
        self.authed("GET", "/products", u)
        self.assertEqual(self.epoch(), e)
        self.assertWorks(self.authed("POST", "/logout", u))
        self.assertEqual(self.epoch(), e + 1)
        self.assertRevoked(self.authed("POST", "/logout", u))  # refused: nothing moves
        self.assertEqual(self.epoch(), e + 1)
        self.relogin(u)
        r = self.authed("POST", "/account/password", u,
                        body={"old_password": u.password, "new_password": "password two"})
        self.assertWorks(r)
        u.password = "password two"
        self.assertEqual(self.epoch(), e + 2)
        self.relogin(u)
        self.assertWorks(self.authed("POST", "/account/2fa/reset", u, {"password": u.password}))
        self.assertEqual(self.epoch(), e + 3)
        # an operator's own DELETE counts too
        self.db.sql(f"DELETE FROM users WHERE username = {sql_str(u.username)}")
        self.assertEqual(self.epoch(), e + 4)


class RecheckWindowTests(AccountCase):
    """REVOCATION_RECHECK_MS > 0 (an operator's trade): a worker trusts the
    token it found good that long on every route; the instance that revoked
    refuses at once, the others once the window has passed."""
    server_env = {"REVOCATION_RECHECK_MS": "1000"}

    def test_the_window_holds_on_the_other_instance_only(self):
        b = self.spawn_server(self.server_env)
        u, _ = self.enroll()
        conn = harness.KeepAlive(b.port)
        self.addCleanup(conn.close)
        conn_a = harness.KeepAlive(self.server.port)
        self.addCleanup(conn_a.close)
        for c in (conn, conn_a):
            self.assertEqual(c.request("GET", "/products/1", headers=u.auth).status, 404)
        self.assertWorks(self.authed("POST", "/logout", u))          # on A
        self.assertRevoked(conn_a.request("GET", "/products/1", headers=u.auth))
        # B's thread may trust its check for up to a second (not asserted:
        # how long the requests above took is the machine's); after it, no
        time.sleep(1.1)
        self.assertRevoked(conn.request("GET", "/products/1", headers=u.auth))
        self.assertRevoked(conn.request("GET", "/products", headers=u.auth))

class UpgradeInPlaceTests(AccountCase):
    """A database made by the server before SPEC 9 keeps its users, secrets,
    products and history under the new one, and works."""
    start_server = False

    def test_old_database_is_upgraded_in_place(self):
        with open(BEFORE_SCHEMA, "rb") as f:
            proc = subprocess.run(["mariadb", "--no-defaults", f"--socket={MYSQL_SOCKET}",
                                   "-uroot", self.db.name], stdin=f, capture_output=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.db.scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE"
            f" table_schema = '{self.db.name}' AND column_name = 'tokens_valid_after'"), "0")
        # a user as the old server left it: its password hash made by a new server
        helper = harness.Database()
        self.addCleanup(helper.drop)
        srv = harness.Server(helper.name)
        self.addCleanup(srv.cleanup)
        srv.start()
        name = new_username("old")
        r = srv.request("POST", "/signup", json_body={"username": name,
                                                      "password": harness.DEFAULT_PASSWORD})
        self.assertEqual(r.status, 201)
        hash_ = helper.scalar(f"SELECT password_hash FROM users WHERE username = '{name}'")
        srv.stop()
        secret = base64.b32encode(os.urandom(20)).decode()
        self.db.sql("INSERT INTO users (username, password_hash, totp_secret, totp_enrolled,"
                    f" totp_last_step) VALUES ('{name}', '{hash_}', '{secret}', 1, 0)")
        self.db.sql("CALL product_create_v1('Old laptop', 'from before', '10.50', 3, "
                    f"'{name}')")
        old_token = flask_token(name, now=int(time.time()) - 60)
        # the new server on it
        self.server = self.spawn_server()
        self.assertEqual(self.db.count("users"), 1)
        self.assertEqual(self.db.scalar("SELECT tokens_valid_after FROM users"), "0")
        r = self.req("GET", "/products/1", headers=bearer(old_token))
        self.assertEqual(self.assertJsonResponse(r, 200)["name"], "Old laptop")
        hist = self.assertJsonResponse(self.req("GET", "/products/1/history",
                                                headers=bearer(old_token)), 200)
        self.assertEqual([h["action"] for h in hist], ["create"])
        # it logs in with its old password and secret, and has no codes until it asks
        self.login_enrolled(name, harness.DEFAULT_PASSWORD)
        body = self.verify_ok(name, hotp(secret, current_step()))
        self.assertNotIn("recovery_codes", body)
        u = harness.EnrolledUser(name, harness.DEFAULT_PASSWORD, secret, body["access_token"],
                                 current_step(), body)
        r = self.authed("POST", "/account/recovery-codes", u, {"password": u.password})
        self.assertEqual(len(self.assertJsonResponse(r, 200)["recovery_codes"]), 10)
        # the tables and routines of later releases are there too: a keyed create
        h = dict(u.auth, **{"Idempotency-Key": "after-upgrade"})
        item = {"name": "New laptop", "price": 1, "quantity": 1}
        first = self.req("POST", "/products", headers=h, json_body=item)
        self.assertEqual(self.assertJsonResponse(first, 201)["id"], 2)
        again = self.req("POST", "/products", headers=h, json_body=item)
        self.assertEqual((again.status, again.body), (201, first.body))
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        self.assertEqual(self.db.count("products"), 2)
        self.assertWorks(self.authed("POST", "/logout", u))
        self.assertRevoked(self.req("GET", "/products", headers=u.auth))
        self.assertWorks(self.req("GET", "/products", headers=bearer(old_token)))


if __name__ == "__main__":
    harness.main()
