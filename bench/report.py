#!/usr/bin/env python3
"""bench/report.py - turns the raw output of bench/run.sh (.run/bench/) into
docs/benchmarks.md and the data file of the concurrency chart.

  report.py --missed                 print the scenarios whose target is missed,
                                     one a line (run.sh profiles those)
  report.py --write DOC --chart-data FILE [--elapsed S] [--command CMD]
  report.py --cluster-only FILE      only the "Cluster" section (bench/cluster.sh)

Standard library only. Medians are over the runs of one scenario; every
figure comes from the same run of bench/run.sh.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys

OUT = os.environ.get("BENCH_OUT", ".run/bench")

# The Flask original under gunicorn (2 sync workers), same machine and MariaDB
# (the figures).
FLASK = {
    "list": 989, "no_token": 6980, "post": 796, "put": 1067, "login": 9,
}
FLASK_RSS_MB = 154
TARGET_401 = 40000
TARGET_LIST_P99 = 10.0
TARGET_UNDER_LOGIN_P99 = 50.0
TARGET_RSS_MIB = 20
TARGET_RSS_GROWTH = 0.10
TARGET_QR_MS = 2.0


def load_results():
    rows = []
    with open(os.path.join(OUT, "results.jsonl"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def runs(rows, scenario, conc=None):
    return [r for r in rows if r["scenario"] == scenario and (conc is None or r["conc"] == conc)]


def med(rows, key):
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else None


def read(path, default=""):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return default


def kv_line(text, prefix):
    """'qr_png n=1000 mean_ms=2.3 ...' -> {'n': '1000', 'mean_ms': '2.3', ...}"""
    for line in text.splitlines():
        if line.startswith(prefix):
            return dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    return {}


def peak_rss(rows, conc):
    """The highest resident peak (VmHWM, reset before each run) of GET /products's runs at
    conc connections, kB; None when the runs did not record one."""
    vals = [r["rss_peak_kb"] for r in runs(rows, "list", conc) if r.get("rss_peak_kb")]
    return max(vals) if vals else None


def sched_text(meta):
    """The server threads' scheduling policies as the run found them, and why."""
    seen = meta.get("sched_policy")
    if not seen:
        return "not recorded by this run"
    env = meta.get("sched_policy_env") or ""
    why = f"`SCHED_POLICY={env}`" if env else "`SCHED_POLICY` unset: batch, the default"
    return f"{seen} threads ({why})"


def nproc():
    return os.cpu_count() or 1


# ---- the targets -------------------------------------------------------------------------

