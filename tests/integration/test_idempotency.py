"""Idempotency-Key on POST /products (SPEC §11) against the real server and
MariaDB: a repeat with the same key by the same user within 24 h gets the
first answer (status, body, Location, ETag; Idempotent-Replayed: true) and
creates nothing; the key with another body is 422 idempotency_key_reused and
creates nothing; keys are per user, refused when malformed (400), counted
for 24 h (then a create replaces the row, and keyed creates purge old rows),
gone with their account, shared by every instance, and raced by parallel
requests to exactly one product. Every claim is checked in the tables too."""

import concurrent.futures
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase, bearer, sql_str  # noqa: E402

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def body_of(name, price=12.5, quantity=3, description="made once"):
    b = {"name": name, "price": price, "quantity": quantity}
    if description is not None:
        b["description"] = description
    return b


class IdempotencyCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls("run").enrolled_user()

    _n = 0

    def unique(self, prefix="idem"):
        IdempotencyCase._n += 1
        return f"{prefix}-{os.getpid()}-{IdempotencyCase._n}"

    def post(self, body, key=None, user=None, raw=None, srv=None, extra=None):
        h = dict((user or self.user).auth)
        if key is not None:
            h[KEY] = key
        h.update(extra or {})
        if raw is not None:
            h["Content-Type"] = "application/json"
            return self.req("POST", "/products", srv=srv, headers=h, body=raw)
        return self.req("POST", "/products", srv=srv, headers=h, json_body=body)

    def products_named(self, name):
        return self.db.count("products", f"name = {sql_str(name)}")

    def history_of(self, pid):
        return [r[0] for r in self.db.sql(
            f"SELECT action FROM product_history WHERE product_id = {int(pid)} ORDER BY id")]

    def history_named(self, name):
        return self.db.count("product_history",
                             f"JSON_VALUE(after_json, '$.name') = {sql_str(name)}")

    def key_rows(self, key, username=None):
        username = username or self.user.username
        return self.db.sql(
            "SELECT k.product_id, HEX(k.request_hash) FROM idempotency_keys k"
            " JOIN users u ON u.id = k.user_id"
            f" WHERE u.username = {sql_str(username)} AND k.idem_key = {sql_str(key)}")

    def assertCreated(self, r, replayed=False):
        """A 201 with its Location and ETag; the body with plain floats."""
        self.assertJsonResponse(r, 201)
        body = json.loads(r.body)
        self.assertEqual(r.header("Location"), f"/products/{body['id']}", r)
        self.assertEqual(r.header("ETag"), '"1"', r)
        if replayed:
            self.assertEqual(r.header(REPLAYED), "true", r)
        else:
            self.assertIsNone(r.header(REPLAYED), r)
        return body

    def assertSameAnswer(self, first, again):
        self.assertEqual(again.status, first.status, again)
        self.assertEqual(again.body, first.body)     # byte for byte
        for h in ("Location", "ETag", "Content-Type"):
            self.assertEqual(again.header(h), first.header(h), h)


