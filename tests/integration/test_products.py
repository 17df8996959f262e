"""The product routes against a real server and database: SPEC §2 and §6."""

import os
import re
import sys
import urllib.parse
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase  # noqa: E402

LAPTOP = {"name": "Laptop", "description": "Gaming laptop", "price": 1200.99, "quantity": 10}
PRODUCT_KEYS = {"id", "name", "description", "price", "quantity"}
BAD_IDS = ("0", "-1", "abc", "1.5", "99999999999999999999", "1e3", "%201", "0x10")


class ProductTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one enrolled user per class (unittest needs an instance to assert with)
        cls.user = cls("run").enrolled_user()

    # -- helpers --------------------------------------------------------------

    def call(self, method, path, obj=harness._NO_JSON, headers=None, raw=None):
        h = dict(self.user.auth)
        h.update(headers or {})
        if raw is not None:
            return self.req(method, path, headers=h, body=raw)
        if obj is harness._NO_JSON:
            return self.req(method, path, headers=h)
        return self.req(method, path, headers=h, json_body=obj)

    def create(self, obj=None, raw=None):
        r = self.call("POST", "/products", obj if obj is not None else dict(LAPTOP),
                      raw=raw, headers={"Content-Type": "application/json"} if raw else None)
        body = self.assertJsonResponse(r, 201)
        self.assertEqual(set(body), PRODUCT_KEYS, r)
        return body, r

    def row(self, pid):
        rows = self.db.sql("SELECT name, description, price, quantity, version FROM products "
                           f"WHERE id = {int(pid)}")
        if not rows:
            return None
        self.assertEqual(len(rows), 1)
        name, desc, price, qty, version = rows[0]
        return {"name": name, "description": desc, "price": Decimal(price),
                "quantity": int(qty), "version": int(version)}

    def assertProduct(self, body, expected):
        """body equals expected exactly (prices compared as decimals)."""
        self.assertEqual(set(body), PRODUCT_KEYS, body)
        exp = dict(expected)
        exp["price"] = Decimal(str(exp["price"]))
        got = dict(body)
        self.assertNotIsInstance(got["price"], (str, bool), body)
        self.assertIsInstance(got["price"], (Decimal, int), body)
        got["price"] = Decimal(got["price"])
        self.assertIs(type(got["quantity"]), int, body)
        self.assertIs(type(got["id"]), int, body)
        self.assertEqual(got, exp)