def evaluate(rows):
    """A list of dicts: id, what, figure, target, met (True/False/None), profile."""
    t = []
    list16 = runs(rows, "list", 16)
    slap_list16 = runs(rows, "slap_list", 16)
    get_id = runs(rows, "get_id", 16)
    slap_point = runs(rows, "slap_point", 16)

    def add(id_, what, figure, target, met, profile=None):
        t.append({"id": id_, "what": what, "figure": figure, "target": target, "met": met,
                  "profile": profile})

    if list16 and slap_list16:
        s, d = med(list16, "rps"), med(slap_list16, "rps")
        add("list_rate", "GET /products (100 rows), c=16: req/s vs database alone",
            f"{s:,.0f} req/s = {s / d:.0%} of {d:,.0f} q/s", ">= 50% of database alone",
            s >= 0.5 * d, "list")
    if list16:
        p = med(list16, "p99_ms")
        add("list_p99", "GET /products (100 rows), c=16: p99", f"{p:.1f} ms",
            f"<= {TARGET_LIST_P99:g} ms", p <= TARGET_LIST_P99, "list")
    if get_id and slap_point:
        s, d = med(get_id, "rps"), med(slap_point, "rps")
        add("get_id", "GET /products/<id>, c=16: req/s vs database alone (point SELECT)",
            f"{s:,.0f} req/s = {s / d:.0%} of {d:,.0f} q/s", ">= 50% of database alone",
            s >= 0.5 * d, "get_id")
    nt = runs(rows, "no_token", 16)
    if nt:
        s = med(nt, "rps")
        add("no_token", "request without a token (401), c=16", f"{s:,.0f} req/s",
            f">= {TARGET_401:,} req/s", s >= TARGET_401, "no_token")
    for sc, label in (("post", "POST /products"), ("put", "PUT /products/<id>")):
        rr = runs(rows, sc, 16)
        if rr:
            s = med(rr, "rps")
            add(sc, f"{label}, c=16", f"{s:,.0f} req/s = {s / FLASK[sc]:.1f}x Flask",
                f">= 5x Flask = {5 * FLASK[sc]:,} req/s", s >= 5 * FLASK[sc], sc)
    login = runs(rows, "login", 16)
    bc = kv_line(read(os.path.join(OUT, "bcrypt.txt")), "bcrypt")
    if login and bc:
        ceiling = nproc() * 1000.0 / float(bc["mean_ms"])
        s = med(login, "rps")
        add("login", "POST /login (bcrypt cost 12), c=16",
            f"{s:.2f} req/s = {s / ceiling:.0%} of {ceiling:.2f}/s "
            f"({nproc()} cores / {float(bc['mean_ms']):.0f} ms)",
            ">= 90% of cores / bcrypt time", s >= 0.9 * ceiling, "login")
    ul = runs(rows, "list_under_login", 16)
    if ul:
        # Per run: a run where some GET connections never got a worker thread, or where
        # none was answered, misses whatever its p99 (wrk only times answered requests).
        parts, oks = [], []
        bg_by_run = {b["run"]: b for b in runs(rows, "login_bg", 32)}
        for r in sorted(ul, key=lambda r: r["run"]):
            starved = r.get("starved", 0)
            # A run whose /login load had ended before it did measured no storm.
            overlap = bg_by_run.get(r["run"], {}).get("overlap", True)
            if not overlap:
                parts.append(f"{r['rps']:,.0f} req/s, p99 {r['p99_ms']:,.1f} ms, but the "
                             "/login load had ended before it")
            elif r["requests"] == 0:
                parts.append(f"no GET answered ({starved} connections waiting)")
            else:
                parts.append(f"{r['rps']:,.0f} req/s, p99 {r['p99_ms']:,.1f} ms"
                             + (f", steal {r['cpu_steal']:.2f} cores" if "cpu_steal" in r else "")
                             + (f" ({starved} connection{'s' if starved > 1 else ''} waiting)"
                                if starved else ""))
            oks.append(overlap and r["requests"] > 0 and starved == 0
                       and r["p99_ms"] <= TARGET_UNDER_LOGIN_P99)
        ok = statistics.median([1 if o else 0 for o in oks]) >= 1
        add("list_under_login", "GET /products while 32 clients hammer /login: p99",
            "runs: " + "; ".join(parts), f"<= {TARGET_UNDER_LOGIN_P99:g} ms (all GETs answered)",
            ok, "list_under_login")
    pk = peak_rss(rows, 64)
    if pk:
        add("rss_c64", "resident memory (peak) at 64 connections",
            f"{pk / 1024:.1f} MiB", f"<= {TARGET_RSS_MIB} MiB", pk <= TARGET_RSS_MIB * 1024)
    mem = runs(rows, "mem_1m")
    if mem:
        m = mem[0]
        b, a = m["rss_before_kb"], m["rss_after_kb"]
        growth = (a - b) / b if b else 0
        fig = (f"{b / 1024:.1f} -> {a / 1024:.1f} MiB ({growth:+.1%}) after "
               f"{m['counted']:,} requests in {m['seconds']:.0f} s")
        add("rss_flat", "resident memory flat after 1,000,000 requests", fig,
            "<= +10%", growth <= TARGET_RSS_GROWTH)
    qr = kv_line(read(os.path.join(OUT, "qr.txt")), "qr_png")
    if qr:
        mean = float(qr["mean_ms"])
        add("qr", "QR PNG generation (qr_png, micro-benchmark)",
            f"mean {mean:.2f} ms, p99 {float(qr['p99_ms']):.2f} ms",
            f"<= {TARGET_QR_MS:g} ms (mean)", mean <= TARGET_QR_MS, "qr")
    return t


def missed_profiles(targets):
    seen = []
    for t in targets:
        if t["met"] is False and t["profile"] and t["profile"] not in seen:
            seen.append(t["profile"])
    return seen


# ---- the document ------------------------------------------------------------------------

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    cpu = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    dpkg = sh("dpkg-query -W -f='${Package} ${Version}\\n' libcivetweb1 libmariadb3 "
              "libqrencode4 libpng16-16 zlib1g libcrypt1 libssl3 libjwt2 libcjson1 2>/dev/null")
    return {
        "nproc": nproc(), "cpu": cpu, "mem_gib": mem_kb / 1024 / 1024,
        "kernel": platform.release(), "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "mariadb": sh("mariadbd --version 2>/dev/null || /usr/sbin/mariadbd --version"),
        "wrk": sh("wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2"),
        "gcc": sh("gcc --version | head -n1"),
        "dpkg": dpkg,
    }


