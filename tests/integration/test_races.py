"""Races: rules that must hold when identical requests arrive together.

SPEC §3 (a code is accepted once; usernames are unique), §6 (If-Match makes a
write conditional) and README's design note: every rule that must hold under
concurrency is one conditional SQL statement, not a read followed by a write.

Each race is repeated REPEAT times with fresh users and products. The requests
of one round open their connections first, wait on a threading.Barrier and
then send together. Every wait is bounded (barrier, joins, HTTP timeouts).

(Throttling under parallel wrong passwords is tested in test_abuse.py.)
"""

import http.client
import json
import os
import sys
import threading
import time
from decimal import Decimal

import jwt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (ServerTestCase, current_step, hotp, new_username,  # noqa: E402
                     sql_str)

REPEAT = 20
ROUND_TIMEOUT = 30.0        # seconds for one round of parallel requests
STEP_MARGIN = 2.0           # fire a TOTP race only with this much of the step left
BUDGET = 240.0              # seconds for the whole module: about 12 s in a normal build;
                            # the rest is room for sanitizer builds on a loaded machine
_T0 = time.monotonic()


class Shot:
    """The outcome of one request of a round: a harness.Response or an error."""

    def __init__(self, index):
        self.index = index
        self.resp = None
        self.error = None

    def __repr__(self):
        return f"#{self.index}: {self.error!r}" if self.error else f"#{self.index}: {self.resp!r}"


def fire(port, requests, timeout=ROUND_TIMEOUT):
    """Send requests ([(method, path, headers, body_bytes_or_None)]) to
    127.0.0.1:port at the same moment: each thread connects, waits on a
    barrier, then sends. Returns one Shot per request, in order."""
    n = len(requests)
    barrier = threading.Barrier(n, timeout=timeout)
    shots = [Shot(i) for i in range(n)]

    def run(i):
        method, path, headers, body = requests[i]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.connect()
            barrier.wait()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            shots[i].resp = harness.Response(resp.status, resp.headers, resp.read())
        except Exception as e:  # reported by the caller
            shots[i].error = e
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout + 5
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [i for i, t in enumerate(threads) if t.is_alive()]
    if alive:
        raise AssertionError(f"requests {alive} still running after {timeout + 5:.0f}s")
    errors = [s for s in shots if s.error is not None]
    if errors:
        raise AssertionError(f"requests failed: {errors!r}")
    return shots


def json_request(method, path, obj=None, headers=None):
    h = {"Content-Type": "application/json"} if obj is not None else {}
    h.update(headers or {})
    return (method, path, h, json.dumps(obj).encode() if obj is not None else None)


def statuses(shots):
    return sorted(s.resp.status for s in shots)


class RaceTestCase(ServerTestCase):

    def setUp(self):
        spent = time.monotonic() - _T0
        self.assertLess(spent, BUDGET, f"the module has already run {spent:.0f}s")

    def error_code(self, resp):
        body = self.assertJsonResponse(resp, resp.status)
        self.assertIsInstance(body, dict, resp)
        self.assertIsInstance(body.get("message"), str, resp)
        return body.get("error")

    def only_winner(self, shots, status, what):
        """Exactly one response with `status`; returns its Shot."""
        winners = [s for s in shots if s.resp.status == status]
        self.assertEqual(len(winners), 1,
                         f"{what}: expected exactly one {status}, got {statuses(shots)}: "
                         f"{shots!r}")
        return winners[0]


# --------------------------------------------------------------------------
# /verify-2fa: the replay rule
# --------------------------------------------------------------------------

