"""POST /signup against a real server and database: SPEC §2 (common request
rules) and §3 (signup)."""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase, new_username, sql_str  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libxcrypt: checks $2b$ hashes independently)


class SignupTests(ServerTestCase):

    def users(self):
        return self.db.count("users")

    def user_row(self, username):
        rows = self.db.sql("SELECT username, password_hash, totp_secret, totp_enrolled, "
                           "failed_logins FROM users WHERE username = " + sql_str(username))
        self.assertEqual(len(rows), 1, rows)
        return dict(zip(["username", "password_hash", "totp_secret", "totp_enrolled",
                         "failed_logins"], rows[0]))

    def assertRejected(self, body_or_obj, status, code, field=None, headers=None, raw=False,
                       text=False):
        """Send a signup that must be refused; the users table must not change."""
        before = self.users()
        if raw:
            r = self.req("POST", "/signup", body=body_or_obj, headers=headers or {})
        else:
            r = self.post_json("/signup", body_or_obj, headers=headers)
        if text:
            self.assertBadText(r, field)
        elif field is not None:
            self.assertValidation(r, field)
        else:
            self.assertError(r, status, code)
        self.assertEqual(self.users(), before, f"users table changed after {r!r}")
        return r

    # -- success -----------------------------------------------------------

    def test_signup_returns_201_message_and_stores_bcrypt_hash(self):
        username, password = self.signup()
        row = self.user_row(username)
        self.assertEqual(row["username"], username)
        h = row["password_hash"]
        self.assertRegex(h, r"^\$2b\$04\$[./A-Za-z0-9]{53}$")
        self.assertEqual(crypt.crypt(password, h), h, "stored hash does not verify the password")
        self.assertNotEqual(crypt.crypt("wrong password", h), h)
        self.assertTrue(row["totp_secret"])
        self.assertNotIn(password, row["totp_secret"] or "")
        self.assertEqual(row["totp_enrolled"], "0")
        self.assertEqual(row["failed_logins"], "0")

    def test_each_user_gets_a_different_totp_secret(self):
        a, _ = self.signup()
        b, _ = self.signup()
        self.assertNotEqual(self.user_row(a)["totp_secret"], self.user_row(b)["totp_secret"])

    def test_content_type_with_charset_parameter_is_accepted(self):
        username = new_username()
        for ct, name in (("application/json; charset=utf-8", username),
                         ("application/json;charset=UTF-8", username + "b")):
            r = self.req("POST", "/signup", headers={"Content-Type": ct},
                         body=f'{{"username": "{name}", "password": "abcdefgh"}}')
            self.assertEqual(self.assertJsonResponse(r, 201),
                             {"message": "User registered successfully"})
            self.user_row(name)

    def test_username_with_allowed_punctuation_is_accepted(self):
        name = "a_b.c@d-E9"
        self.signup(name)
        self.assertEqual(self.user_row(name)["username"], name)

    # -- uniqueness ----------------------------------------------------------

    def test_taken_username_returns_409_username_taken(self):
        username, _ = self.signup()
        self.assertRejected({"username": username, "password": "another password"},
                            409, "username_taken")
        self.assertEqual(self.db.count("users", "username = " + sql_str(username)), 1)

    def test_username_is_unique_ignoring_case(self):
        self.signup("Alice01")
        self.assertRejected({"username": "alice01", "password": "another password"},
                            409, "username_taken")
        self.assertRejected({"username": "ALICE01", "password": "another password"},
                            409, "username_taken")
        rows = self.db.sql("SELECT username FROM users WHERE LOWER(username) = 'alice01'")
        self.assertEqual(rows, [["Alice01"]])

    # -- username rules --------------------------------------------------------

    def test_username_length_bounds(self):
        self.signup("abc")
        self.signup("x" * 64)
        self.assertRejected({"username": "ab", "password": "abcdefgh"}, 400, None, field="username")
        self.assertRejected({"username": "y" * 65, "password": "abcdefgh"}, 400, None,
                            field="username")
        self.assertRejected({"username": "", "password": "abcdefgh"}, 400, None, field="username")

    def test_username_with_forbidden_characters_is_400(self):
        for bad in ("al ice", "al/ice", "al'ice", "al\"ice", "ali\u00e7e", "al\tice",
                    "al;ice", "a' OR '1'='1", "<script>"):
            with self.subTest(username=bad):
                self.assertRejected({"username": bad, "password": "abcdefgh"}, 400, None,
                                    field="username")
        self.assertRejected({"username": "al\u0000ice", "password": "abcdefgh"}, 400, None,
                            field="username", text=True)
        self.assertRejected({"username": new_username(), "password": "abc\u0000defgh"}, 400,
                            None, field="password", text=True)

    def test_username_of_wrong_type_or_missing_is_400(self):
        for bad in (None, 12345, True, ["abc"], {"a": 1}):
            with self.subTest(username=bad):
                self.assertRejected({"username": bad, "password": "abcdefgh"}, 400, None,
                                    field="username")
        self.assertRejected({"password": "abcdefgh"}, 400, None, field="username")

    # -- password rules --------------------------------------------------------

    def test_password_of_7_bytes_is_400(self):
        self.assertRejected({"username": new_username(), "password": "1234567"}, 400, None,
                            field="password")

    def test_password_of_8_bytes_is_accepted(self):
        self.signup(password="12345678")

    def test_password_of_72_bytes_is_accepted_and_73_refused(self):
        name, pw = self.signup(password="p" * 72)
        h = self.user_row(name)["password_hash"]
        self.assertEqual(crypt.crypt(pw, h), h)
        self.assertRejected({"username": new_username(), "password": "p" * 73}, 400, None,
                            field="password")

    def test_password_length_counts_utf8_bytes_not_characters(self):
        # 36 x U+00E9 = 72 bytes: accepted; 37 = 74 bytes (37 characters): refused.
        name, pw = self.signup(password="\u00e9" * 36)
        self.assertEqual(len(pw.encode()), 72)
        r = self.login(name, pw)
        self.assertEqual(self.assertJsonResponse(r, 200).get("2fa_enrolled"), False)
        self.assertRejected({"username": new_username(), "password": "\u00e9" * 37}, 400, None,
                            field="password")
        # 4 characters but 8 bytes: long enough.
        self.signup(password="\U0001F511" * 2)

    def test_password_of_wrong_type_or_missing_is_400(self):
        for bad in (None, 12345678, True, ["abcdefgh"]):
            with self.subTest(password=bad):
                self.assertRejected({"username": new_username(), "password": bad}, 400, None,
                                    field="password")
        self.assertRejected({"username": new_username()}, 400, None, field="password")

    # -- common request rules (§2) ----------------------------------------------

    def test_unknown_field_is_400(self):
        self.assertRejected({"username": new_username(), "password": "abcdefgh",
                             "is_admin": True}, 400, None, field="is_admin")

    def test_text_plain_content_type_is_415(self):
        body = '{"username": "%s", "password": "abcdefgh"}' % new_username()
        self.assertRejected(body, 415, "unsupported_media_type", raw=True,
                            headers={"Content-Type": "text/plain"})

    def test_missing_content_type_is_415(self):
        body = '{"username": "%s", "password": "abcdefgh"}' % new_username()
        self.assertRejected(body, 415, "unsupported_media_type", raw=True, headers={})

    def test_form_encoded_body_is_415(self):
        self.assertRejected(f"username={new_username()}&password=abcdefgh", 415,
                            "unsupported_media_type", raw=True,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def test_malformed_json_is_400_invalid_json(self):
        ct = {"Content-Type": "application/json"}
        name = new_username()
        for bad in ('{"username": "%s", "password": "abcdefgh"' % name,
                    "{'username': 'x', 'password': 'abcdefgh'}",
                    '{"username": "%s", "password": "abcdefgh"} trailing' % name,
                    "", "   "):
            with self.subTest(body=bad):
                self.assertRejected(bad, 400, "invalid_json", raw=True, headers=ct)

    def test_json_that_is_not_an_object_is_400_invalid_json(self):
        ct = {"Content-Type": "application/json"}
        for bad in ('[{"username": "%s", "password": "abcdefgh"}]' % new_username(),
                    '"abc"', "null", "42", "true"):
            with self.subTest(body=bad):
                self.assertRejected(bad, 400, "invalid_json", raw=True, headers=ct)

    def test_invalid_utf8_body_is_400(self):
        before = self.users()
        r = self.req("POST", "/signup", headers={"Content-Type": "application/json"},
                     body=b'{"username": "ab\xffcd", "password": "abcdefgh"}')
        self.assertBadText(r, "username")
        self.assertEqual(self.users(), before)

    def test_body_over_64_kib_is_413(self):
        body = '{"username": "%s", "password": "%s"}' % (new_username(), "x" * (70 * 1024))
        self.assertRejected(body, 413, "payload_too_large", raw=True,
                            headers={"Content-Type": "application/json"})

    def test_body_size_limit_is_exactly_64_kib(self):
        ct = {"Content-Type": "application/json"}

        def padded(name, size):
            core = '{"username": "%s", "password": "abcdefgh"' % name
            body = core + " " * (size - len(core) - 1) + "}"
            self.assertEqual(len(body), size)
            return body

        self.assertRejected(padded(new_username(), 65537), 413, "payload_too_large",
                            raw=True, headers=ct)
        name = new_username()
        r = self.req("POST", "/signup", body=padded(name, 65536), headers=ct)
        self.assertEqual(self.assertJsonResponse(r, 201),
                         {"message": "User registered successfully"})
        self.user_row(name)

if __name__ == "__main__":
    harness.main()