class ReplayTests(IdempotencyCase):

    def test_a_repeat_gets_the_first_answer_and_creates_nothing(self):
        name, key = self.unique("Laptop"), self.unique()
        body = body_of(name, 1200.99, 10, "Gaming laptop")
        first = self.post(body, key)
        created = self.assertCreated(first)
        self.assertEqual(created, dict(body, id=created["id"]))
        for _ in range(3):
            again = self.post(body, key)
            self.assertCreated(again, replayed=True)
            self.assertSameAnswer(first, again)
        self.assertEqual(self.products_named(name), 1)
        self.assertEqual(self.history_of(created["id"]), ["create"])
        self.assertEqual(self.history_named(name), 1)
        rows = self.key_rows(key)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], str(created["id"]))

    def test_the_same_body_written_differently_is_the_same_request(self):
        name, key = self.unique("Same"), self.unique()
        first = self.post(None, key, raw=json.dumps(
            {"name": name, "price": 1.5, "quantity": 2}))
        created = self.assertCreated(first)
        # key order, white space, 1.5 as 1.50 and 15e-1, quantity 2 as 2.0,
        # an absent description as "": the same product, so the same request
        for raw in ('{ "quantity" : 2.0 ,\n "price": 1.50, "name": %s }',
                    '{"name":%s,"price":15e-1,"quantity":2,"description":""}'):
            with self.subTest(raw=raw):
                again = self.post(None, key, raw=raw % json.dumps(name))
                self.assertCreated(again, replayed=True)
                self.assertSameAnswer(first, again)
        self.assertEqual(self.products_named(name), 1)
        self.assertEqual(created["price"], 1.5)

    def test_the_key_with_another_body_is_422_and_creates_nothing(self):
        name, key = self.unique("Orig"), self.unique()
        body = body_of(name, 10, 1, "first")
        created = self.assertCreated(self.post(body, key))
        products, history = self.db.count("products"), self.db.count("product_history")
        for change in ({"name": name + "x"}, {"price": 10.01}, {"quantity": 2},
                       {"description": "first "}, {"description": None}):
            with self.subTest(change=change):
                other = dict(body, **change)
                if other["description"] is None:
                    del other["description"]
                r = self.post(other, key)
                err = self.assertError(r, 422, "idempotency_key_reused")
                self.assertEqual(set(err), {"message", "error"})
                self.assertIsNone(r.header(REPLAYED), r)
                self.assertIsNone(r.header("Location"), r)
        self.assertEqual(self.db.count("products"), products)
        self.assertEqual(self.db.count("product_history"), history)
        # the first request still replays
        self.assertEqual(self.assertCreated(self.post(body, key), replayed=True), created)

    def test_without_the_header_every_post_creates(self):
        name = self.unique("Plain")
        keys_before = self.db.count("idempotency_keys")
        ids = {self.assertCreated(self.post(body_of(name)))["id"] for _ in range(2)}
        self.assertEqual(len(ids), 2)
        self.assertEqual(self.products_named(name), 2)
        self.assertEqual(self.db.count("idempotency_keys"), keys_before)

    def test_keys_are_per_user_and_compared_byte_for_byte(self):
        other = self.enrolled_user()
        name, key = self.unique("Shared"), self.unique()
        body = body_of(name)
        a = self.assertCreated(self.post(body, key))
        b = self.assertCreated(self.post(body, key, user=other))     # independent
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(self.assertCreated(self.post(body, key, user=other), replayed=True), b)
        self.assertEqual(self.assertCreated(self.post(body, key), replayed=True), a)
        # another user's key with another body: theirs, not a reuse of ours
        c = self.assertCreated(self.post(body_of(name, 99), key + "-x", user=other))
        self.assertEqual(self.assertError(self.post(body, key + "-x", user=other), 422,
                                          "idempotency_key_reused")["error"],
                         "idempotency_key_reused")
        self.assertCreated(self.post(body, key + "-x"))              # ours is free
        # case matters: "K" is not "k"
        self.assertCreated(self.post(body, key.upper()))
        self.assertEqual(self.products_named(name), 5)
        self.assertNotEqual(c["id"], a["id"])

    def test_a_refused_body_does_not_use_the_key(self):
        name, key = self.unique("Later"), self.unique()
        r = self.post({"name": name, "price": "12.50", "quantity": 1}, key)
        self.assertValidation(r, "price")
        r = self.post(None, key, raw='{"name": "x", ')
        self.assertError(r, 400, "invalid_json")
        self.assertEqual(self.key_rows(key), [])
        self.assertCreated(self.post(body_of(name), key))

    def test_the_first_answer_stands_after_an_update_and_a_delete(self):
        name, key = self.unique("Changes"), self.unique()
        body = body_of(name, 5, 5, "as created")
        first = self.post(body, key)
        pid = self.assertCreated(first)["id"]
        r = self.req("PUT", f"/products/{pid}", headers=self.user.auth,
                     json_body={"name": "renamed", "quantity": 1})
        self.assertEqual(r.header("ETag"), '"2"')
        again = self.post(body, key)
        self.assertCreated(again, replayed=True)
        self.assertSameAnswer(first, again)
        self.assertJsonResponse(self.req("DELETE", f"/products/{pid}", headers=self.user.auth),
                                200)
        again = self.post(body, key)
        self.assertCreated(again, replayed=True)
        self.assertSameAnswer(first, again)
        self.assertEqual(self.history_of(pid), ["create", "update", "delete"])
        self.assertEqual(self.db.count("products", f"id = {int(pid)}"), 0)

    def test_text_is_replayed_byte_for_byte(self):
        key = self.unique()
        name = self.unique('Q "quoted" \\ caf\u00e9 \U0001F600 \u2028')
        body = body_of(name, 99999999.99, 2147483647, "tab\there\nnewline  " + "\u00e9" * 1980)
        first = self.post(body, key)
        created = self.assertCreated(first)
        self.assertEqual(created, dict(body, id=created["id"]))
        again = self.post(body, key)
        self.assertSameAnswer(first, again)
        r = self.post(dict(body, price=0), key)
        self.assertError(r, 422, "idempotency_key_reused")

    def test_another_instance_replays_the_key(self):
        b = self.spawn_server()
        name, key = self.unique("Elsewhere"), self.unique()
        first = self.post(body_of(name), key)
        self.assertCreated(first)
        again = self.post(body_of(name), key, srv=b)
        self.assertCreated(again, replayed=True)
        self.assertSameAnswer(first, again)
        self.assertError(self.post(body_of(name, 1), key, srv=b), 422, "idempotency_key_reused")
        self.assertEqual(self.products_named(name), 1)


