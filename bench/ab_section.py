#!/usr/bin/env python3
"""The section of docs/benchmarks.md that bench/ab_cost.sh writes: medians of
the runs of each build, the change, and whether it is within the limit.

  ab_section.py JSONL BEFORE AFTER RUNS SECONDS LIMIT "SCENARIOS"
  (environment: AB_TITLE, AB_NOTE, AB_AFTER_ENV)
"""
import json
import os
import statistics
import sys

NAMES = {"no_token": "no-token 401 (`GET /products` without a token)",
         "list": "`GET /products` (100 rows)",
         "get_id": "`GET /products/<id>`"}


def main():
    path, before, after, runs, secs, limit, scenarios = sys.argv[1:8]
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    env = os.environ.get("AB_AFTER_ENV", "").strip()
    print(f"## {os.environ['AB_TITLE']}\n")
    print(f"The build before (`{before}`) and this build (`{after}`, with `METRICS_PORT` set"
          + (f" and `{env}`" if env else "") + ") side by side on the same database, "
          f"wrk `-t2 -c16 -d{secs}s`, runs alternated A B B A ({runs} of each); medians. "
          f"The limit: at most {limit} % below the build before. `bench/ab_cost.sh`, run by "
          "`make bench`.\n")
    print(f"| scenario | before, req/s (runs) | this build, req/s (runs) | change "
          f"| within {limit} % |")
    print("|---|---|---|---|---|")
    for sc in scenarios.split():
        b = [r["rps"] for r in rows if r["scenario"] == sc and r["build"] == "before"]
        a = [r["rps"] for r in rows if r["scenario"] == sc and r["build"] == "after"]
        if not a or not b:
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        change = (ma - mb) / mb * 100
        ok = "yes" if change >= -float(limit) else "**no**"
        runs_b = ", ".join(f"{x:,.0f}" for x in b)
        runs_a = ", ".join(f"{x:,.0f}" for x in a)
        print(f"| {NAMES[sc]} | {mb:,.0f} ({runs_b}) | {ma:,.0f} ({runs_a}) "
              f"| {change:+.1f} % | {ok} |")
    print()
    note = os.environ.get("AB_NOTE", "").strip()
    if note:
        print(note)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
