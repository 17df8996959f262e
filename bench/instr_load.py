#!/usr/bin/env python3
"""N requests of one scenario on one keep-alive connection, one at a time:
the load of bench/ab_cost.sh's instruction counts (callgrind), where a
deterministic sequence matters and speed does not.

  instr_load.py PORT SCENARIO N [TOKEN]
  SCENARIO: no_token (GET /products, no token: 401), list (GET /products,
  200), get_id (GET /products/<id>, ids 1..100, 200)

Exits 1 unless every answer had the scenario's status.
"""
import http.client
import sys


def main():
    port, scenario, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    token = sys.argv[4] if len(sys.argv) > 4 else ""
    headers = {} if scenario == "no_token" else {"Authorization": "Bearer " + token}
    want = 401 if scenario == "no_token" else 200
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    bad = 0
    for i in range(n):
        path = f"/products/{i % 100 + 1}" if scenario == "get_id" else "/products"
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        bad += r.status != want
    conn.close()
    if bad:
        print(f"instr_load: {bad} of {n} answers were not {want}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