class ProductCrudTests(ProductTestCase):

    # -- create ---------------------------------------------------------------

    def test_create_returns_201_product_location_and_etag(self):
        body, r = self.create()
        pid = body["id"]
        self.assertGreater(pid, 0)
        self.assertProduct(body, dict(LAPTOP, id=pid))
        loc = urllib.parse.urlsplit(r.header("Location") or "")
        self.assertEqual((loc.path, loc.query), (f"/products/{pid}", ""), r)
        self.assertEqual(r.header("ETag"), '"1"')
        self.assertEqual(self.row(pid), {"name": "Laptop", "description": "Gaming laptop",
                                         "price": Decimal("1200.99"), "quantity": 10,
                                         "version": 1})

    def test_price_is_exact_in_response_body_and_database(self):
        for text in ("1200.99", "0.1", "0.01", "0", "5", "1100.50", "99999999.99", "12345678.91",
                     "0.29", "1.15"):
            with self.subTest(price=text):
                raw = '{"name": "p", "price": %s, "quantity": 1}' % text
                body, r = self.create(raw=raw)
                self.assertEqual(Decimal(body["price"]), Decimal(text))
                self.assertEqual(self.row(body["id"])["price"], Decimal(text))
                self.assertEqual(self.db.scalar(
                    f"SELECT price = {text} FROM products WHERE id = {body['id']}"), "1")
                got = self.call("GET", f"/products/{body['id']}")
                self.assertEqual(Decimal(self.assertJsonResponse(got, 200)["price"]),
                                 Decimal(text))
        # the literal text, not a binary float's approximation
        body, r = self.create()
        self.assertRegex(r.body, rb'"price"\s*:\s*1200\.99(0*)\s*[,}]')

    def test_description_defaults_to_empty_string(self):
        body, _ = self.create({"name": "Mouse", "price": 10, "quantity": 3})
        self.assertProduct(body, {"id": body["id"], "name": "Mouse", "description": "",
                                  "price": 10, "quantity": 3})
        self.assertEqual(self.row(body["id"])["description"], "")

    def test_text_round_trips_exactly(self):
        texts = ["Caf\u00e9 \u00fcber \u65e5\u672c \U0001F4E6", 'quote " and \\ backslash',
                 "line\nbreak\ttab", "Robert'); DROP TABLE products;--", "<b>&amp;</b>",
                 "  padded  "]
        for t in texts:
            with self.subTest(text=t):
                body, _ = self.create({"name": t, "description": t, "price": 1, "quantity": 1})
                self.assertEqual((body["name"], body["description"]), (t, t))
                row = self.row(body["id"])
                self.assertEqual((row["name"], row["description"]), (t, t))
                got = self.assertJsonResponse(self.call("GET", f"/products/{body['id']}"), 200)
                self.assertEqual((got["name"], got["description"]), (t, t))
        self.assertGreater(self.db.count("products"), 0)

    def test_name_and_description_length_bounds_count_characters(self):
        for name, desc in (("a", ""), ("n" * 255, "d" * 2000),
                           ("\u00e9" * 255, "\u00e9" * 2000), ("\U0001F4E6" * 255, "")):
            with self.subTest(name_len=len(name), desc_len=len(desc)):
                body, _ = self.create({"name": name, "description": desc, "price": 1,
                                       "quantity": 1})
                self.assertEqual((body["name"], body["description"]), (name, desc))
                self.assertEqual(self.row(body["id"])["name"], name)

    def test_quantity_bounds_are_accepted(self):
        for q in (0, 2147483647):
            with self.subTest(quantity=q):
                body, _ = self.create({"name": "q", "price": 1, "quantity": q})
                self.assertEqual(body["quantity"], q)
                self.assertEqual(self.row(body["id"])["quantity"], q)

    def test_integral_float_quantity_if_accepted_is_stored_as_integer(self):
        before = self.db.count("products")
        r = self.call("POST", "/products", raw='{"name": "f", "price": 1, "quantity": 10.0}',
                      headers={"Content-Type": "application/json"})
        if r.status == 201:
            body = self.assertJsonResponse(r, 201)
            self.assertEqual(body["quantity"], 10)
            self.assertIs(type(body["quantity"]), int)
            self.assertEqual(self.row(body["id"])["quantity"], 10)
        else:
            self.assertValidation(r, "quantity")
            self.assertEqual(self.db.count("products"), before)

    # -- create: refused ------------------------------------------------------

    def assertCreateRefused(self, raw, field=None, status=400, code="validation_failed",
                            content_type="application/json"):
        before = self.db.count("products")
        headers = {"Content-Type": content_type} if content_type else {}
        r = self.call("POST", "/products", raw=raw, headers=headers)
        if field is not None:
            self.assertValidation(r, field)
        else:
            self.assertError(r, status, code)
        self.assertEqual(self.db.count("products"), before, f"a row was stored after {r!r}")

    def test_invalid_fields_are_400_and_nothing_is_stored(self):
        ok = {"name": '"n"', "description": '"d"', "price": "1", "quantity": "1"}
        cases = {
            "name": ['""', '"   "', '"\\t\\n "', '"%s"' % ("x" * 256), "123", "null", "true",
                     '["a"]'],
            "description": ['"%s"' % ("x" * 2001), "5", "[]"],
            "price": ['"1200.99"', "true", "-0.01", "-1", "100000000", "99999999.991",
                      "1.005", "1e400", "-1e400", "null", "[]", '{"v": 1}', "100000000.00"],
            "quantity": ["1.5", '"10"', "true", "-1", "2147483648", "null", "1e400",
                         "9999999999999999999999", "[]"],
        }
        for field, values in cases.items():
            for v in values:
                with self.subTest(field=field, value=v[:30]):
                    fields = dict(ok, **{field: v})
                    raw = "{" + ", ".join(f'"{k}": {val}' for k, val in fields.items()) + "}"
                    self.assertCreateRefused(raw, field=field)
        for field, v in (("name", '"a\\u0000b"'), ("name", '"\\ud800"'),
                         ("description", '"x\\u0000"'), ("description", '"\\udc00x"')):
            with self.subTest(field=field, value=v):
                fields = dict(ok, **{field: v})
                raw = "{" + ", ".join(f'"{k}": {val}' for k, val in fields.items()) + "}"
                before = self.db.count("products")
                r = self.call("POST", "/products", raw=raw,
                              headers={"Content-Type": "application/json"})
                self.assertBadText(r, field)
                self.assertEqual(self.db.count("products"), before)

    def test_missing_required_fields_are_400(self):
        for field in ("name", "price", "quantity"):
            with self.subTest(missing=field):
                obj = {"name": "n", "price": 1, "quantity": 1}
                del obj[field]
                before = self.db.count("products")
                self.assertValidation(self.call("POST", "/products", obj), field)
                self.assertEqual(self.db.count("products"), before)

    def test_unknown_field_is_400(self):
        before = self.db.count("products")
        r = self.call("POST", "/products", dict(LAPTOP, color="red"))
        self.assertValidation(r, "color")
        r = self.call("POST", "/products", dict(LAPTOP, id=77))
        self.assertValidation(r, "id")
        self.assertEqual(self.db.count("products"), before)

    def test_request_format_errors(self):
        good = '{"name": "n", "price": 1, "quantity": 1}'
        self.assertCreateRefused(good, status=415, code="unsupported_media_type",
                                 content_type="text/plain")
        self.assertCreateRefused(good, status=415, code="unsupported_media_type",
                                 content_type=None)
        self.assertCreateRefused('{"name": "n", "price": 1, ', status=400, code="invalid_json")
        self.assertCreateRefused("[" + good + "]", status=400, code="invalid_json")
        self.assertCreateRefused('"just a string"', status=400, code="invalid_json")
        big = '{"name": "n", "price": 1, "quantity": 1, "description": "%s"}' % ("d" * 71680)
        self.assertCreateRefused(big, status=413, code="payload_too_large")
        before = self.db.count("products")
        r = self.call("POST", "/products", raw=b'{"name": "\xc3\x28", "price": 1, "quantity": 1}',
                      headers={"Content-Type": "application/json"})
        self.assertBadText(r, "name")
        self.assertEqual(self.db.count("products"), before)
        body, _ = self.create(raw=good)  # and charset parameters are fine
        r = self.call("POST", "/products", raw=good,
                      headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertJsonResponse(r, 201)

    # -- read -------------------------------------------------------------------

    def test_list_is_json_array_ordered_by_id(self):
        a, _ = self.create({"name": "A", "price": 1.5, "quantity": 1})
        b, _ = self.create({"name": "B", "description": "bee", "price": 2.25, "quantity": 2})
        r = self.call("GET", "/products")
        items = self.assertJsonResponse(r, 200)
        self.assertIsInstance(items, list)
        ids = [p["id"] for p in items]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(items), self.db.count("products"))
        by_id = {p["id"]: p for p in items}
        self.assertProduct(by_id[a["id"]], {"id": a["id"], "name": "A", "description": "",
                                            "price": "1.5", "quantity": 1})
        self.assertProduct(by_id[b["id"]], {"id": b["id"], "name": "B", "description": "bee",
                                            "price": "2.25", "quantity": 2})

    def test_get_one_returns_product_with_etag(self):
        created, _ = self.create()
        r = self.call("GET", f"/products/{created['id']}")
        self.assertProduct(self.assertJsonResponse(r, 200), dict(LAPTOP, id=created["id"]))
        self.assertEqual(r.header("ETag"), '"1"')

    def test_ids_that_are_not_positive_integers_are_404(self):
        created, _ = self.create()
        for bad in BAD_IDS:
            for method, obj in (("GET", harness._NO_JSON), ("PUT", {"quantity": 1}),
                                ("PATCH", {"quantity": 1}), ("DELETE", harness._NO_JSON),
                                ("GET-history", harness._NO_JSON)):
                path = f"/products/{bad}" + ("/history" if method == "GET-history" else "")
                with self.subTest(method=method, id=bad):
                    r = self.call(method.split("-")[0], path, obj)
                    self.assertError(r, 404, "not_found")
        self.assertEqual(self.row(created["id"])["quantity"], 10)

    def test_missing_product_is_404_on_every_route(self):
        missing = int(self.db.scalar("SELECT COALESCE(MAX(id), 0) + 1000 FROM products"))
        for method, obj in (("GET", harness._NO_JSON), ("PUT", {"quantity": 1}),
                            ("PATCH", {"quantity": 1}), ("DELETE", harness._NO_JSON)):
            with self.subTest(method=method):
                self.assertError(self.call(method, f"/products/{missing}", obj), 404,
                                 "not_found")
        self.assertError(self.call("GET", f"/products/{missing}/history"), 404, "not_found")
        self.assertEqual(self.db.count("products", f"id = {missing}"), 0)

    # -- update -----------------------------------------------------------------

    def test_put_partial_update_changes_only_sent_fields(self):
        created, _ = self.create()
        pid = created["id"]
        r = self.call("PUT", f"/products/{pid}", raw='{"price": 1100.50, "quantity": 5}',
                      headers={"Content-Type": "application/json"})
        body = self.assertJsonResponse(r, 200)
        expected = {"id": pid, "name": "Laptop", "description": "Gaming laptop",
                    "price": "1100.50", "quantity": 5}
        self.assertProduct(body, expected)
        self.assertEqual(r.header("ETag"), '"2"')
        self.assertEqual(self.row(pid), {"name": "Laptop", "description": "Gaming laptop",
                                         "price": Decimal("1100.50"), "quantity": 5,
                                         "version": 2})
        got = self.call("GET", f"/products/{pid}")
        self.assertProduct(self.assertJsonResponse(got, 200), expected)
        self.assertEqual(got.header("ETag"), '"2"')

    def test_patch_partial_update_changes_only_sent_fields(self):
        created, _ = self.create()
        pid = created["id"]
        r = self.call("PATCH", f"/products/{pid}", {"description": "Now with RGB"})
        self.assertProduct(self.assertJsonResponse(r, 200),
                           dict(LAPTOP, id=pid, description="Now with RGB"))
        self.assertEqual(r.header("ETag"), '"2"')
        r = self.call("PATCH", f"/products/{pid}", {"name": "Laptop Pro"})
        self.assertProduct(self.assertJsonResponse(r, 200),
                           dict(LAPTOP, id=pid, name="Laptop Pro", description="Now with RGB"))
        self.assertEqual(r.header("ETag"), '"3"')
        self.assertEqual(self.row(pid)["version"], 3)

    def test_each_field_can_be_updated_alone(self):
        created, _ = self.create()
        pid = created["id"]
        current = dict(LAPTOP, id=pid)
        for change in ({"name": "N2"}, {"description": ""}, {"price": 0.5}, {"quantity": 0},
                       {"price": 99999999.99}, {"quantity": 2147483647}):
            with self.subTest(change=change):
                current.update(change)
                r = self.call("PUT", f"/products/{pid}", change)
                self.assertProduct(self.assertJsonResponse(r, 200), current)
                row = self.row(pid)
                self.assertEqual(row["price"], Decimal(str(current["price"])))
                self.assertEqual((row["name"], row["description"], row["quantity"]),
                                 (current["name"], current["description"], current["quantity"]))

    def test_empty_update_is_400_and_row_unchanged(self):
        created, _ = self.create()
        pid = created["id"]
        for method in ("PUT", "PATCH"):
            with self.subTest(method=method):
                self.assertError(self.call(method, f"/products/{pid}", {}), 400,
                                 "validation_failed")
        self.assertEqual(self.row(pid)["version"], 1)

    def test_invalid_update_is_400_and_row_unchanged(self):
        created, _ = self.create()
        pid = created["id"]
        before = self.row(pid)
        for method in ("PUT", "PATCH"):
            for obj, field in (({"price": "1100.50"}, "price"), ({"name": ""}, "name"),
                               ({"name": None}, "name"), ({"quantity": 1.5}, "quantity"),
                               ({"quantity": -1}, "quantity"), ({"price": 1.001}, "price"),
                               ({"description": "x" * 2001}, "description"),
                               ({"price": 5, "colour": "red"}, "colour"),
                               ({"quantity": 3, "name": "   "}, "name")):
                with self.subTest(method=method, body=str(obj)[:40]):
                    self.assertValidation(self.call(method, f"/products/{pid}", obj), field)
                    self.assertEqual(self.row(pid), before)
        r = self.call("PUT", f"/products/{pid}", raw='{"price": 1', headers={
            "Content-Type": "application/json"})
        self.assertError(r, 400, "invalid_json")
        r = self.call("PUT", f"/products/{pid}", raw='{"price": 1}', headers={
            "Content-Type": "text/plain"})
        self.assertError(r, 415, "unsupported_media_type")
        self.assertEqual(self.row(pid), before)

    def test_stale_if_match_is_412_and_nothing_changes(self):
        created, _ = self.create()
        pid = created["id"]
        r = self.call("PUT", f"/products/{pid}", {"quantity": 7}, headers={"If-Match": '"1"'})
        self.assertJsonResponse(r, 200)
        self.assertEqual(r.header("ETag"), '"2"')
        before = self.row(pid)
        for method, obj in (("PUT", {"quantity": 99}), ("PATCH", {"name": "lost update"}),
                            ("DELETE", harness._NO_JSON)):
            with self.subTest(method=method):
                r = self.call(method, f"/products/{pid}", obj, headers={"If-Match": '"1"'})
                self.assertError(r, 412, "precondition_failed")
                self.assertEqual(self.row(pid), before)
        got = self.call("GET", f"/products/{pid}")
        self.assertEqual(self.assertJsonResponse(got, 200)["quantity"], 7)
        self.assertEqual(got.header("ETag"), '"2"')

    def test_current_if_match_is_accepted(self):
        created, _ = self.create()
        pid = created["id"]
        r = self.call("PATCH", f"/products/{pid}", {"quantity": 1}, headers={"If-Match": '"1"'})
        self.assertEqual(self.assertJsonResponse(r, 200)["quantity"], 1)
        r = self.call("PUT", f"/products/{pid}", {"quantity": 2}, headers={"If-Match": '"2"'})
        self.assertEqual(self.assertJsonResponse(r, 200)["quantity"], 2)
        self.assertEqual(r.header("ETag"), '"3"')
        r = self.call("DELETE", f"/products/{pid}", headers={"If-Match": '"3"'})
        self.assertEqual(self.assertJsonResponse(r, 200),
                         {"message": "Product deleted successfully"})
        self.assertIsNone(self.row(pid))

    def test_a_weak_if_match_never_matches(self):
        """If-Match compares strongly (RFC 9110 13.1.1): W/"1" is not "1"."""
        created, _ = self.create()
        pid = created["id"]
        for method, body in (("PATCH", {"quantity": 1}), ("PUT", {"quantity": 1}),
                             ("DELETE", harness._NO_JSON)):
            with self.subTest(method=method):
                r = self.call(method, f"/products/{pid}", body, headers={"If-Match": 'W/"1"'})
                self.assertError(r, 412, "precondition_failed")
        self.assertEqual(self.row(pid)["quantity"], created["quantity"])

    def test_without_if_match_last_write_wins(self):
        created, _ = self.create()
        pid = created["id"]
        for q in (11, 12, 13):
            r = self.call("PUT", f"/products/{pid}", {"quantity": q})
            self.assertEqual(self.assertJsonResponse(r, 200)["quantity"], q)
        self.assertEqual(self.row(pid), {"name": "Laptop", "description": "Gaming laptop",
                                         "price": Decimal("1200.99"), "quantity": 13,
                                         "version": 4})

    # -- delete -------------------------------------------------------------------

    def test_delete_removes_product_and_then_it_is_404(self):
        created, _ = self.create()
        pid = created["id"]
        r = self.call("DELETE", f"/products/{pid}")
        self.assertEqual(self.assertJsonResponse(r, 200),
                         {"message": "Product deleted successfully"})
        self.assertIsNone(self.row(pid))
        self.assertError(self.call("GET", f"/products/{pid}"), 404, "not_found")
        self.assertError(self.call("PUT", f"/products/{pid}", {"quantity": 1}), 404, "not_found")
        self.assertError(self.call("DELETE", f"/products/{pid}"), 404, "not_found")
        items = self.assertJsonResponse(self.call("GET", "/products"), 200)
        self.assertNotIn(pid, [p["id"] for p in items])

    # -- history --------------------------------------------------------------------

    def test_history_has_one_entry_per_write_oldest_first_and_survives_delete(self):
        created, _ = self.create()
        pid = created["id"]
        self.assertJsonResponse(self.call("PUT", f"/products/{pid}",
                                          {"price": 1100.50, "quantity": 5}), 200)
        # refused writes leave no trace
        self.assertValidation(self.call("PUT", f"/products/{pid}", {"price": "x"}), "price")
        self.assertError(self.call("PATCH", f"/products/{pid}", {"quantity": 1},
                                   headers={"If-Match": '"1"'}), 412, "precondition_failed")
        self.assertJsonResponse(self.call("PATCH", f"/products/{pid}", {"name": "Renamed"}), 200)
        self.assertJsonResponse(self.call("DELETE", f"/products/{pid}"), 200)

        r = self.call("GET", f"/products/{pid}/history")
        entries = self.assertJsonResponse(r, 200)
        self.assertIsInstance(entries, list)
        self.assertEqual([e.get("action") for e in entries],
                         ["create", "update", "update", "delete"], entries)
        for e in entries:
            self.assertTrue({"action", "username", "at", "before", "after"} <= set(e), e)
            self.assertEqual(e["username"], self.user.username)
            self.assertIsInstance(e["at"], str)
            self.assertTrue(e["at"])
        ats = [e["at"] for e in entries]
        self.assertEqual(ats, sorted(ats))

        def fields(p):
            # numbers stay JSON numbers in the audit images ("price": "1100.50" is wrong)
            self.assertNotIsInstance(p["price"], str, p)
            self.assertNotIsInstance(p["quantity"], str, p)
            return {"name": p["name"], "description": p["description"],
                    "price": Decimal(p["price"]), "quantity": p["quantity"]}

        v1 = {"name": "Laptop", "description": "Gaming laptop", "price": Decimal("1200.99"),
              "quantity": 10}
        v2 = dict(v1, price=Decimal("1100.50"), quantity=5)
        v3 = dict(v2, name="Renamed")
        self.assertIsNone(entries[0]["before"])
        self.assertEqual(fields(entries[0]["after"]), v1)
        self.assertEqual(fields(entries[1]["before"]), v1)
        self.assertEqual(fields(entries[1]["after"]), v2)
        self.assertEqual(fields(entries[2]["before"]), v2)
        self.assertEqual(fields(entries[2]["after"]), v3)
        self.assertEqual(fields(entries[3]["before"]), v3)
        self.assertIsNone(entries[3]["after"])

    # -- methods ----------------------------------------------------------------------

    def test_wrong_methods_are_405_with_allow(self):
        created, _ = self.create()
        for method, path, must, must_not in (
                ("DELETE", "/products", {"GET", "POST"}, {"DELETE"}),
                ("PUT", "/products", {"GET", "POST"}, {"PUT"}),
                ("POST", f"/products/{created['id']}", {"GET", "PUT", "PATCH", "DELETE"},
                 {"POST"}),
                ("POST", f"/products/{created['id']}/history", {"GET"}, {"POST"})):
            with self.subTest(method=method, path=path):
                r = self.call(method, path, {} if method in ("PUT", "POST") else harness._NO_JSON)
                self.assertError(r, 405, "method_not_allowed")
                self.assertAllow(r, must, must_not)
        self.assertEqual(self.row(created["id"])["version"], 1)


