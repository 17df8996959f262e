"""POST /login and POST /verify-2fa against a real server and database:
SPEC §3 (accounts and second factor)."""

import base64
import os
import re
import signal
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (PNG_SIGNATURE, ServerTestCase, b32decode, current_step, hotp,  # noqa: E402
                     new_username, sql_str, wait_away_from_step_edge, wrong_code)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402

URI_RE = r"^otpauth://totp/Integrity%20API:{user}\?secret=([A-Z2-7]+)&issuer=Integrity%20API$"
INVALID_CREDENTIALS = {"message": "Invalid username or password", "error": "invalid_credentials"}
ENROLLED_BODY = {"message": "Enter the code from your authenticator app", "2fa_enrolled": True}


class LoginTests(ServerTestCase):

    def user_value(self, username, column):
        return self.db.scalar(f"SELECT {column} FROM users WHERE username = {sql_str(username)}")

    # -- enrollment responses ------------------------------------------------

    def test_login_with_accept_json_returns_otpauth_uri_and_png(self):
        username, password = self.signup()
        r = self.login(username, password, accept="application/json")
        body = self.assertJsonResponse(r, 200)
        self.assertEqual(set(body), {"otpauth_uri", "qr_png_base64", "2fa_enrolled"})
        self.assertIs(body["2fa_enrolled"], False)
        m = re.match(URI_RE.format(user=re.escape(username)), body["otpauth_uri"])
        self.assertIsNotNone(m, body["otpauth_uri"])
        secret = m.group(1)
        self.assertEqual(len(secret), 32)
        self.assertEqual(len(b32decode(secret)), 20, "TOTP secret must be 160 bits")
        png = base64.b64decode(body["qr_png_base64"], validate=True)
        self.assertTrue(png.startswith(PNG_SIGNATURE), png[:16])
        # the secret is the one stored for the user and stays the same
        r2 = self.login(username, password, accept="application/json")
        self.assertEqual(self.assertJsonResponse(r2, 200)["otpauth_uri"], body["otpauth_uri"])

    def test_login_without_accept_header_returns_png(self):
        username, password = self.signup()
        r = self.login(username, password, accept=None)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "image/png", r)
        self.assertTrue(r.body.startswith(PNG_SIGNATURE), r.body[:16])

    def test_login_with_accept_any_returns_png(self):
        username, password = self.signup()
        r = self.login(username, password, accept="*/*")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "image/png", r)
        self.assertTrue(r.body.startswith(PNG_SIGNATURE), r.body[:16])

    def test_login_follows_accept_preference(self):
        username, password = self.signup()
        r = self.login(username, password, accept="image/png, application/json;q=0.5")
        self.assertEqual((r.status, r.content_type), (200, "image/png"), r)
        r = self.login(username, password, accept="application/json, image/png;q=0.5")
        body = self.assertJsonResponse(r, 200)
        self.assertIs(body["2fa_enrolled"], False)

    def test_otpauth_uri_percent_encodes_username(self):
        username = f"al.ice@x-y_{os.getpid() % 1000}"
        _, password = self.signup(username)
        body = self.assertJsonResponse(self.login(username, password), 200)
        expected_label = "Integrity%20API:" + username.replace("@", "%40")
        self.assertTrue(body["otpauth_uri"].startswith("otpauth://totp/" + expected_label + "?"),
                        body["otpauth_uri"])
        self.assertTrue(body["otpauth_uri"].endswith("&issuer=Integrity%20API"),
                        body["otpauth_uri"])

    # -- wrong credentials -----------------------------------------------------

    def test_wrong_password_and_unknown_user_give_identical_401(self):
        username, _ = self.signup()
        wrong = self.login(username, "not the password")
        unknown = self.login(new_username("ghost"), "not the password")
        self.assertEqual(self.assertJsonResponse(wrong, 401), INVALID_CREDENTIALS)
        self.assertEqual(self.assertJsonResponse(unknown, 401), INVALID_CREDENTIALS)
        self.assertEqual(wrong.body, unknown.body)
        self.assertEqual(wrong.header("Content-Type"), unknown.header("Content-Type"))

    def test_password_longer_than_72_bytes_is_not_truncated_at_login(self):
        username, password = self.signup(password="q" * 72)
        r = self.login(username, password + "extra")
        self.assertIn(r.status, (400, 401), r)
        self.assertEqual(r.content_type, "application/json", r)
        self.assertIs(self.assertJsonResponse(self.login(username, password), 200)
                      ["2fa_enrolled"], False)

    def test_login_body_rules(self):
        username, password = self.signup()
        self.assertValidation(self.post_json("/login", {"username": username}), "password")
        self.assertValidation(self.post_json("/login", {"password": password}), "username")
        self.assertValidation(self.post_json("/login", {"username": username, "password": 5}),
                              "password")
        self.assertValidation(self.post_json("/login", {"username": username,
                                                        "password": password, "x": 1}), "x")
        self.assertError(self.req("POST", "/login", headers={"Content-Type": "text/plain"},
                                  body=f'{{"username": "{username}", "password": "{password}"}}'),
                         415, "unsupported_media_type")
        self.assertError(self.req("POST", "/login", headers={"Content-Type": "application/json"},
                                  body="[1, 2]"), 400, "invalid_json")
        self.assertEqual(self.user_value(username, "failed_logins"), "0")

    # -- /verify-2fa -------------------------------------------------------------

    def test_verify_without_password_login_is_login_required(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        other, _ = self.signup()   # never logged in
        self.assertError(self.verify(other, totp_now(secret)), 401, "login_required")

    def test_verify_for_unknown_user_is_login_required(self):
        self.assertError(self.verify(new_username("ghost"), "123456"), 401, "login_required")

    def test_wrong_code_is_invalid_code_and_counted_on_the_challenge(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.assertEqual(self.user_value(username, "challenge_failures"), "1")
        self.assertEqual(self.user_value(username, "totp_enrolled"), "0")
        self.verify_ok(username, totp_now(secret))

    def test_fifth_wrong_code_closes_the_challenge_and_counts_one_failure(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        for i in range(5):
            with self.subTest(attempt=i + 1):
                self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.assertError(self.verify(username, totp_now(secret)), 401, "login_required")
        self.assertEqual(self.user_value(username, "failed_logins"), "1")
        self.assertEqual(self.user_value(username, "totp_enrolled"), "0")
        # a new password login opens a new challenge
        self.login_secret(username, password)
        self.verify_ok(username, totp_now(secret))
        self.assertEqual(self.user_value(username, "failed_logins"), "0")

    def test_new_password_login_replaces_the_challenge_but_keeps_wrong_codes(self):
        # Wrong codes add up across challenges until a login completes: else a
        # holder of the password could guess four codes per login, forever.
        username, password = self.signup()
        secret = self.login_secret(username, password)
        for _ in range(4):
            self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.login_secret(username, password)
        self.assertEqual(self.user_value(username, "challenge_failures"), "4")
        self.assertEqual(self.user_value(username, "failed_logins"), "0")
        # the fifth wrong code in all closes the new challenge and counts a failure
        self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.assertEqual(self.user_value(username, "failed_logins"), "1")
        self.assertEqual(self.user_value(username, "challenge_failures"), "0")
        self.assertError(self.verify(username, totp_now(secret)), 401, "login_required")
        # a new challenge starts a new round of five; a right code completes it
        self.login_secret(username, password)
        self.assertError(self.verify(username, wrong_code(secret)), 401, "invalid_code")
        self.verify_ok(username, totp_now(secret))
        self.assertEqual(self.user_value(username, "challenge_failures"), "0")
        self.assertEqual(self.user_value(username, "failed_logins"), "0")

    def test_right_code_returns_token_and_confirms_2fa(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        wait_away_from_step_edge()
        step = current_step()
        body = self.verify_ok(username, hotp(secret, step))
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertRegex(body["access_token"], r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
        self.assertEqual(self.user_value(username, "totp_enrolled"), "1")
        self.assertEqual(int(self.user_value(username, "totp_last_step")), step)
        # the challenge is closed: the same (or any) code needs a new password login
        self.assertError(self.verify(username, hotp(secret, step + 1)), 401, "login_required")

    def test_replayed_code_is_refused_after_a_new_login(self):
        wait_away_from_step_edge()
        u = self.enrolled_user()
        self.login_enrolled(u.username, u.password)
        self.assertError(self.verify(u.username, hotp(u.secret, u.step)), 401, "invalid_code")

    def test_code_of_a_step_before_the_last_accepted_is_refused(self):
        wait_away_from_step_edge()
        username, password = self.signup()
        secret = self.login_secret(username, password)
        step = current_step()
        self.verify_ok(username, hotp(secret, step + 1))
        self.login_enrolled(username, password)
        self.assertError(self.verify(username, hotp(secret, step)), 401, "invalid_code")
        self.assertError(self.verify(username, hotp(secret, step + 1)), 401, "invalid_code")

    def test_codes_of_adjacent_steps_are_accepted(self):
        wait_away_from_step_edge()
        for delta in (-1, +1):
            with self.subTest(delta=delta):
                username, password = self.signup()
                secret = self.login_secret(username, password)
                self.verify_ok(username, hotp(secret, current_step() + delta))

    def test_codes_two_steps_away_are_refused(self):
        wait_away_from_step_edge()
        username, password = self.signup()
        secret = self.login_secret(username, password)
        step = current_step()
        for delta in (-2, +2):
            code = hotp(secret, step + delta)
            if code in {hotp(secret, step + d) for d in (-1, 0, 1)}:
                continue  # a one-in-a-million collision; not a failure of the server
            with self.subTest(delta=delta):
                self.assertError(self.verify(username, code), 401, "invalid_code")

    def test_enrolled_user_login_returns_message_without_secret_whatever_accept(self):
        wait_away_from_step_edge()
        u = self.enrolled_user()
        for accept in (None, "*/*", "image/png", "application/json"):
            with self.subTest(accept=accept):
                r = self.login(u.username, u.password, accept=accept)
                self.assertEqual(self.assertJsonResponse(r, 200), ENROLLED_BODY)
                self.assertNotIn(u.secret.encode(), r.body)
        # and the second factor still works for it (next step: no replay)
        self.verify_ok(u.username, hotp(u.secret, u.step + 1))

    def test_code_must_be_a_string_of_six_digits(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        for bad in ("12345", "1234567", 123456, "12345a", " 123456", "123456 ", "",
                    None, "１２３４５６", "12 456"):
            with self.subTest(code=bad):
                self.assertValidation(self.post_json("/verify-2fa",
                                                     {"username": username, "code": bad}), "code")
        self.assertValidation(self.post_json("/verify-2fa", {"username": username}), "code")
        self.assertValidation(self.post_json("/verify-2fa", {"username": username,
                                                             "code": "123456", "x": 1}), "x")
        self.assertError(self.req("POST", "/verify-2fa", headers={"Content-Type": "text/plain"},
                                  body=f'{{"username": "{username}", "code": "123456"}}'),
                         415, "unsupported_media_type")
        self.assertEqual(self.user_value(username, "totp_enrolled"), "0")
        self.verify_ok(username, totp_now(secret))


def totp_now(secret):
    return hotp(secret, current_step())


class ChallengeExpiryTests(ServerTestCase):
    server_env = {"LOGIN_CHALLENGE_SECONDS": "2"}

    def test_challenge_expires_after_login_challenge_seconds(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        time.sleep(3.2)
        self.assertError(self.verify(username, totp_now(secret)), 401, "login_required")
        self.assertEqual(self.db.scalar("SELECT totp_enrolled FROM users WHERE username = "
                                        + sql_str(username)), "0")

    def test_code_within_challenge_lifetime_is_accepted(self):
        username, password = self.signup()
        secret = self.login_secret(username, password)
        self.verify_ok(username, totp_now(secret))


class IssuerTests(ServerTestCase):
    server_env = {"TOTP_ISSUER": "Acme Corp & Co"}

    def test_custom_issuer_is_percent_encoded_in_label_and_query(self):
        username, password = self.signup()
        body = self.assertJsonResponse(self.login(username, password), 200)
        self.assertRegex(body["otpauth_uri"],
                         r"^otpauth://totp/Acme%20Corp%20%26%20Co:" + re.escape(username)
                         + r"\?secret=[A-Z2-7]{32}&issuer=Acme%20Corp%20%26%20Co$")


class PasswordHashTests(ServerTestCase):
    """Tests that start their own servers (restarts with other settings)."""
    start_server = False

    def hash_of(self, username):
        return self.db.scalar("SELECT password_hash FROM users WHERE username = "
                              + sql_str(username))

    def test_hash_with_other_cost_is_rehashed_on_next_good_login(self):
        srv = self.spawn_server({"BCRYPT_COST": "4"})
        username, password = self.signup(srv=srv)
        self.assertTrue(self.hash_of(username).startswith("$2b$04$"))
        srv.stop()
        srv = self.spawn_server({"BCRYPT_COST": "5"})
        self.assertEqual(self.assertJsonResponse(self.login(username, "wrong password!",
                                                            srv=srv), 401), INVALID_CREDENTIALS)
        self.assertTrue(self.hash_of(username).startswith("$2b$04$"),
                        "a wrong password must not rehash")
        self.login_secret(username, password, srv=srv)
        h = self.hash_of(username)
        self.assertTrue(h.startswith("$2b$05$"), h)
        self.assertEqual(crypt.crypt(password, h), h)
        srv.stop()

    def test_hash_written_by_another_bcrypt_is_accepted(self):
        # flask-bcrypt writes $2b$ hashes; make one with libxcrypt instead of the server.
        srv = self.spawn_server({"BCRYPT_COST": "4"})
        username, _ = self.signup(srv=srv)
        new_password = "flask made this"
        foreign = crypt.crypt(new_password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        self.assertTrue(foreign.startswith("$2b$04$"))
        self.db.sql(f"UPDATE users SET password_hash = {sql_str(foreign)} "
                    f"WHERE username = {sql_str(username)}")
        self.login_secret(username, new_password, srv=srv)
        self.assertEqual(self.assertJsonResponse(
            self.login(username, harness.DEFAULT_PASSWORD, srv=srv), 401), INVALID_CREDENTIALS)
        srv.stop()

    def test_default_cost_is_12_and_unknown_user_costs_a_bcrypt(self):
        srv = self.spawn_server({"BCRYPT_COST": None})
        username, password = self.signup(srv=srv)
        self.assertTrue(self.hash_of(username).startswith("$2b$12$"), self.hash_of(username))

        def timed(name):
            t0 = time.monotonic()
            r = self.login(name, "not the password", srv=srv)
            elapsed = time.monotonic() - t0
            self.assertEqual(self.assertJsonResponse(r, 401), INVALID_CREDENTIALS)
            return elapsed

        wrong = min(timed(username) for _ in range(3))
        unknown = min(timed(new_username("ghost")) for _ in range(3))
        self.assertGreater(unknown, 0.5 * wrong,
                           f"unknown user answered in {unknown:.3f}s, wrong password in "
                           f"{wrong:.3f}s: an unknown user must still cost one bcrypt")
        srv.stop()


def _children(pid):
    """Pids whose parent is pid (read from /proc)."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(d))
    return kids


def _stat(pid):
    """(state, session, nice, utime + stime) of pid from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0], int(fields[3]), int(fields[16]), int(fields[11]) + int(fields[12])


def _gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _stat(pid)[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


class BcryptHelperTests(ServerTestCase):
    """The hashes run in a helper process (crypto/hasher.h): a child of the
    server in a session of its own at nice 10. Killed, or stopped past the
    bound on an answer, it leaves logins and signups working in the server
    itself; the server never leaves it behind."""
    start_server = False

    def helper_of(self, srv):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            kids = _children(srv.proc.pid)
            if kids:
                self.assertEqual(len(kids), 1, kids)
                return kids[0]
            time.sleep(0.05)
        self.fail("the server has no helper process\n" + srv.tail())

    def test_hashes_run_in_the_helper_in_its_own_session(self):
        srv = self.spawn_server({"BCRYPT_COST": "10"})
        helper = self.helper_of(srv)
        _, session, nice, ticks0 = _stat(helper)
        self.assertEqual(session, helper, "the helper leads a session of its own")
        with open(f"/proc/{helper}/comm") as f:
            self.assertEqual(f.read(), "bcrypt-helper\n", "its name in ps and top")
        self.assertNotEqual(session, _stat(srv.proc.pid)[1])
        self.assertEqual(nice, max(10, _stat(srv.proc.pid)[2]))
        server_ticks0 = _stat(srv.proc.pid)[3]
        username, password = self.signup(srv=srv)     # one bcrypt at cost 10
        self.login_secret(username, password, srv=srv)  # and another
        self.assertEqual(self.assertJsonResponse(self.login(username, "wrong password!",
                                                            srv=srv), 401), INVALID_CREDENTIALS)
        helper_ticks = _stat(helper)[3] - ticks0
        server_ticks = _stat(srv.proc.pid)[3] - server_ticks0
        # three bcrypts at cost 10 are ~150 ms of CPU: in the helper, not the server
        self.assertGreaterEqual(helper_ticks, 6, (helper_ticks, server_ticks))
        self.assertLess(server_ticks, helper_ticks, (helper_ticks, server_ticks))
        srv.stop()
        self.assertTrue(_gone(helper), "the helper outlived a stopped server")

    def test_bcrypt_nice_sets_the_helpers_priority(self):
        srv = self.spawn_server({"BCRYPT_COST": "4", "BCRYPT_NICE": "3"})
        helper = self.helper_of(srv)
        username, password = self.signup(srv=srv)   # answered: the helper is set up
        _, session, nice, _ = _stat(helper)
        self.assertEqual(session, helper)
        self.assertEqual(nice, max(3, _stat(srv.proc.pid)[2]))
        if os.path.exists(f"/proc/{helper}/autogroup"):
            with open(f"/proc/{helper}/autogroup") as f:
                self.assertTrue(f.read().endswith(" nice 3\n"), "its session's autogroup too")
        self.login_secret(username, password, srv=srv)

    def test_a_killed_helper_leaves_logins_working(self):
        srv = self.spawn_server({"BCRYPT_COST": "4"})
        username, password = self.signup(srv=srv)
        helper = self.helper_of(srv)
        os.kill(helper, signal.SIGKILL)   # the server's own child, by pid
        self.assertTrue(_gone(helper))
        secret = self.login_secret(username, password, srv=srv)
        self.verify_ok(username, hotp(secret, current_step()), srv=srv)
        self.assertEqual(self.assertJsonResponse(self.login(username, "wrong password!",
                                                            srv=srv), 401), INVALID_CREDENTIALS)
        other, other_pw = self.signup(srv=srv)
        h = self.db.scalar("SELECT password_hash FROM users WHERE username = " + sql_str(other))
        self.assertEqual(crypt.crypt(other_pw, h), h)
        err = srv.stderr()
        self.assertEqual(err.count("bcrypt helper"), 1, err)
        self.assertIn(f"bcrypt helper (pid {helper}) is gone", err)
        self.assertEqual(_children(srv.proc.pid), [], "the dead helper was not reaped")
        # it exits 0 even so: the helper's end is logged, not fatal
        srv.stop()

    def test_a_stopped_helper_is_killed_and_logins_go_on(self):
        """A helper stopped with SIGSTOP answers nothing: a login waits out the
        bound on one answer (30 s at this cost: 64 start-up hashes, at least
        30 s), then the helper is killed and reaped, that login is answered
        from a hash in the server itself, and so are the ones after it."""
        srv = self.spawn_server({"BCRYPT_COST": "4"})
        username, password = self.signup(srv=srv)
        helper = self.helper_of(srv)
        os.kill(helper, signal.SIGSTOP)   # the server's own child, by pid
        deadline = time.monotonic() + 5
        while _stat(helper)[0] != "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(_stat(helper)[0], "T")
        t0 = time.monotonic()
        r = srv.request("POST", "/login", json_body={"username": username, "password": password},
                        headers={"Accept": "application/json"}, timeout=120)
        waited = time.monotonic() - t0
        body = self.assertJsonResponse(r, 200)
        self.assertIs(body.get("2fa_enrolled"), False, r)
        self.assertGreaterEqual(waited, 29.5, "answered before the bound: not by a stopped helper?")
        self.assertTrue(_gone(helper))
        self.assertEqual(_children(srv.proc.pid), [], "the killed helper was not reaped")
        err = srv.stderr()
        self.assertEqual(err.count("bcrypt helper"), 1, err)
        self.assertIn(f"bcrypt helper (pid {helper}) did not answer in time and was killed", err)
        # from now on in-process: answered (no wait for a helper), and right
        secret = self.login_secret(username, password, srv=srv)
        self.verify_ok(username, hotp(secret, current_step()), srv=srv)
        self.assertEqual(self.assertJsonResponse(self.login(username, "wrong password!",
                                                            srv=srv), 401), INVALID_CREDENTIALS)
        srv.stop()   # exits 0: the helper's end is logged, not fatal

    def test_the_helper_dies_with_a_killed_server(self):
        srv = self.spawn_server({"BCRYPT_COST": "4"})
        helper = self.helper_of(srv)
        srv.proc.kill()
        srv.proc.wait(timeout=10)
        self.servers.remove(srv)  # killed on purpose: not expected to exit 0
        self.assertTrue(_gone(helper), "the helper outlived a killed server")


class TotpSecretEncryptionTests(ServerTestCase):
    start_server = False
    KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

    def hex_secret(self, username):
        return self.db.scalar("SELECT HEX(totp_secret) FROM users WHERE username = "
                              + sql_str(username)) or ""

    def test_secrets_are_encrypted_at_rest_and_old_rows_still_work(self):
        plain = self.spawn_server()
        old_user, old_pw = self.signup(srv=plain)
        old_secret = self.login_secret(old_user, old_pw, srv=plain)
        plain.stop()

        enc = self.spawn_server({"TOTP_SECRET_KEY": self.KEY})
        new_user, new_pw = self.signup(srv=enc)
        new_secret = self.login_secret(new_user, new_pw, srv=enc)
        stored = self.hex_secret(new_user).upper()
        self.assertTrue(stored)
        self.assertNotIn(new_secret.encode().hex().upper(), stored)
        self.assertNotIn(b32decode(new_secret).hex().upper(), stored)
        self.verify_ok(new_user, totp_now(new_secret), srv=enc)

        # a row written before the key was set still works
        self.assertEqual(self.login_secret(old_user, old_pw, srv=enc), old_secret)
        self.verify_ok(old_user, totp_now(old_secret), srv=enc)
        enc.stop()


if __name__ == "__main__":
    harness.main()