class KeyFormatTests(IdempotencyCase):

    def raw_post(self, key_bytes, body):
        """POST /products with an Idempotency-Key of arbitrary bytes."""
        data = json.dumps(body).encode()
        head = (b"POST /products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Authorization: Bearer " + self.user.token.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: " +
                str(len(data)).encode() + b"\r\nIdempotency-Key: " + key_bytes + b"\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=20) as s:
            s.sendall(head + data)
            resp = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                resp += chunk
        status = int(resp.split(b" ", 2)[1])
        return status, resp.split(b"\r\n\r\n", 1)[1]

    def test_malformed_keys_are_400_and_create_nothing(self):
        name = self.unique("Bad")
        cases = {
            "empty": b"",
            "256 characters": b"k" * 256,
            "control character": b"ab\x01cd",
            "tab inside": b"ab\tcd",
            "DEL": b"ab\x7fcd",
            "non-ASCII (UTF-8)": "caf\u00e9".encode(),
            "non-ASCII (Latin-1)": b"caf\xe9",
        }
        for what, key in cases.items():
            with self.subTest(key=what):
                status, body = self.raw_post(key, body_of(name))
                self.assertEqual(status, 400, (what, body))
                err = json.loads(body)
                # CivetWeb refuses a header value with a control character
                # itself, before any route: its 400 is bad_request
                want = ("bad_request" if any(c < 0x20 or c == 0x7f for c in key)
                        else "invalid_idempotency_key")
                self.assertEqual(err["error"], want, body)
                self.assertIsInstance(err["message"], str)
                self.assertEqual(set(err), {"message", "error"})
        self.assertEqual(self.products_named(name), 0)
        self.assertEqual(self.history_named(name), 0)
        # the same through http.client, as a client library would send them
        for key in ("", "x" * 256):
            r = self.post(body_of(name), key)
            self.assertError(r, 400, "invalid_idempotency_key")
        self.assertEqual(self.products_named(name), 0)

    def test_the_bounds_are_accepted(self):
        name = self.unique("Bounds")
        for key in ("k", "K" * 255, " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}" + self.unique(),
                    "a b" + self.unique()):
            with self.subTest(key=key[:20]):
                status, body = self.raw_post(key.encode(), body_of(name))
                self.assertEqual(status, 201, body)
                status2, body2 = self.raw_post(key.encode(), body_of(name))
                self.assertEqual((status2, body2), (201, body))
        self.assertEqual(self.products_named(name), 4)

    def test_white_space_around_the_key_is_not_part_of_it(self):
        name, key = self.unique("Padded"), self.unique()
        status, first = self.raw_post(key.encode(), body_of(name))
        self.assertEqual(status, 201, first)
        for padded in (b"  " + key.encode(), key.encode() + b"   ", b" " + key.encode() + b" "):
            with self.subTest(key=padded):
                status, body = self.raw_post(padded, body_of(name))
                self.assertEqual((status, body), (201, first))
        self.assertEqual(self.products_named(name), 1)
        self.assertEqual(len(self.key_rows(key)), 1)
        status, body = self.raw_post(b"   ", body_of(name))
        self.assertEqual(status, 400, body)

    def test_the_header_is_checked_before_the_body(self):
        r = self.post(None, "", raw="not json")
        self.assertError(r, 400, "invalid_idempotency_key")


class ExpiryTests(IdempotencyCase):

    def age(self, key, minutes, username=None):
        """Make the key's row `minutes` old (INTERVAL rounds a fractional
        HOUR to a whole one: 23.9 would be 24)."""
        username = username or self.user.username
        self.db.sql(
            "UPDATE idempotency_keys SET created_at = NOW(3) - INTERVAL "
            f"{int(minutes)} MINUTE WHERE idem_key = {sql_str(key)} AND user_id = "
            f"(SELECT id FROM users WHERE username = {sql_str(username)})")

    def test_a_key_counts_for_24_hours(self):
        name, key = self.unique("Aging"), self.unique()
        first = self.assertCreated(self.post(body_of(name), key))
        self.age(key, 24 * 60 - 2)
        self.assertEqual(self.assertCreated(self.post(body_of(name), key), replayed=True),
                         first)
        self.assertError(self.post(body_of(name, 1), key), 422, "idempotency_key_reused")
        self.age(key, 24 * 60 + 1)
        second = self.assertCreated(self.post(body_of(name), key))     # a new product
        self.assertNotEqual(second["id"], first["id"])
        self.assertEqual(self.key_rows(key)[0][0], str(second["id"]))
        self.assertEqual(self.assertCreated(self.post(body_of(name), key), replayed=True),
                         second)
        # an expired key is free for another body too
        self.age(key, 25 * 60)
        third = self.assertCreated(self.post(body_of(name, 7), key))
        self.assertEqual(self.products_named(name), 3)
        self.assertEqual(self.history_named(name), 3)
        self.assertEqual(len(self.key_rows(key)), 1)
        self.assertEqual(self.key_rows(key)[0][0], str(third["id"]))

    def old_rows(self, uid, keys):
        values = ",".join(
            f"({uid}, {sql_str(k)}, UNHEX(SHA2({sql_str(k)}, 256)), 1, 'old', '', 1.00, 1,"
            " NOW(3) - INTERVAL 25 HOUR)" for k in keys)
        self.db.sql("INSERT INTO idempotency_keys (user_id, idem_key, request_hash, product_id,"
                    f" name, description, price, quantity, created_at) VALUES {values}")

    def test_keyed_creates_purge_expired_rows_a_batch_at_a_time(self):
        uid = int(self.db.scalar(
            f"SELECT id FROM users WHERE username = {sql_str(self.user.username)}"))
        self.old_rows(uid, [f"old-{i}" for i in range(150)])
        fresh_name, fresh = self.unique("P"), self.unique()
        self.assertCreated(self.post(body_of(fresh_name), fresh))
        self.assertEqual(self.db.count("idempotency_keys", "idem_key LIKE 'old-%'"), 50)
        self.assertCreated(self.post(body_of(self.unique("P")), self.unique()))
        self.assertEqual(self.db.count("idempotency_keys", "idem_key LIKE 'old-%'"), 0)
        self.assertEqual(len(self.key_rows(fresh)), 1)
        # a replay, a create without a key and a refused request purge nothing
        self.old_rows(uid, ["old-x"])
        self.assertCreated(self.post(body_of(fresh_name), fresh), replayed=True)
        self.assertCreated(self.post(body_of(self.unique("P"))))
        self.assertError(self.post(body_of("other"), fresh), 422, "idempotency_key_reused")
        self.assertEqual(self.db.count("idempotency_keys", "idem_key = 'old-x'"), 1)


class RaceTests(IdempotencyCase):

    def race(self, bodies, key, n):
        barrier = threading.Barrier(n)

        def shoot(i):
            barrier.wait()
            return self.post(bodies[i % len(bodies)], key)
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            return list(ex.map(shoot, range(n)))

    def test_parallel_identical_requests_create_one_product(self):
        for rep in range(3):
            with self.subTest(rep=rep):
                name, key = self.unique("Race"), self.unique()
                results = self.race([body_of(name)], key, 10)
                for r in results:
                    self.assertEqual(r.status, 201, r)
                ids = {r.json()["id"] for r in results}
                self.assertEqual(len(ids), 1, results)
                self.assertEqual(len({r.body for r in results}), 1)
                self.assertEqual([r.header(REPLAYED) for r in results].count(None), 1,
                                 "exactly one answer is the creating one")
                self.assertEqual(self.products_named(name), 1)
                self.assertEqual(self.history_named(name), 1)
                self.assertEqual(len(self.key_rows(key)), 1)
        # the losers waited for the winner's key and answered from it: no
        # deadlock ran out of retries, no unexpected database error
        self.assertNotIn("db: error", self.server.stderr())

    def test_parallel_requests_with_different_bodies_one_wins(self):
        name, key = self.unique("RaceDiff"), self.unique()
        bodies = [body_of(name, price=i + 1) for i in range(10)]
        results = self.race(bodies, key, 10)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [201] + [422] * 9, results)
        self.assertEqual(self.products_named(name), 1)
        self.assertEqual(self.history_named(name), 1)