class ListSizeTests(ProductTestCase):
    """GET /products goes out one of three ways by size (server/response.c,
    routes_products.c): after its head in the 8 KiB stack buffer, copied after
    its head into one heap buffer (8 to 16 KiB), or chunked as the rows come
    (over 16 KiB). Each must be the stored rows exactly, with every quote,
    backslash and control character escaped wherever it falls in the string
    (the escaping reads eight bytes at a time)."""

    # bytes that need escaping at every offset of an 8-byte word, and UTF-8
    PIECES = ['plain', '"', '\\', '\n', '\r', '\t', '\x01', '\x1f', '\x7f', 'é', '€', '𝄞',
              '"\\"', 'abcdefgh', 'abcdefg"', '\\bcdefgh']

    def seed(self, n):
        values = []
        for i in range(n):
            k = len(self.expected)
            name = f"item {k}" + self.PIECES[k % len(self.PIECES)]
            parts = [self.PIECES[(k + j) % len(self.PIECES)] + "x" * ((k + j) % 9)
                     for j in range(12)]
            desc = "".join(parts)
            price = Decimal(k) + Decimal("0.25")
            self.expected.append({"name": name, "description": desc, "price": price,
                                  "quantity": k})
            values.append("(CONVERT(X'%s' USING utf8mb4), CONVERT(X'%s' USING utf8mb4), %s, %d)"
                          % (name.encode().hex(), desc.encode().hex(), price, k))
        self.db.sql("INSERT INTO products (name, description, price, quantity) VALUES "
                    + ", ".join(values))

    def check_list(self):
        r = self.call("GET", "/products")
        items = self.assertJsonResponse(r, 200)  # strict JSON: a raw control fails here
        self.assertEqual([{k: v for k, v in p.items() if k != "id"} for p in items],
                         self.expected)
        ids = [p["id"] for p in items]
        self.assertEqual(ids, sorted(set(ids)))
        head = self.call("HEAD", "/products")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        return r, head

    def test_each_size_is_the_rows_exactly(self):
        self.expected = []
        self.seed(10)
        r, head = self.check_list()
        self.assertLess(len(r.body), 8192 - 400, "meant to fit the stack buffer with its head")
        self.assertEqual(r.header("Content-Length"), str(len(r.body)))
        self.assertEqual(head.header("Content-Length"), str(len(r.body)))

        self.seed(60)
        r, head = self.check_list()
        self.assertGreater(len(r.body), 8192, "meant to need the heap buffer")
        self.assertLess(len(r.body), 16384)
        self.assertEqual(r.header("Content-Length"), str(len(r.body)))
        self.assertIsNone(r.header("Transfer-Encoding"))
        self.assertEqual(head.header("Content-Length"), str(len(r.body)))

        self.seed(70)
        r, head = self.check_list()
        self.assertGreater(len(r.body), 16384 + 4096, "meant to be streamed")
        self.assertEqual((r.header("Transfer-Encoding") or "").lower(), "chunked")
        self.assertIsNone(r.header("Content-Length"))


