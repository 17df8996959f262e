#!/usr/bin/env python3
"""The section of docs/benchmarks.md that bench/ab_cost.sh writes: the runs
of each build, the change, whether it is within the limit, and the
instructions a request of each build (callgrind) when they were counted.

  ab_section.py JSONL BEFORE AFTER RUNS SECONDS LIMIT "SCENARIOS"
  (environment: AB_TITLE, AB_NOTE, AB_AFTER_ENV, AB_INSTR_JSONL, AB_INSTR_BASE)

Two changes are given for the rates. *Medians*: the median of this build's
runs against the median of the build before's. *Paired*: the median, over
the rounds, of this build's run against the build before's run of the same
round, the two back to back (A B B A); a drift of the machine between rounds
falls on both runs of a round and cancels. The verdict is the paired one.
"""
import json
import os
import statistics
import sys

NAMES = {"no_token": "no-token 401 (`GET /products` without a token)",
         "list": "`GET /products` (100 rows)",
         "get_id": "`GET /products/<id>`"}


def rates(rows, scenarios, limit):
    print("| scenario | before, req/s (runs) | this build, req/s (runs) | change, medians "
          f"| change, paired (rounds) | within {limit} % (paired) |")
    print("|---|---|---|---|---|---|")
    for sc in scenarios:
        by = {(r["build"], r["run"]): r["rps"] for r in rows if r["scenario"] == sc}
        rounds = sorted({run for _, run in by})
        b = [by[("before", n)] for n in rounds if ("before", n) in by]
        a = [by[("after", n)] for n in rounds if ("after", n) in by]
        pairs = [(by[("after", n)] - by[("before", n)]) / by[("before", n)] * 100
                 for n in rounds if ("before", n) in by and ("after", n) in by]
        if not a or not b or not pairs:
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        change = (ma - mb) / mb * 100
        paired = statistics.median(pairs)
        ok = "yes" if paired >= -float(limit) else "**no**"
        runs_b = ", ".join(f"{x:,.0f}" for x in b)
        runs_a = ", ".join(f"{x:,.0f}" for x in a)
        runs_p = ", ".join(f"{x:+.1f}" for x in pairs)
        print(f"| {NAMES[sc]} | {mb:,.0f} ({runs_b}) | {ma:,.0f} ({runs_a}) "
              f"| {change:+.1f} % | {paired:+.1f} % ({runs_p}) | {ok} |")
    print()


def instructions(path, scenarios, base):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    if not rows:
        return
    n = rows[0]["requests"]
    print(f"Instructions a request (callgrind): each build answered {base} requests, then "
          f"{base} + {n:,}, one at a time on one connection (`bench/instr_load.py`); the "
          f"difference of the two totals over {n:,}. The server's process with CivetWeb, "
          "libmariadb and libc; not the kernel, not MariaDB. The same binary and requests "
          "give the same count whatever else the machine does.\n")
    print("| scenario | before | this build | change |")
    print("|---|---:|---:|---:|")
    for sc in scenarios:
        got = {r["build"]: r["ir_per_request"] for r in rows if r["scenario"] == sc}
        if "before" not in got or "after" not in got:
            continue
        b, a = got["before"], got["after"]
        print(f"| {NAMES[sc]} | {b:,.0f} | {a:,.0f} | {(a - b) / b * 100:+.1f} % |")
    print()


def main():
    path, before, after, runs, secs, limit, scenarios = sys.argv[1:8]
    scenarios = scenarios.split()
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    env = os.environ.get("AB_AFTER_ENV", "").strip()
    print(f"## {os.environ['AB_TITLE']}\n")
    print(f"The build before (`{before}`) and this build (`{after}`, with `METRICS_PORT` set"
          + (f" and `{env}`" if env else "") + ") side by side on the same database, "
          f"wrk `-t2 -c16 -d{secs}s`, {runs} rounds of one run each, alternated A B B A. "
          f"The limit: at most {limit} % below the build before. *Medians*: of each build's "
          "runs. *Paired*: the median of the rounds' changes (this build's run against the "
          "other's, back to back), which the machine's drift between rounds does not move; "
          "the verdict. `bench/ab_cost.sh`, run by `make bench`.\n")
    rates(rows, scenarios, limit)
    instr = os.environ.get("AB_INSTR_JSONL", "")
    if instr and os.path.exists(instr):
        instructions(instr, scenarios, os.environ.get("AB_INSTR_BASE", "?"))
    note = os.environ.get("AB_NOTE", "").strip()
    if note:
        print(note)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