def fmt_rate(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def fmt_ms(x):
    return "-" if x is None else f"{x:.1f}"


def yes_no(met):
    return {True: "**yes**", False: "**no**", None: "-"}[met]


def scenario_table(rows, targets):
    by_profile = {}
    for t in targets:
        if t["profile"]:
            by_profile.setdefault(t["profile"], []).append(t["met"])

    def met_of(name):
        v = by_profile.get(name)
        if not v:
            return None
        return all(v)

    slap_list = med(runs(rows, "slap_list", 16), "rps")
    slap_point = med(runs(rows, "slap_point", 16), "rps")
    slap_put = med(runs(rows, "slap_put", 16), "rps")
    spec = [
        ("list", "GET /products (100 rows)", slap_list),
        ("get_id", "GET /products/&lt;id&gt;", slap_point),
        ("post", "POST /products", None),
        ("put", "PUT /products/&lt;id&gt;", slap_put),
        ("delete", "DELETE /products/&lt;id&gt;", None),
        ("no_token", "no token: 401", None),
        ("verify_right", "POST /verify-2fa, right code (200 + JWT)", None),
        ("verify_wrong", "POST /verify-2fa, wrong code (401 invalid_code)", None),
        ("login", "POST /login (bcrypt cost 12)", None),
    ]
    out = ["| scenario (c=16) | req/s median (min-max) | p50 ms | p99 ms | database alone q/s "
           "| server / DB | Flask req/s | x Flask | status >= 400 | cores server / db / wrk "
           "/ other / steal | target met |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for key, label, db in spec:
        rr = runs(rows, key, 16)
        if not rr:
            continue
        rps = med(rr, "rps")
        lo, hi = min(r["rps"] for r in rr), max(r["rps"] for r in rr)
        flask = FLASK.get(key)
        bad = sum(r.get("status_ge_400", 0) for r in rr)
        total = sum(r.get("requests", 0) for r in rr)
        bad_s = f"{bad:,} of {total:,}" if bad else "0"
        out.append(
            f"| {label} | {fmt_rate(rps)} ({fmt_rate(lo)}-{fmt_rate(hi)}) | "
            f"{fmt_ms(med(rr, 'p50_ms'))} | {fmt_ms(med(rr, 'p99_ms'))} | "
            f"{fmt_rate(db) if db else '-'} | {f'{rps / db:.0%}' if db else '-'} | "
            f"{flask if flask else '-'} | {f'{rps / flask:.1f}x' if flask else '-'} | "
            f"{bad_s} | {cpu_cols(rr)} | {yes_no(met_of(key))} |")
    for key, label in (("slap_list", "mariadb-slap: the list SELECT"),
                       ("slap_point", "mariadb-slap: the point SELECT"),
                       ("slap_put", "mariadb-slap: PUT's CALL")):
        rr = runs(rows, key, 16)
        if rr:
            rps = med(rr, "rps")
            lo, hi = min(r["rps"] for r in rr), max(r["rps"] for r in rr)
            out.append(f"| {label} | {fmt_rate(rps)} ({fmt_rate(lo)}-{fmt_rate(hi)}) | - | - | "
                       f"- | - | - | - | - | {cpu_cols(rr)} | - |")
    return "\n".join(out)


def cpu_cols(rr):
    """Median cores used by the server, MariaDB, the client (wrk or mariadb-slap) and
    everything else on the machine during the runs, and the hypervisor's steal."""
    if not any("cpu_db" in r for r in rr):
        return "-"
    parts = []
    for k in ("cpu_server", "cpu_db", "cpu_client", "cpu_other", "cpu_steal"):
        v = med(rr, k)
        parts.append("-" if v is None else f"{v:.2f}")
    return " / ".join(parts)


def concurrency(rows):
    table = ["| connections | server req/s | p50 ms | p99 ms | mariadb-slap q/s | server / DB "
             "| connections never served | resident peak MiB | cores server / db / wrk / other / steal |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    dat = ["# conc server_rps server_p99_ms slap_rps never_served"]
    for c in (1, 4, 16, 64):
        rr, ss = runs(rows, "list", c), runs(rows, "slap_list", c)
        if not rr:
            continue
        rps, p99, db = med(rr, "rps"), med(rr, "p99_ms"), med(ss, "rps")
        starved = max(r.get("starved", 0) for r in rr)
        pk = peak_rss(rows, c)
        pk_s = f"{pk / 1024:.1f}" if pk else "-"
        table.append(
            f"| {c} | {fmt_rate(rps)} | {fmt_ms(med(rr, 'p50_ms'))} | {fmt_ms(p99)} | "
            f"{fmt_rate(db)} | {f'{rps / db:.0%}' if db else '-'} | {starved} | {pk_s} | "
            f"{cpu_cols(rr)} |")
        dat.append(f"{c} {rps:.1f} {p99:.3f} {db if db else 0:.1f} {starved}")
    return "\n".join(table), "\n".join(dat) + "\n"


def syscalls_section():
    out = []
    for name, label in (("get_id", "GET /products/&lt;id&gt;"), ("no_token", "no-token 401")):
        text = read(os.path.join(OUT, f"syscalls-{name}.txt"))
        m = re.search(r"^requests (\d+)", text, re.M)
        if not text or not m or int(m.group(1)) == 0:
            continue
        n = int(m.group(1))
        calls = {}
        for line in text.splitlines():
            parts = line.split()
            if (len(parts) >= 5 and parts[0][0].isdigit() and parts[-1].isidentifier()
                    and parts[-1] != "total"):
                try:
                    calls[parts[-1]] = int(parts[3])
                except ValueError:
                    pass
        if not calls:
            continue
        top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
        per = ", ".join(f"{k} {v / n:.1f}" for k, v in top)
        out.append(f"- {label}: {n:,} requests traced; system calls per request: {per}")
    return "\n".join(out)


def profile_text(name):
    text = read(os.path.join(OUT, "profiles", f"{name}.txt")).rstrip()
    if not text:
        return ""
    # Keep it readable: perf's trailing '-      -' columns go.
    lines = [re.sub(r"\s+-\s+-\s*$", "", ln.rstrip()) for ln in text.splitlines()]
    # Profiles made before run.sh computed the kernel's share lack it in the by-library
    # view (perf leaves [kernel.kallsyms] out of it): say so rather than mislead.
    out, in_lib = [], False
    for ln in lines:
        if "self time by library" in ln:
            in_lib = "kernel" not in text.split(ln, 1)[1].split("==", 1)[0]
            out.append(ln)
            if in_lib:
                out.append("   (the kernel's share is missing from this view: these are "
                           "shares of user-space samples only)")
            continue
        out.append(ln)
    # At most 15 entries per section: the whole reports stay in .run/bench/profiles/.
    capped, n = [], 0
    for ln in out:
        if ln.startswith("=="):
            n = 0
        elif re.match(r"^\s+[0-9.]+%", ln):
            n += 1
            if n > 15:
                continue
        capped.append(ln)
    lines = capped
    return "```text\n" + "\n".join(lines) + "\n```"


# ---- the cluster (bench/cluster.sh) --------------------------------------------------------

CLUSTER_KINDS = (
    ("list", "GET /products (100 rows)"),
    ("get_id", "GET /products/&lt;id&gt;"),
    ("post", "POST /products"),
    ("put", "PUT /products/&lt;id&gt;"),
    ("login", "POST /login (bcrypt cost 12)"),
)


def load_cluster():
    rows = []
    try:
        with open(os.path.join(OUT, "cluster.jsonl"), encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    rows.append(json.loads(line))
    except OSError:
        pass
    meta = json.loads(read(os.path.join(OUT, "cluster-meta.json"), "{}") or "{}")
    return rows, meta


def cluster_section(command):
    """The "## Cluster" section: lines of markdown."""
    rows, meta = load_cluster()
    L = []
    w = L.append
    w("## Cluster")
    w("")
    w("The API on a three-node MariaDB 10.11 Galera cluster beside the API on one MariaDB, "
      "measured by `bench/cluster.sh` in the same run (`make bench` calls it after the "
      "scenarios above; `BENCH_CLUSTER=0` skips it; `bench/cluster.sh` alone runs only this "
      "section and writes `.run/bench/cluster.md`).")
    w("")
    if not meta:
        w("*Not measured in this run* (it was made before `bench/cluster.sh` existed, or with "
          "`BENCH_CLUSTER=0`); figures: the next `make bench`.")
        return L
    if meta.get("status") != "done":
        w(f"*This run's cluster section did not complete* (status `{meta.get('status', '?')}`"
          + (f", in `{meta['failed_in']}`" if meta.get("failed_in") else "")
          + "): see `.run/bench/cluster/` and the run's output. Whatever it measured is below.")
        w("")
    if meta.get("quick"):
        w("> **BENCH_QUICK=1: 2-second runs, one each; the figures only show that the script "
          "works.**")
        w("")
    how = (f"`{command}`" if command == "bench/cluster.sh"
           else f"`{command}` (this section: `bench/cluster.sh`)")
    w(f"- Command: {how}, started {meta.get('start', '?')}, took "
      f"{int(meta.get('elapsed_s', 0)) // 60} min {int(meta.get('elapsed_s', 0)) % 60} s; "
      f"code `{meta.get('git_rev', '?')}`.")
    w(f"- *one server*: one MariaDB from `scripts/mariadb.sh` (`{meta.get('one_dir')}`, "
      "InnoDB buffer pool 64M, innodb_flush_log_at_trx_commit=2, pool-of-threads), reached "
      "over TCP on 127.0.0.1 like the nodes (the scenarios above use its Unix socket).")
    w(f"- *cluster*: three Galera nodes from `scripts/galera.sh` (`GALERA_DIR="
      f"{meta.get('galera_dir')}`, `GALERA_PORT={meta.get('galera_port')}`: SQL on "
      f"{meta.get('galera_port')}, {meta.get('galera_port', 0) + 10}, "
      f"{meta.get('galera_port', 0) + 20}; Galera {meta.get('galera_version', '?')}; "
      "buffer pool 48M each, innodb_flush_log_at_trx_commit=2, pool-of-threads, "
      "binlog_format=ROW, evs.suspect_timeout=PT3S), 3 members Synced in "
      f"{meta.get('cluster_start_s', '?')} s. **One server process** whose `DATABASE_URL` "
      f"lists the three nodes, node 1 first (`{meta.get('cluster_url', '?')}`): every "
      "request goes through node 1 and the other two apply its writes. These figures are "
      "what replication costs one instance (certification, `wsrep_sync_wait` on every "
      "connection, three MariaDB processes on the same 2 cores), not what several "
      "instances on several nodes would serve.")
    w(f"- Both: the Release server, a fresh database, the user `bench_owner` through the "
      f"real flow, 100 products through `POST /products` (on the cluster their ids step by "
      f"{meta.get('id_step_cluster', '?')}: each node hands out its own ids, so "
      "`bench/wrk/get.lua` and `put.lua` get the first id and the step), "
      f"{meta.get('login_pool', 64)} /login users in SQL; the wrk scripts of the scenarios "
      f"above, `-t2 -c16`, {meta.get('duration', '?')} s per run, {meta.get('runs', '?')} "
      f"run{'' if meta.get('runs') == 1 else 's'}, the median.")
    w("")
    if any(r.get("scenario") in dict(CLUSTER_KINDS) for r in rows):
        w("| request (c=16) | one server: req/s | p50 / p99 ms | cores server / db / wrk "
          "| cluster: req/s | p50 / p99 ms | cores server / db (3 nodes) / wrk "
          "| cluster / one | status >= 400 one / cluster |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, label in CLUSTER_KINDS:
            one = [r for r in rows if r.get("config") == "one" and r.get("scenario") == key]
            cl = [r for r in rows if r.get("config") == "cluster" and r.get("scenario") == key]
            if not one and not cl:
                continue

            def cols(rr):
                if not rr:
                    return "-", "-", "-"
                cores = " / ".join(f"{med(rr, k):.2f}" for k in
                                   ("cpu_server", "cpu_db", "cpu_client"))
                return (fmt_rate(med(rr, "rps")),
                        f"{fmt_ms(med(rr, 'p50_ms'))} / {fmt_ms(med(rr, 'p99_ms'))}", cores)

            a, b = cols(one), cols(cl)
            ratio = (f"{med(cl, 'rps') / med(one, 'rps'):.0%}"
                     if one and cl and med(one, "rps") else "-")
            bad = (f"{sum(r.get('status_ge_400', 0) for r in one):,} / "
                   f"{sum(r.get('status_ge_400', 0) for r in cl):,}")
            w(f"| {label} | {a[0]} | {a[1]} | {a[2]} | {b[0]} | {b[1]} | {b[2]} | {ratio} "
              f"| {bad} |")
        w("")
    kills = [r for r in rows if r.get("scenario") == "node_kill"]
    if kills:
        k = kills[-1]
        w("### A node killed under load")
        w("")
        if k.get("failed"):
            w(f"*Did not complete*: {k['failed']}")
            return L
        w(f"`bench/cluster_kill.py`: {k['workers']} clients (Python, one keep-alive "
          "connection each) of plain `POST /products` (no `Idempotency-Key`) and "
          "`GET /products/<id>` (half of them of ids this client was just answered 201 for), "
          f"half and half, through the server above; after {meta.get('kill_before')} s node "
          f"{k['node']}, the one the server uses, is killed with SIGKILL "
          f"(`scripts/galera.sh kill {k['node']}`), {meta.get('kill_down')} s later restarted "
          f"(`restart {k['node']}`, which returns once it is Synced), then "
          f"{meta.get('kill_after')} s more load. Every answer is kept with its time "
          "(`.run/bench/raw/cluster-node-kill.csv`).")
        w("")
        w("| figure | this run | wanted |")
        w("|---|---|---|")
        w(f"| requests | {k['requests']:,} in {k['seconds']:.1f} s | |")
        if k["n503"]:
            w(f"| answered 503 | {k['n503']:,}, from {k['first_503_after_kill_s']:+.2f} s to "
              f"{k['last_503_after_kill_s']:+.2f} s after the kill ({k['window_503_s']:.2f} s; "
              f"{k['seconds_with_503']} distinct second{'s' if k['seconds_with_503'] != 1 else ''}"
              ") | only while the server moves to another node |")
        else:
            w("| answered 503 | none | only while the server moves to another node |")
        w(f"| answered another 5xx | {k['other_5xx']} | 0 |")
        errs = ", ".join(f"{n} {c}" for n, c in sorted(k.get("errors", {}).items()))
        w(f"| no answer (connection error or 30 s timeout) | {k['no_answer']}"
          + (f" ({errs})" if errs else "") + " | 0 |")
        lost = k["lost_per_node"]
        w(f"| writes lost: POSTs answered 201 missing on node 1 / 2 / 3 afterwards | "
          f"{' / '.join(str(x) for x in lost)} of {k['created_201']:,} | 0 |")
        w(f"| reads of a product this client was answered 201 for, answered 404 | "
          f"{k['read_404_of_acked']} | 0 |")
        w(f"| POSTs answered 503 or not at all whose row exists anyway | "
          f"{k['post_failed_committed']} of {k['post_failed']} | (what `Idempotency-Key` "
          "is for: a client retrying those would create a second row) |")
        w(f"| node {k['node']} back | restarted {k['t_restart'] - k['t_kill']:.1f} s after "
          f"the kill, Synced {k['rejoin_s'] if k['rejoin_s'] is not None else '?'} s "
          "after its restart (IST or SST: `.run/galera-bench/node1/mysqld.log`) | |")
        w(f"| `CHECKSUM TABLE users, products, product_history EXTENDED` on the 3 nodes | "
          f"{'equal' if k['checksums_equal'] else '**not equal**'}"
          + (f" (at try {k['checksum_tries']})" if k.get("checksum_tries", 1) > 1 else "")
          + " | equal |")
        w(f"| answered 2xx per second: before the kill / node down / rejoining / after | "
          f"{k['ok_rps_before']} / {k['ok_rps_down']} / {k['ok_rps_rejoin']} / "
          f"{k['ok_rps_after']} | |")
        w(f"| slowest answer | {k['max_ms']:,.0f} ms ({k['max_ms_near_kill']:,.0f} ms within "
          "15 s of the kill) | |")
        w("")
    return L


def write_cluster_only(path, command):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(cluster_section(command)) + "\n")


def write_doc(path, chart_path, elapsed, command):
    rows = load_results()
    meta = json.loads(read(os.path.join(OUT, "meta.json"), "{}") or "{}")
    targets = evaluate(rows)
    mach = machine()
    conc_table, dat = concurrency(rows)
    with open(chart_path, "w", encoding="utf-8") as f:
        f.write(dat)

    qr = kv_line(read(os.path.join(OUT, "qr.txt")), "qr_png")
    bc = kv_line(read(os.path.join(OUT, "bcrypt.txt")), "bcrypt")
    mem = runs(rows, "mem_1m")
    bg = runs(rows, "login_bg", 32)
    ul = runs(rows, "list_under_login", 16)
    duration, nruns = meta.get("duration", "?"), meta.get("runs", "?")

    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("Generated by `bench/run.sh` (`make bench`); do not edit by hand: the hand-written "
      "analysis lives in `bench/findings.md` and is copied in below. Every figure on this "
      "page comes from one run of the script on the machine described here; the "
      "database-alone figures (mariadb-slap) come from the same run, same MariaDB, same "
      "socket, same concurrency.")
    if meta.get("quick"):
        w("")
        w("> **BENCH_QUICK=1 run: 2-second runs, one run each. These figures only show "
          "that the script works; they are not measurements.**")
    w("")
    w("## The run")
    w("")
    w(f"- Command: `{command}` (that is `bench/run.sh`), started {meta.get('start', '?')}, "
      f"took {int(elapsed) // 60} min {int(elapsed) % 60} s.")
    w(f"- Machine: {mach['nproc']} cores ({mach['cpu']}), {mach['mem_gib']:.1f} GiB RAM, "
      f"{mach['os']}, kernel {mach['kernel']}. Loopback only. The machine is shared: other "
      "work may run at the same time (the 1-minute load average at the start of every run "
      "is kept in `.run/bench/results.jsonl`).")
    ag = {"1": "on", "0": "off", "absent": "absent from this kernel"}.get(
        meta.get("autogroup"), "not recorded by this run")
    w(f"- CPU scheduler: the kernel's autogroup (`/proc/sys/kernel/sched_autogroup_enabled`): {ag}. "
      "When on, MariaDB, which `scripts/mariadb.sh` starts in a session of its own, shares the "
      "CPU with the server and wrk as one group against another, as a systemd service would; "
      "it changes the tail under the /login storm (see the findings).")
    w(f"- Versions: {mach['mariadb']}; {mach['wrk']}; {mach['gcc']}.")
    w("- Libraries: " + "; ".join(mach["dpkg"].splitlines()) + ".")
    dirty = meta.get("git_dirty", 0)
    w(f"- Code measured: commit `{meta.get('git_rev', '?')}`"
      + (f" plus uncommitted changes in {dirty} source file{'s' if dirty != 1 else ''}"
         if dirty else "") + " (built at the start of the run).")
    w(f"- Server: `build-release/integrity-server` (CMake Release, -O3), "
      f"THREADS default = {meta.get('threads', '?')} on this machine, BCRYPT_COST=12, "
      "JWT_EXPIRES_SECONDS=86400, LOGIN_CHALLENGE_SECONDS=86400 and LOGIN_MAX_FAILURES=1000 "
      "(the bench's wrong codes and parallel logins must not lock its accounts), access log "
      f"to a file; its threads' scheduling policy: {sched_text(meta)}. MariaDB from "
      "`scripts/mariadb.sh` (InnoDB buffer pool 64M, "
      "innodb_flush_log_at_trx_commit=2, thread_handling=pool-of-threads), over its Unix "
      "socket; mariadb-slap's database-alone figures are the same MariaDB.")
    w(f"- Load: wrk 4.1 (closed loop), `-t2 -c16 --latency` unless said otherwise "
      f"(`-t1` for 1 connection), {duration} s per run, {nruns} runs per scenario, the "
      "median reported (req/s and p99 are medians of their own). wrk runs on the same 2 "
      "cores as the server and MariaDB, so every figure includes the load generator's "
      "share of the CPU (the *cores* columns show it).")
    w(f"- Data: 100 products made through `POST /products` (the list is "
      f"{meta.get('list_bytes', '?'):,} bytes of JSON); the user `bench_owner` made through "
      "the real flow (signup, `/login` -> QR PNG -> `zbarimg` -> `oathtool` -> "
      "`/verify-2fa` -> JWT).")
    w("- Cluster: after the scenarios, `bench/cluster.sh` measures GET /products, "
      "GET /products/<id>, POST, PUT and /login on one MariaDB and on a three-node Galera "
      "cluster, and a node killed with SIGKILL under load (503s, other 5xx, writes lost, "
      "checksums after the rejoin): section [Cluster](#cluster).")
    w("")
    w("## Targets")
    w("")
    w("| target | figure | wanted | met |")
    w("|---|---|---|:---:|")
    for t in targets:
        w(f"| {t['what']} | {t['figure']} | {t['target']} | {yes_no(t['met'])} |")
    w("")
    w("## Scenarios")
    w("")
    w(scenario_table(rows, targets))
    w("")
    w("- database alone: `mariadb-slap` with the server's own SELECT text "
      "(`SELECT id, name, description, price, quantity, version FROM products WHERE id > 0 "
      "ORDER BY id LIMIT 9223372036854775807` for the list; `... WHERE id = N` cycling "
      "N = 1..100 for one product; for PUT the server's own "
      f"`CALL {meta.get('put_routine', 'product_update_v1')}(N, 0, "
      "NULL, NULL, price, quantity, 'bench_owner')`), 16 clients, user app, same socket. "
      "mariadb-slap uses the text protocol, the server prepared statements (binary protocol).")
    w("- POST/PUT/DELETE: each is one CALL of a stored routine (`schema.sql`) that runs the "
      "change and its audit row (`product_history`) in one transaction. PUT "
      "is a partial update of price and quantity cycling ids 1..100 (some row-lock waits "
      "between the 16 clients); DELETE deletes each id once from rows seeded in SQL.")
    w(f"- /verify-2fa: {meta.get('verify_users', 0):,} users seeded in SQL (2FA confirmed, an "
      "open challenge, one shared TOTP secret, bench_owner's bcrypt hash), reset before "
      "every run. *Right code*: every request names a user not used before in that run, so "
      "every request is the full success path (SELECT, TOTP check, the conditional UPDATE "
      "that enforces single use, JWT issue) - a user's right code is accepted once per step "
      "and the challenge then closes, so reusing users would measure the cheap "
      "`login_required` path instead. *Wrong code*: the same users, a code valid in none of "
      "the three accepted steps: SELECT, TOTP check, the failure UPDATE, 401 invalid_code. "
      "Codes come from `oathtool` (precomputed per 30 s step).")
    w(f"- /login: a pool of {meta.get('login_pool', 0)} users with 2FA confirmed (the JSON "
      "'enter the code' answer; no QR), the right password; one bcrypt at cost 12 each. "
      + (f"bcrypt alone (`bench/bcrypt_bench.c`, crypto/password.c): {bc.get('mean_ms')} ms "
         f"per hash, so {nproc()} cores allow {nproc() * 1000 / float(bc['mean_ms']):.2f}/s."
         if bc else ""))
    if ul:
        w("- GET /products while 32 clients hammer /login: the /login load (wrk -c32) starts "
          "1.5 s before the measured GET /products (wrk -c16) and ends after it; 48 "
          f"connections for {meta.get('threads', '?')} worker threads. /login meanwhile "
          + ("; ".join(f"{r['rps']:,.1f} answers/s of which {r.get('status_ge_400', 0):,} of "
                       f"{r['requests']:,} had a status >= 400"
                       for r in sorted(bg, key=lambda r: r["run"])) if bg else "-")
          + ". 'connections waiting': "
          "server-side sockets with an unread request and nothing sent back for a third of "
          "the run (GET or /login connections alike).")
    w("- status >= 400: responses that were not 2xx/3xx, summed over the runs (the 401 "
      "scenarios expect them; anywhere else they would make the figure wrong).")
    w("- cores: CPU used during the run (medians, in cores of the 2): the server (its "
      "process and its bcrypt helper process, `crypto/hasher.c`), "
      "MariaDB, the load generator (wrk or mariadb-slap, timed by the shell) and *other*: "
      "everything else on the machine (other people's builds and tests: the machine is "
      "shared). Before every run the script waits, from a 5-minute budget, until others "
      "use less than 0.25 cores; a run with a large *other* figure is disturbed. *steal*: "
      "time the hypervisor gave this VM's CPUs to someone else while they had work "
      "(/proc/stat); it cannot be waited out, and latency tails grow with it.")
    w("")
    w("## Concurrency: GET /products (100 rows)")
    w("")
    w(conc_table)
    w("")
    w("![req/s and p99 against connections](bench-concurrency.png)")
    w("")
    w("- *connections never served*: connections that had a request waiting, unread by the "
      "server, in two `ss` snapshots a third of the run apart. CivetWeb gives each "
      "keep-alive connection a worker thread for as long as it stays open, so beyond "
      "THREADS connections the rest wait (up to the client's timeout) while wrk's "
      "figures only count the answered ones: where this column is not 0 the req/s is "
      "real but the p99 is that of the lucky connections only.")
    w("")
    for line in cluster_section(command):
        w(line)
    w("")
    w("## Memory")
    w("")
    pk64 = peak_rss(rows, 64)
    w("- Resident memory is the server's VmRSS plus the private pages (`Private_Clean` + "
      "`Private_Dirty` in `/proc/<pid>/smaps_rollup`) of its bcrypt helper, the process it "
      "forks at start-up: the rest of the helper's resident pages are the server's own, "
      "shared since the fork, or libraries both map. A run's peak is the kernel's "
      "high-water mark (`VmHWM`, reset before the run by writing 5 to "
      "`/proc/<pid>/clear_refs`) plus the helper's private pages at its end.")
    w(f"- Resident: {meta.get('rss_start_kb', 0) / 1024:.1f} MiB after start, "
      f"{meta.get('rss_warm_kb', 0) / 1024:.1f} MiB after the warm-up, "
      + (f"peak {pk64 / 1024:.1f} MiB during GET /products at 64 connections, " if pk64 else "")
      + f"{meta.get('rss_end_kb', 0) / 1024:.1f} MiB at the end of the measurements. "
      f"The Flask original: {FLASK_RSS_MB} MB.")
    if mem:
        m = mem[0]
        w(f"- Flatness: GET /products/&lt;id&gt; (wrk -c16) until {meta.get('mem_requests', 0):,} "
          f"requests or {meta.get('mem_max_seconds', 0)} s: {m['counted']:,} requests in "
          f"{m['seconds']:.1f} s ({m['rps']:,.0f} req/s); resident {m['rss_before_kb']:,} kB "
          f"before, {m['rss_after_kb']:,} kB after (2 s idle each side).")
    memtxt = read(os.path.join(OUT, "mem-c64.txt")).strip()
    if memtxt:
        w("- Right after the 64-connection runs (`/proc/<pid>/status`, `pmap -x`, largest "
          "resident mappings; RSS column in kB; then the helper's `smaps_rollup`):")
        w("")
        w("```text")
        w(memtxt)
        w("```")
    w("")
    w("## QR code (micro-benchmark)")
    w("")
    if qr:
        w(f"`bench/qr_bench.c`: {qr['n']} calls of `qr_png()` (totp/qr.c) on a realistic "
          f"otpauth URI, timed one by one: mean {qr['mean_ms']} ms, median {qr['p50_ms']} ms, "
          f"p99 {qr['p99_ms']} ms, max {qr['max_ms']} ms; PNG {qr['png_bytes']} bytes.")
    w("")
    sc = syscalls_section()
    if sc:
        w("## System calls per request")
        w("")
        w("`strace -f -c` attached to the server for 3 s under wrk -c16 (strace slows it "
          "down; only the counts per request matter):")
        w("")
        w(sc)
        w("")
    # Sections written by the scripts run.sh calls (bench/metrics_cost.sh, ...),
    # in the order of their file names.
    sec_dir = os.path.join(OUT, "sections")
    if os.path.isdir(sec_dir):
        for name in sorted(os.listdir(sec_dir)):
            if name.endswith(".md"):
                w(read(os.path.join(sec_dir, name)).rstrip())
                w("")
    w("## What the profiles showed")
    w("")
    findings = read("bench/findings.md").strip()
    if findings:
        w(findings)
        w("")
    profiled = [t for t in targets if t["met"] is False]
    if profiled:
        w("### Raw profiles of the missed targets")
        w("")
        w("`perf record -a -g -e cpu-clock` (no hardware counters in this VM) over the middle "
          f"of a rerun of the scenario (wrk, at least 10 s); each section says what its "
          "percentages are of; at most 15 entries each (the full reports are in "
          "`.run/bench/profiles/`).")
        w("")
        done = set()
        for t in profiled:
            p = t["profile"]
            if not p or p in done:
                continue
            done.add(p)
            text = profile_text(p)
            if text:
                w(f"#### {p}")
                w("")
                w(text)
                w("")
    w("## Reproduce")
    w("")
    w("```sh")
    w("make bench            # = bench/run.sh; about 20 minutes, the cluster section included")
    w("BENCH_QUICK=1 bench/run.sh   # 2-second runs: checks the script, not the server")
    w("BENCH_CLUSTER=0 make bench   # without the cluster section")
    w("bench/cluster.sh      # the cluster section alone: .run/bench/cluster.md, never docs/")
    w("```")
    w("")
    w("`bench/run.sh` installs wrk and gnuplot-nox when missing (as root; otherwise it "
      "prints the apt-get line), builds `build-release/` (the server, and the targets of "
      "`bench/CMakeLists.txt`: `qr_bench`, `bcrypt_bench` and `put_routine`, which prints the "
      "routine PUT calls), and leaves the raw output of every "
      "run in `.run/bench/` (`results.jsonl`, `raw/`, `profiles/`; the cluster section's "
      "`cluster.jsonl`, `cluster-meta.json`, `cluster/` and `raw/cluster-*`). The wrk "
      "scripts are in `bench/wrk/`. The cluster section keeps its databases in "
      "`.run/mariadb-bench-one` and `.run/galera-bench` (GALERA_PORT 3811, or the next "
      "free block of ports) and stops them on every exit. No timed assertion is part of "
      "`make test`.")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--missed", action="store_true")
    ap.add_argument("--write")
    ap.add_argument("--chart-data")
    ap.add_argument("--elapsed", type=float, default=0)
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--cluster-only")
    a = ap.parse_args()
    if a.cluster_only:
        write_cluster_only(a.cluster_only, "bench/cluster.sh")
        return 0
    if a.missed:
        for p in missed_profiles(evaluate(load_results())):
            print(p)
        return 0
    if a.write and a.chart_data:
        write_doc(a.write, a.chart_data, a.elapsed, a.command)
        return 0
    ap.print_usage(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
