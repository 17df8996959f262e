"""JWTs against a real server: SPEC §5. Tokens are made with PyJWT exactly as
flask-jwt-extended makes them, and the server's own tokens are read with PyJWT."""

import base64
import json
import os
import sys
import time
import uuid

import jwt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JWT_KEY, ServerTestCase, bearer  # noqa: E402

BAD_HEADER = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"


def flask_claims(sub, now=None, lifetime=900, **over):
    """The claims flask-jwt-extended 4 puts in an access token."""
    now = int(time.time()) if now is None else now
    claims = {"fresh": False, "iat": now, "jti": str(uuid.uuid4()), "type": "access",
              "sub": sub, "nbf": now, "exp": now + lifetime}
    claims.update(over)
    return claims


def flask_token(sub, key=JWT_KEY, algorithm="HS256", **over):
    return jwt.encode(flask_claims(sub, **over), key, algorithm=algorithm)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one enrolled user for the whole class (a TOTP code is single-use per step)
        cls.user = _enroll(cls)

    def get_products(self, headers):
        return self.req("GET", "/products", headers=headers)

    def test_token_valid_from_this_second_is_accepted_as_the_second_begins(self):
        """nbf = the second just begun, sent a few milliseconds into it: the
        server must not judge it by a clock that trails the client's (glibc's
        time() reads the kernel's coarse clock, up to a tick behind)."""
        someone, _ = self.signup()   # a token of no user is refused (SPEC 9: deleted)
        for _ in range(5):
            now = time.time()
            time.sleep(max(0.0, 1.0 - (now - int(now)) - 0.01))
            start = int(now)
            while int(time.time()) == start:   # the last 10 ms of the second
                pass
            r = self.get_products(bearer(flask_token(someone)))
            self.assertEqual(r.status, 200, r.body)

    # -- the server's tokens -------------------------------------------------

    def test_issued_token_is_accepted_by_pyjwt_with_flask_claims(self):
        token = self.user.token
        self.assertEqual(jwt.get_unverified_header(token), {"alg": "HS256", "typ": "JWT"})
        claims = jwt.decode(token, JWT_KEY, algorithms=["HS256"])
        self.assertEqual(set(claims), {"sub", "iat", "nbf", "exp", "jti", "type", "fresh"})
        self.assertEqual(claims["sub"], self.user.username)
        self.assertEqual(claims["type"], "access")
        self.assertIs(claims["fresh"], False)
        for k in ("iat", "nbf", "exp"):
            self.assertIs(type(claims[k]), int, claims)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 120)
        self.assertEqual(claims["nbf"], claims["iat"])
        self.assertEqual(claims["exp"], claims["iat"] + 3600)
        self.assertEqual(uuid.UUID(claims["jti"]).version, 4)
        self.assertEqual(self.user.token_body["expires_in"], 3600)
        self.assertEqual(self.user.token_body["token_type"], "Bearer")

    def test_issued_token_opens_protected_routes(self):
        r = self.get_products(self.user.auth)
        self.assertIsInstance(self.assertJsonResponse(r, 200), list)

    def test_each_token_has_its_own_jti(self):
        self.login_enrolled(self.user.username, self.user.password)
        body = self.verify_ok(self.user.username,
                              harness.hotp(self.user.secret, self.user.step + 1))
        a = jwt.decode(self.user.token, JWT_KEY, algorithms=["HS256"])
        b = jwt.decode(body["access_token"], JWT_KEY, algorithms=["HS256"])
        self.assertNotEqual(a["jti"], b["jti"])

    # -- flask-jwt-extended tokens ---------------------------------------------

    def test_token_made_like_flask_jwt_extended_is_accepted(self):
        r = self.get_products(bearer(flask_token(self.user.username)))
        self.assertIsInstance(self.assertJsonResponse(r, 200), list)

    def test_expired_token_is_401_token_has_expired(self):
        now = int(time.time())
        token = flask_token(self.user.username, now=now - 7200, lifetime=3600)
        self.assertMsg(self.get_products(bearer(token)), 401, "Token has expired")

    # -- header problems ----------------------------------------------------------

    def test_missing_authorization_header_is_401(self):
        self.assertMsg(self.get_products({}), 401, "Missing Authorization Header")

    def test_non_bearer_authorization_header_is_422(self):
        for value in ("Basic xyz", "Bearer", "Bearer ", "Token " + self.user.token,
                      self.user.token):
            with self.subTest(header=value[:20]):
                self.assertMsg(self.get_products({"Authorization": value}), 422, BAD_HEADER)

    # -- bad tokens ---------------------------------------------------------------

    def test_token_signed_with_another_key_is_422_signature_failed(self):
        token = flask_token(self.user.username, key="another key, also 32 bytes long!!")
        self.assertMsg(self.get_products(bearer(token)), 422, "Signature verification failed")

    def test_tampered_payload_is_422_signature_failed(self):
        header, _, sig = self.user.token.split(".")
        claims = jwt.decode(self.user.token, JWT_KEY, algorithms=["HS256"])
        claims["sub"] = "somebody-else"
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        self.assertMsg(self.get_products(bearer(f"{header}.{payload}.{sig}")), 422,
                       "Signature verification failed")

    def test_tampered_signature_is_422_signature_failed(self):
        header, payload, sig = self.user.token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
        raw[5] ^= 0x01
        token = f"{header}.{payload}.{b64url(bytes(raw))}"
        self.assertMsg(self.get_products(bearer(token)), 422, "Signature verification failed")

    def test_other_algorithms_are_refused_with_422(self):
        for alg in ("HS384", "HS512"):
            with self.subTest(alg=alg):
                token = flask_token(self.user.username, algorithm=alg)
                self.assertMsg(self.get_products(bearer(token)), 422)

    def test_alg_none_is_refused_with_422(self):
        claims = flask_claims(self.user.username)
        unsigned = (b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "."
                    + b64url(json.dumps(claims).encode()))
        for token in (unsigned + ".", unsigned):
            with self.subTest(token=token[-10:]):
                self.assertMsg(self.get_products(bearer(token)), 422)
        # alg none with the HS256 signature attached
        good = flask_token(self.user.username)
        sig = good.split(".")[2]
        self.assertMsg(self.get_products(bearer(unsigned + "." + sig)), 422)

    def test_refresh_token_is_refused_with_422(self):
        token = flask_token(self.user.username, type="refresh")
        self.assertMsg(self.get_products(bearer(token)), 422)

    def test_token_not_yet_valid_is_refused_with_422(self):
        now = int(time.time())
        token = flask_token(self.user.username, now=now, nbf=now + 600)
        self.assertMsg(self.get_products(bearer(token)), 422)

    def test_token_issued_in_the_future_is_refused_with_422(self):
        """iat ahead of the clock (nbf not): what PyJWT refuses, with its words."""
        now = int(time.time())
        token = flask_token(self.user.username, now=now, iat=now + 600, nbf=now - 10)
        self.assertMsg(self.get_products(bearer(token)), 422, "The token is not yet valid (iat)")
        # iat in the past (not before the account's sign-up: SPEC 9 refuses a
        # token older than the account, one of a deleted namesake)
        signed_up = int(self.db.scalar("SELECT tokens_valid_after FROM users WHERE username = "
                                       f"'{self.user.username}'"))
        token = flask_token(self.user.username, now=now, iat=signed_up, nbf=now - 10)
        self.assertEqual(self.get_products(bearer(token)).status, 200)

    def test_malformed_tokens_are_refused_with_422(self):
        for token in ("abc", "a.b", "a.b.c", "a.b.c.d", "....",
                      "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24." + "x" * 43):
            with self.subTest(token=token):
                self.assertMsg(self.get_products(bearer(token)), 422)

    def test_token_errors_apply_to_every_product_route(self):
        routes = [("GET", "/products", None), ("POST", "/products",
                                                {"name": "x", "price": 1, "quantity": 1}),
                  ("GET", "/products/1", None), ("PUT", "/products/1", {"name": "y"}),
                  ("PATCH", "/products/1", {"name": "y"}), ("DELETE", "/products/1", None),
                  ("GET", "/products/1/history", None)]
        bad_sig = flask_token(self.user.username, key="another key, also 32 bytes long!!")
        before = self.db.count("products")
        for method, path, body in routes:
            kw = {"json_body": body} if body is not None else {}
            with self.subTest(route=f"{method} {path}"):
                self.assertMsg(self.req(method, path, **kw), 401, "Missing Authorization Header")
                self.assertMsg(self.req(method, path, headers=bearer(bad_sig), **kw), 422,
                               "Signature verification failed")
        self.assertEqual(self.db.count("products"), before)


