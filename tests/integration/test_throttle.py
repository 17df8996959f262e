"""Account throttling (SPEC §4) and state shared between server instances
(SPEC §4, §7) against a real server and database."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase, current_step, hotp, sql_str, wrong_code  # noqa: E402

INVALID_CREDENTIALS = {"message": "Invalid username or password", "error": "invalid_credentials"}


class ThrottleMixin:

    def user_value(self, username, column):
        return self.db.scalar(f"SELECT {column} FROM users WHERE username = {sql_str(username)}")

    def wrong_password(self, username, srv=None):
        r = self.login(username, "definitely wrong", srv=srv)
        self.assertEqual(self.assertJsonResponse(r, 401), INVALID_CREDENTIALS)

    def assertLocked(self, username, password, srv=None, max_retry_after=None):
        r = self.login(username, password, srv=srv)
        self.assertError(r, 429, "too_many_attempts")
        retry = r.header("Retry-After")
        self.assertIsNotNone(retry, f"no Retry-After: {r!r}")
        self.assertRegex(retry, r"^[0-9]+$")
        self.assertGreaterEqual(int(retry), 1)
        if max_retry_after is not None:
            self.assertLessEqual(int(retry), max_retry_after)
        return int(retry)


class ThrottleTests(ThrottleMixin, ServerTestCase):
    server_env = {"LOGIN_MAX_FAILURES": "3", "LOGIN_LOCK_SECONDS": "2"}

    def test_max_failures_lock_even_the_right_password_until_the_lock_passes(self):
        username, password = self.signup()
        for _ in range(3):
            self.wrong_password(username)
        self.assertEqual(self.user_value(username, "failed_logins"), "3")
        self.assertLocked(username, password, max_retry_after=3)
        # wrong passwords are locked out too, and nothing opened a challenge
        r = self.login(username, "definitely wrong")
        self.assertError(r, 429, "too_many_attempts")
        self.assertEqual(self.db.scalar(
            "SELECT locked_until > UNIX_TIMESTAMP() FROM users WHERE username = "
            + sql_str(username)), "1")
        time.sleep(3.2)
        secret = self.login_secret(username, password)
        self.verify_ok(username, hotp(secret, current_step()))
        self.assertEqual(self.user_value(username, "failed_logins"), "0")

    def test_locked_account_gets_no_challenge(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)   # learn the secret first
        for _ in range(3):
            self.wrong_password(username)
        self.assertLocked(username, password)
        # close the earlier challenge by hand: a refused (429) login must not open one
        self.db.sql("UPDATE users SET challenge_expires = NULL WHERE username = "
                    + sql_str(username))
        self.assertLocked(username, password)
        self.assertEqual(self.db.scalar(
            "SELECT challenge_expires IS NULL FROM users WHERE username = "
            + sql_str(username)), "1")
        # and /verify-2fa is locked as well: the lock covers the whole login
        r = self.verify(username, hotp(secret, current_step()))
        self.assertError(r, 429, "too_many_attempts")
        self.assertRegex(r.header("Retry-After") or "", r"^[0-9]+$")

    def test_challenge_opened_before_the_lock_cannot_be_used_during_it(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)   # an open challenge
        for _ in range(3):
            self.wrong_password(username)
        r = self.verify(username, hotp(secret, current_step()))
        self.assertError(r, 429, "too_many_attempts")
        self.assertEqual(self.user_value(username, "totp_enrolled"), "0")
        time.sleep(3.2)   # the lock passes; the challenge (300 s) is still open
        self.verify_ok(username, hotp(secret, current_step()))

    def test_right_password_does_not_reset_the_count(self):
        username, password = self.signup()
        self.wrong_password(username)
        self.wrong_password(username)
        self.login_secret(username, password)
        self.assertEqual(self.user_value(username, "failed_logins"), "2")
        self.wrong_password(username)
        self.assertLocked(username, password)

    def test_completed_login_resets_the_count(self):
        username, password = self.signup()
        self.wrong_password(username)
        self.wrong_password(username)
        secret = self.login_secret(username, password)
        self.verify_ok(username, hotp(secret, current_step()))
        self.assertEqual(self.user_value(username, "failed_logins"), "0")
        self.wrong_password(username)
        self.wrong_password(username)
        self.login_enrolled(username, password)

    def test_closed_challenge_counts_as_a_failure(self):
        username, password = self.signup()
        self.wrong_password(username)
        self.wrong_password(username)
        secret = self.login_secret(username, password)
        for _ in range(5):
            self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.assertEqual(self.user_value(username, "failed_logins"), "3")
        self.assertLocked(username, password)

    def test_lock_is_per_account(self):
        locked, pw = self.signup()
        other, other_pw = self.signup()
        for _ in range(3):
            self.wrong_password(locked)
        self.assertLocked(locked, pw)
        self.login_secret(other, other_pw)

    def test_unknown_user_is_never_locked_out_differently(self):
        ghost = harness.new_username("ghost")
        for _ in range(5):
            self.assertEqual(self.assertJsonResponse(self.login(ghost, "whatever!"), 401),
                             INVALID_CREDENTIALS)


class MultiInstanceTests(ThrottleMixin, ServerTestCase):
    """Two servers on one database: challenges, tokens, replays, locks and
    versions made on one hold on the other."""
    server_env = {"LOGIN_MAX_FAILURES": "3", "LOGIN_LOCK_SECONDS": "60"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.spawn_server(cls.server_env)

    def test_challenge_from_one_instance_is_verified_on_another(self):
        username, password = self.signup(srv=self.server)
        secret = self.login_secret(username, password, srv=self.server)
        harness.wait_away_from_step_edge()
        step = current_step()
        body = self.verify_ok(username, hotp(secret, step), srv=self.other)
        r = self.req("GET", "/products", srv=self.server,
                     headers=harness.bearer(body["access_token"]))
        self.assertIsInstance(self.assertJsonResponse(r, 200), list)
        # the code is spent on both
        self.login_enrolled(username, password, srv=self.other)
        self.assertError(self.verify(username, hotp(secret, step), srv=self.server), 401,
                         "invalid_code")

    def test_lock_holds_on_every_instance_and_across_restarts(self):
        username, password = self.signup(srv=self.server)
        for _ in range(3):
            self.wrong_password(username, srv=self.server)
        self.assertLocked(username, password, srv=self.other)
        third = self.spawn_server(self.server_env)
        self.assertLocked(username, password, srv=third)
        third.stop()

    def test_versions_are_shared_between_instances(self):
        u = self.enrolled_user(srv=self.server)
        r = self.req("POST", "/products", srv=self.server, headers=u.auth,
                     json_body={"name": "shared", "price": 3.5, "quantity": 1})
        pid = self.assertJsonResponse(r, 201)["id"]
        r = self.req("PATCH", f"/products/{pid}", srv=self.other,
                     headers=dict(u.auth, **{"If-Match": '"1"'}), json_body={"quantity": 2})
        self.assertJsonResponse(r, 200)
        r = self.req("PUT", f"/products/{pid}", srv=self.server,
                     headers=dict(u.auth, **{"If-Match": '"1"'}), json_body={"quantity": 3})
        self.assertError(r, 412, "precondition_failed")
        r = self.req("GET", f"/products/{pid}", srv=self.server, headers=u.auth)
        self.assertEqual(self.assertJsonResponse(r, 200)["quantity"], 2)
        self.assertEqual(r.header("ETag"), '"2"')


if __name__ == "__main__":
    harness.main()