class PaginationTests(ProductTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        probe = cls("run")
        cls.ids = [probe.create({"name": f"item {i}", "price": i, "quantity": i})[0]["id"]
                   for i in range(1, 6)]

    def page(self, query):
        r = self.call("GET", "/products" + query)
        items = self.assertJsonResponse(r, 200)
        self.assertIsInstance(items, list)
        return [p["id"] for p in items], r.header("Link")

    def next_of(self, link):
        m = re.fullmatch(r'<([^>]+)>\s*;\s*rel="?next"?', (link or "").strip())
        self.assertIsNotNone(m, f"bad Link header: {link!r}")
        url = urllib.parse.urlsplit(m.group(1))
        self.assertEqual(url.path, "/products")
        return url.query

    def test_unpaged_list_returns_all_in_id_order_without_link(self):
        ids, link = self.page("")
        self.assertEqual(ids, self.ids)
        self.assertIsNone(link)

    def test_limit_pages_follow_link_until_last_page(self):
        ids, link = self.page("?limit=2")
        self.assertEqual(ids, self.ids[0:2])
        q = self.next_of(link)
        self.assertEqual(urllib.parse.parse_qs(q),
                         {"limit": ["2"], "after_id": [str(self.ids[1])]})
        ids, link = self.page("?" + q)
        self.assertEqual(ids, self.ids[2:4])
        q = self.next_of(link)
        self.assertEqual(urllib.parse.parse_qs(q),
                         {"limit": ["2"], "after_id": [str(self.ids[3])]})
        ids, link = self.page("?" + q)
        self.assertEqual(ids, self.ids[4:5])
        self.assertIsNone(link)

    def test_full_last_page_has_no_link(self):
        ids, link = self.page("?limit=5")
        self.assertEqual(ids, self.ids)
        self.assertIsNone(link)
        ids, link = self.page(f"?limit=2&after_id={self.ids[2]}")
        self.assertEqual(ids, self.ids[3:5])
        self.assertIsNone(link)

    def test_after_id_alone_and_limit_bounds(self):
        ids, _ = self.page(f"?after_id={self.ids[1]}")
        self.assertEqual(ids, self.ids[2:])
        ids, _ = self.page("?after_id=0&limit=1000")
        self.assertEqual(ids, self.ids)
        ids, link = self.page(f"?limit=1&after_id={self.ids[-1]}")
        self.assertEqual((ids, link), ([], None))
        ids, link = self.page("?limit=1")
        self.assertEqual(ids, self.ids[:1])
        self.assertIsNotNone(link)

    def test_bad_paging_parameters_are_400(self):
        for q in ("limit=0", "limit=1001", "limit=abc", "limit=-1", "limit=1.5", "limit=",
                  "after_id=-1", "after_id=abc", "after_id=1.5",
                  "limit=99999999999999999999", "after_id=99999999999999999999999"):
            with self.subTest(query=q):
                self.assertError(self.call("GET", "/products?" + q), 400, "validation_failed")


if __name__ == "__main__":
    harness.main()