def _enroll(cls):
    """enrolled_user() for setUpClass (unittest needs an instance to assert)."""
    probe = cls("test_issued_token_opens_protected_routes")
    return probe.enrolled_user()


class ShortTokenTests(ServerTestCase):
    server_env = {"JWT_EXPIRES_SECONDS": "2"}

    def test_configured_lifetime_is_used_and_enforced(self):
        u = self.enrolled_user()
        self.assertEqual(u.token_body["expires_in"], 2)
        claims = jwt.decode(u.token, JWT_KEY, algorithms=["HS256"])
        self.assertEqual(claims["exp"], claims["iat"] + 2)
        self.assertEqual(self.req("GET", "/products", headers=u.auth).status, 200)
        time.sleep(3.2)
        self.assertMsg(self.req("GET", "/products", headers=u.auth), 401, "Token has expired")

    def test_a_token_reused_on_one_connection_still_expires_and_still_needs_every_byte(self):
        # One connection is one worker thread, which remembers the last token it
        # found valid: the clock must still be read, and a changed token checked.
        keeper, _ = self.signup()
        exp = int(time.time()) + 5
        token = flask_token(keeper, now=exp - 5, lifetime=5)
        conn = harness.KeepAlive(self.server.port)
        self.addCleanup(conn.close)
        for _ in range(3):
            self.assertEqual(conn.request("GET", "/products", headers=bearer(token)).status, 200)
        head, payload, sig = token.split(".")
        flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
        changed = f"{head}.{payload}.{flipped}"
        self.assertMsg(conn.request("GET", "/products", headers=bearer(changed)), 422,
                       "Signature verification failed")
        self.assertMsg(conn.request("GET", "/products", headers=bearer(token[:-1])), 422)
        self.assertEqual(conn.request("GET", "/products", headers=bearer(token)).status, 200)
        while time.time() < exp + 0.2:   # the connection idles out after 5 s: keep it busy
            self.assertEqual(conn.request("GET", "/healthz").status, 200)
            time.sleep(0.5)
        self.assertMsg(conn.request("GET", "/products", headers=bearer(token)), 401,
                       "Token has expired")


class OtherKeyTests(ServerTestCase):
    """A second server with a different key refuses the first one's tokens."""
    server_env = {"JWT_SECRET_KEY": "a completely different key of 40 bytes!!"}

    def test_token_of_a_server_with_another_key_is_refused(self):
        someone, _ = self.signup()
        token = flask_token(someone)   # signed with harness.JWT_KEY
        self.assertMsg(self.req("GET", "/products", headers=bearer(token)), 422,
                       "Signature verification failed")
        own = flask_token(someone, key=self.server_env["JWT_SECRET_KEY"])
        self.assertEqual(self.req("GET", "/products", headers=bearer(own)).status, 200)


if __name__ == "__main__":
    harness.main()