class AccountDeletionTests(IdempotencyCase):

    def test_deleting_the_account_deletes_its_keys(self):
        u = self.enrolled_user()
        name, key = self.unique("Gone"), self.unique()
        first = self.assertCreated(self.post(body_of(name), key, user=u))
        self.assertEqual(len(self.key_rows(key, u.username)), 1)
        uid = self.db.scalar(f"SELECT id FROM users WHERE username = {sql_str(u.username)}")
        code = u.token_body["recovery_codes"][0]
        r = self.req("DELETE", "/account", headers=u.auth,
                     json_body={"password": u.password, "code": code})
        self.assertEqual(self.assertJsonResponse(r, 200), {"message": "Account deleted"})
        self.assertEqual(self.db.count("idempotency_keys", f"user_id = {int(uid)}"), 0)
        # the name signed up again sees nothing of the old account's keys
        again = self.enrolled_user(username=u.username)
        second = self.assertCreated(self.post(body_of(name), key, user=again))
        self.assertNotEqual(second["id"], first["id"])
        self.assertEqual(self.products_named(name), 2)

    def test_the_routine_answers_no_user_for_a_name_that_is_gone(self):
        rows = self.db.sql("CALL product_create_idem_v1('x', '', '1.00', 1, 'nobody-here', "
                           "'k', UNHEX(SHA2('k', 256)))")
        self.assertEqual(rows, [["3", None, None, None, None, None]])
        self.assertEqual(self.db.count("products", "name = 'x'"), 0)


if __name__ == "__main__":
    harness.main()