class VerifyRaceTests(RaceTestCase):
    PARALLEL = 10

    def user_row(self, username):
        rows = self.db.sql("SELECT totp_last_step, totp_enrolled, challenge_expires,"
                           " failed_logins, locked_until FROM users"
                           f" WHERE username = {sql_str(username)}")
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def test_same_right_code_in_parallel_is_accepted_once(self):
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                username, password = self.signup(new_username("vr"))
                secret = self.login_secret(username, password)
                # the code right before firing, with at least STEP_MARGIN s of its step left
                left = 30 - (time.time() % 30)
                if left < STEP_MARGIN:
                    time.sleep(left + 0.1)
                step = current_step()
                code = hotp(secret, step)
                body = {"username": username, "code": code}
                shots = fire(self.server.port,
                             [json_request("POST", "/verify-2fa", body)] * self.PARALLEL)

                win = self.only_winner(shots, 200, f"rep {rep}: {self.PARALLEL} x /verify-2fa")
                token = self.assertJsonResponse(win.resp, 200)
                self.assertEqual(set(token), {"access_token", "token_type", "expires_in",
                                              "recovery_codes"})   # the first confirmation
                self.assertEqual(token["token_type"], "Bearer")
                claims = jwt.decode(token["access_token"], harness.JWT_KEY,
                                    algorithms=["HS256"])
                self.assertEqual(claims["sub"], username)
                for s in shots:
                    if s is win:
                        continue
                    self.assertEqual(s.resp.status, 401, s)
                    self.assertIn(self.error_code(s.resp), ("invalid_code", "login_required"), s)

                last_step, enrolled, challenge, failed, locked = self.user_row(username)
                self.assertEqual(int(last_step), step, "totp_last_step is not the accepted step")
                self.assertEqual(enrolled, "1")
                self.assertIsNone(challenge, "the challenge must be closed by the success")
                # the losers came after the success closed the challenge: nothing to count
                self.assertEqual(failed, "0")
                self.assertIsNone(locked)

                # and the same code stays refused after a new password login
                self.login_enrolled(username, password)
                r = self.verify(username, code)
                self.assertError(r, 401, "invalid_code")


# --------------------------------------------------------------------------
# /signup: one username, many requests
# --------------------------------------------------------------------------

class SignupRaceTests(RaceTestCase):
    PARALLEL = 8

    def race(self, names, rep):
        passwords = [f"pw-{rep}-{i}-{os.getpid()}" for i in range(len(names))]
        shots = fire(self.server.port,
                     [json_request("POST", "/signup", {"username": u, "password": p})
                      for u, p in zip(names, passwords)])
        win = self.only_winner(shots, 201, f"rep {rep}: {len(names)} x /signup")
        self.assertEqual(self.assertJsonResponse(win.resp, 201),
                         {"message": "User registered successfully"})
        for s in shots:
            if s is not win:
                self.assertError(s.resp, 409, "username_taken")
        # one row (the column compares ignoring case), and it is the winner's:
        # the winner's password opens it
        self.assertEqual(self.db.count("users", f"username = {sql_str(names[0])}"), 1)
        r = self.login(names[win.index], passwords[win.index])
        self.assertEqual(self.assertJsonResponse(r, 200).get("2fa_enrolled"), False, r)

    def test_same_username_in_parallel_is_registered_once(self):
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                name = new_username("sr")
                self.race([name] * self.PARALLEL, rep)

    def test_case_variants_in_parallel_are_registered_once(self):
        # unique ignoring case (SPEC 3): "Ab", "aB", "AB"... are one username
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                base = new_username("cr").lower() + "xyzw"
                names = []
                for i in range(self.PARALLEL):
                    letters = [c.upper() if c.isalpha() and (i >> (k % 3)) & 1 else c
                               for k, c in enumerate(base)]
                    names.append("".join(letters))
                self.assertEqual(len(set(names)), self.PARALLEL, names)
                self.assertEqual(len({n.lower() for n in names}), 1, names)
                self.race(names, rep)


# --------------------------------------------------------------------------
# PUT / DELETE with If-Match: one version, one winner
# --------------------------------------------------------------------------

class ProductRaceTests(RaceTestCase):
    PARALLEL = 10

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls("run").enrolled_user()

    def create(self, rep):
        r = self.req("POST", "/products", headers=self.user.auth,
                     json_body={"name": f"race {rep}", "description": "before",
                                "price": 10.25, "quantity": 7})
        pid = self.assertJsonResponse(r, 201)["id"]
        g = self.req("GET", f"/products/{pid}", headers=self.user.auth)
        self.assertJsonResponse(g, 200)
        self.assertEqual(g.header("ETag"), '"1"', g)
        return pid, g.header("ETag")

    def row(self, pid):
        rows = self.db.sql("SELECT name, description, price, quantity, version"
                           f" FROM products WHERE id = {int(pid)}")
        self.assertLessEqual(len(rows), 1)
        return rows[0] if rows else None

    def history(self, pid):
        """[(action, before_json, after_json)] from product_history, oldest first."""
        rows = self.db.sql("SELECT action, before_json, after_json FROM product_history"
                           f" WHERE product_id = {int(pid)} ORDER BY id")
        return [(a, None if b is None else json.loads(b, parse_float=Decimal),
                 None if c is None else json.loads(c, parse_float=Decimal))
                for a, b, c in rows]

    def test_parallel_puts_with_the_same_if_match_update_once(self):
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                pid, etag = self.create(rep)
                bodies = [{"name": f"winner {rep}.{i}", "description": f"by request {i}",
                           "price": float(f"{i + 1}.{i:02d}"), "quantity": 100 + i}
                          for i in range(self.PARALLEL)]
                headers = dict(self.user.auth)
                headers["If-Match"] = etag
                shots = fire(self.server.port,
                             [json_request("PUT", f"/products/{pid}", b, headers) for b in bodies])

                win = self.only_winner(shots, 200, f"rep {rep}: {self.PARALLEL} x PUT If-Match")
                for s in shots:
                    if s is not win:
                        self.assertError(s.resp, 412, "precondition_failed")
                mine = bodies[win.index]
                got = self.assertJsonResponse(win.resp, 200)
                self.assertEqual(got, {"id": pid, "name": mine["name"],
                                       "description": mine["description"],
                                       "price": Decimal(str(mine["price"])),
                                       "quantity": mine["quantity"]})
                self.assertEqual(win.resp.header("ETag"), '"2"', win)

                name, desc, price, qty, version = self.row(pid)
                self.assertEqual((name, desc, Decimal(price), int(qty), int(version)),
                                 (mine["name"], mine["description"],
                                  Decimal(str(mine["price"])), mine["quantity"], 2))
                hist = self.history(pid)
                self.assertEqual([h[0] for h in hist], ["create", "update"], hist)
                self.assertEqual(hist[1][1]["name"], f"race {rep}")
                self.assertEqual(hist[1][2]["name"], mine["name"])
                self.assertEqual(hist[1][2]["quantity"], mine["quantity"])

    def test_parallel_deletes_with_the_same_if_match_delete_once(self):
        # The losers answer 412 or 404, both meaning "nothing changed": a loser
        # that takes the row lock after the winner committed finds no row (404,
        # the product is gone); one that compared versions against a row still
        # there would see a mismatch (412). RFC 9110 allows either for an
        # If-Match on a resource that no longer exists.
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                pid, etag = self.create(rep)
                headers = dict(self.user.auth)
                headers["If-Match"] = etag
                shots = fire(self.server.port,
                             [("DELETE", f"/products/{pid}", headers, None)] * self.PARALLEL)

                win = self.only_winner(shots, 200, f"rep {rep}: {self.PARALLEL} x DELETE If-Match")
                self.assertEqual(self.assertJsonResponse(win.resp, 200),
                                 {"message": "Product deleted successfully"})
                for s in shots:
                    if s is win:
                        continue
                    self.assertIn(s.resp.status, (404, 412), s)
                    self.assertEqual(self.error_code(s.resp),
                                     {404: "not_found", 412: "precondition_failed"}[s.resp.status],
                                     s)
                self.assertIsNone(self.row(pid))
                hist = self.history(pid)
                self.assertEqual([h[0] for h in hist], ["create", "delete"], hist)
                self.assertEqual(hist[1][1]["name"], f"race {rep}")
                r = self.req("GET", f"/products/{pid}", headers=self.user.auth)
                self.assertError(r, 404, "not_found")

    def test_parallel_puts_and_deletes_with_the_same_if_match_change_once(self):
        for rep in range(REPEAT):
            with self.subTest(rep=rep):
                pid, etag = self.create(rep)
                headers = dict(self.user.auth)
                headers["If-Match"] = etag
                reqs = []
                for i in range(self.PARALLEL):
                    if i % 2:
                        reqs.append(("DELETE", f"/products/{pid}", headers, None))
                    else:
                        reqs.append(json_request("PUT", f"/products/{pid}",
                                                 {"quantity": 1000 + i}, headers))
                shots = fire(self.server.port, reqs)
                win = self.only_winner(shots, 200, f"rep {rep}: PUT/DELETE If-Match mix")
                for s in shots:
                    if s is not win:
                        self.assertIn(s.resp.status, (404, 412), s)
                hist = self.history(pid)
                row = self.row(pid)
                if win.index % 2:      # a DELETE won
                    self.assertIsNone(row)
                    self.assertEqual([h[0] for h in hist], ["create", "delete"], hist)
                else:                  # a PUT won
                    self.assertIsNotNone(row)
                    self.assertEqual((int(row[3]), int(row[4])), (1000 + win.index, 2), row)
                    self.assertEqual([h[0] for h in hist], ["create", "update"], hist)
                    # nobody got 404 while the row was there
                    for s in shots:
                        if s is not win:
                            self.assertError(s.resp, 412, "precondition_failed")


if __name__ == "__main__":
    harness.main()
