#!/usr/bin/python3
"""bench/cluster_kill.py - what a Galera node's death costs, for bench/cluster.sh.

Drives a bounded mixed load (plain POST /products and GET /products/<id>;
no Idempotency-Key) at one server whose DATABASE_URL lists the three nodes,
SIGKILLs a node with `scripts/galera.sh kill N` (GALERA_DIR and GALERA_PORT
come from the environment), restarts it with `scripts/galera.sh restart N`
(which returns once the node is Synced), lets the load run on, then stops it
and checks the nodes:

  - every answer with its time (raw CSV: --raw);
  - 503s: how many, and from when to when, relative to the kill;
  - any other 5xx (must be 0) and requests that got no answer;
  - writes lost: POSTs answered 201 whose id is missing on any node (must be 0);
  - reads of an id this client had been answered 201 for that came back 404
    (read-your-writes; must be 0);
  - POSTs answered 503 (or not at all) whose row exists anyway: they committed
    before the connection died (what an Idempotency-Key is for);
  - CHECKSUM TABLE ... EXTENDED of users, products and product_history on the
    three nodes once the killed node is back (must be equal).

One JSON line goes to --out (appended), a summary to stdout. Standard library
only. The load is bounded in count (--max-requests) and time (every phase
has a deadline; each request times out after 30 s). Exit status: 0 when the
measurement ran, whatever it found (a benchmark reports; it does not fail on
figures); 2 when it could not run (galera.sh failed, no server).
"""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

REQUEST_TIMEOUT = 30.0
RESTART_TIMEOUT = 300


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--token", required=True)
    ap.add_argument("--galera", required=True, help="path of scripts/galera.sh")
    ap.add_argument("--node", type=int, default=1, help="the node to kill (1-3)")
    ap.add_argument("--socket", action="append", required=True,
                    help="each node's Unix socket, node 1 first (root, no password)")
    ap.add_argument("--db", default="data_integrity_task")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--before", type=float, default=5.0, help="s of load before the kill")
    ap.add_argument("--down", type=float, default=10.0, help="s between the kill and the restart")
    ap.add_argument("--after", type=float, default=5.0, help="s of load once the node is back")
    ap.add_argument("--max-requests", type=int, default=300000)
    ap.add_argument("--read-ids", default="1,1,100", help="FIRST,STEP,COUNT of seeded ids")
    ap.add_argument("--out", required=True, help="JSON lines file to append the summary to")
    ap.add_argument("--raw", help="CSV of every answer: t_sent,t_answered,kind,status,ms")
    ap.add_argument("--label", default="cluster")
    return ap.parse_args()


class Load:
    """Workers sharing one request budget and one stop flag."""

    def __init__(self, a):
        u = urllib.parse.urlsplit(a.base)
        self.host, self.port = u.hostname, u.port or 80
        self.token = a.token
        first, step, count = (int(x) for x in a.read_ids.split(","))
        self.seeded = [first + k * step for k in range(count)]
        self.budget = a.max_requests
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.log = []            # (t_sent, t_answered, kind, status, ms)
        self.created = []        # ids answered 201
        self.failed_names = []   # names of POSTs answered 503 or not at all
        self.read_404_acked = 0  # reads of an id answered 201 to us, answered 404
        self.errors = {}         # exception class -> count (requests with no answer)
        self.t0 = time.monotonic()

    def take(self):
        with self.lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True

    def worker(self, w, deadline):
        rnd = random.Random(w)
        conn = None
        mine = []
        i = 0
        hdr = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        while not self.stop.is_set() and time.monotonic() < deadline and self.take():
            i += 1
            kind = "create" if rnd.random() < 0.5 else "read"
            name = f"kill-{w}-{i}"
            acked_read = False
            if kind == "create":
                body = json.dumps({"name": name, "description": "bench/cluster_kill.py",
                                   "price": 1 + i % 97, "quantity": i % 50})
                method, path = "POST", "/products"
            else:
                if mine and rnd.random() < 0.5:
                    pid, acked_read = rnd.choice(mine), True
                else:
                    pid = rnd.choice(self.seeded)
                method, path, body = "GET", f"/products/{pid}", None
            t_sent = time.monotonic()
            status, data = 0, b""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port,
                                                      timeout=REQUEST_TIMEOUT)
                conn.request(method, path, body=body, headers=hdr)
                r = conn.getresponse()
                data = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.errors[type(e).__name__] = self.errors.get(type(e).__name__, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
            t_ans = time.monotonic()
            if kind == "create" and status == 201:
                try:
                    pid = json.loads(data)["id"]
                except (ValueError, KeyError, TypeError):
                    pid = None
                if pid is not None:
                    mine.append(pid)
                    with self.lock:
                        self.created.append(pid)
            elif kind == "create" and status in (0, 503):
                with self.lock:
                    self.failed_names.append(name)
            elif kind == "read" and acked_read and status == 404:
                with self.lock:
                    self.read_404_acked += 1
            with self.lock:
                self.log.append((t_sent - self.t0, t_ans - self.t0, kind, status,
                                 (t_ans - t_sent) * 1000.0))
            if status == 0:
                time.sleep(0.05)  # no answer: do not spin on a refused connection
        if conn is not None:
            conn.close()


def galera(a, *args, timeout):
    t = time.monotonic()
    p = subprocess.run([a.galera] + [str(x) for x in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    out = p.stdout.decode(errors="replace").strip()
    if p.returncode != 0:
        raise RuntimeError(f"galera.sh {' '.join(map(str, args))} failed ({p.returncode}): {out}")
    return out, time.monotonic() - t


def sql(sock, query, db=None, timeout=60):
    cmd = ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot", "-N", "-B"]
    if db:
        cmd.append(f"--database={db}")
    p = subprocess.run(cmd + ["-e", query], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{sock}: {query!r}: {p.stderr.decode(errors='replace').strip()}")
    return [line.split("\t") for line in p.stdout.decode().splitlines() if line]


def checksums(a):
    """CHECKSUM TABLE of the three tables on every node, once each node has applied
    everything committed before (wsrep_sync_wait); tried up to 10 times, 1 s apart,
    until all agree. -> (equal, [per node dict], tries)"""
    q = (f"SET SESSION wsrep_sync_wait = 15; SELECT COUNT(*) FROM `{a.db}`.products; "
         f"CHECKSUM TABLE `{a.db}`.users, `{a.db}`.products, `{a.db}`.product_history EXTENDED")
    sums = []
    for tries in range(1, 11):
        sums = []
        for s in a.socket:
            rows = sql(s, q)
            sums.append({r[0].split(".")[-1]: r[1] for r in rows if len(r) == 2 and "." in r[0]})
        if all(x == sums[0] for x in sums[1:]):
            return True, sums, tries
        time.sleep(1)
    return False, sums, 10


def main():
    a = parse_args()
    load = Load(a)
    phase_deadline = a.before + a.down + RESTART_TIMEOUT + a.after + 30
    deadline = time.monotonic() + phase_deadline
    threads = [threading.Thread(target=load.worker, args=(w, deadline), daemon=True)
               for w in range(a.workers)]
    for t in threads:
        t.start()
    kill_out = restart_out = ""
    t_kill = t_restart = t_synced = None
    failure = None
    try:
        time.sleep(a.before)
        t_kill = time.monotonic() - load.t0
        kill_out, _ = galera(a, "kill", a.node, timeout=60)
        time.sleep(a.down)
        t_restart = time.monotonic() - load.t0
        restart_out, _ = galera(a, "restart", a.node, timeout=RESTART_TIMEOUT)
        t_synced = time.monotonic() - load.t0
        time.sleep(a.after)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        failure = str(e)
    finally:
        load.stop.set()
        for t in threads:
            t.join(REQUEST_TIMEOUT + 10)
    t_end = time.monotonic() - load.t0

    if a.raw:
        with open(a.raw, "w", encoding="utf-8") as f:
            f.write("t_sent,t_answered,kind,status,ms\n")
            for ts, ta, k, st, ms in sorted(load.log):
                f.write(f"{ts:.4f},{ta:.4f},{k},{st},{ms:.2f}\n")
    if failure:
        print(f"cluster_kill: could not complete: {failure}", file=sys.stderr)
        with open(a.out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"config": a.label, "scenario": "node_kill",
                                "failed": failure}) + "\n")
        return 2

    log = load.log
    statuses = {}
    for _, _, k, st, _ in log:
        key = f"{k} {st}"
        statuses[key] = statuses.get(key, 0) + 1
    f503 = sorted(ta for _, ta, _, st, _ in log if st == 503)
    other5 = sum(1 for x in log if x[3] >= 500 and x[3] != 503)
    noans = sum(1 for x in log if x[3] == 0)

    def ok_rate(lo, hi):
        n = sum(1 for x in log if lo <= x[1] < hi and 200 <= x[3] < 300)
        return n / (hi - lo) if hi > lo else None

    # which POSTs that got 503 or nothing committed anyway, and what each node has
    names = set(load.failed_names)
    committed_anyway = 0
    if names:
        rows = sql(a.socket[0], "SET SESSION wsrep_sync_wait = 15; "
                   "SELECT name FROM products WHERE name LIKE 'kill-%'", db=a.db)
        committed_anyway = sum(1 for r in rows if r[0] in names)
    lost = []
    for s in a.socket:
        have = {int(r[0]) for r in sql(s, "SET SESSION wsrep_sync_wait = 15; "
                                          "SELECT id FROM products", db=a.db)}
        lost.append(sum(1 for i in load.created if i not in have))
    equal, sums, tries = checksums(a)

    rejoin = None
    for line in restart_out.splitlines():
        if "Synced in" in line:
            try:
                rejoin = float(line.split("Synced in")[1].split()[0])
            except (ValueError, IndexError):
                pass
    s = {
        "config": a.label, "scenario": "node_kill", "node": a.node, "workers": a.workers,
        "requests": len(log), "seconds": round(t_end, 2), "statuses": statuses,
        "t_kill": round(t_kill, 3), "t_restart": round(t_restart, 3),
        "t_synced": round(t_synced, 3), "rejoin_s": rejoin,
        "n503": len(f503),
        "first_503_after_kill_s": round(f503[0] - t_kill, 3) if f503 else None,
        "last_503_after_kill_s": round(f503[-1] - t_kill, 3) if f503 else None,
        "window_503_s": round(f503[-1] - f503[0], 3) if f503 else 0.0,
        "seconds_with_503": len({int(t) for t in f503}),
        "other_5xx": other5, "no_answer": noans, "errors": load.errors,
        "created_201": len(load.created), "lost_per_node": lost,
        "read_404_of_acked": load.read_404_acked,
        "post_failed": len(names), "post_failed_committed": committed_anyway,
        "checksums_equal": equal, "checksum_tries": tries, "checksums": sums,
        "ok_rps_before": round(ok_rate(0.5, t_kill), 1),
        "ok_rps_down": round(ok_rate(t_kill, t_restart), 1),
        "ok_rps_rejoin": round(ok_rate(t_restart, t_synced), 1) if t_synced > t_restart else None,
        "ok_rps_after": round(ok_rate(t_synced, t_end), 1) if t_end > t_synced else None,
        "max_ms": round(max((x[4] for x in log), default=0.0), 1),
        "max_ms_near_kill": round(max((x[4] for x in log if t_kill - 1 <= x[0] <= t_kill + 15),
                                      default=0.0), 1),
    }
    with open(a.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(s) + "\n")
    print(f"cluster_kill: {s['requests']} requests in {s['seconds']} s by {a.workers} clients; "
          f"node {a.node} killed at {s['t_kill']} s, restarted at {s['t_restart']} s, Synced at "
          f"{s['t_synced']} s")
    if f503:
        print(f"cluster_kill: 503: {len(f503)} answers from +{s['first_503_after_kill_s']} s to "
              f"+{s['last_503_after_kill_s']} s after the kill (window {s['window_503_s']} s)")
    else:
        print("cluster_kill: 503: none")
    print(f"cluster_kill: other 5xx {other5}, no answer {noans} {load.errors or ''}; "
          f"201s {len(load.created)}, lost per node {lost}; reads of acknowledged creates "
          f"answered 404: {load.read_404_acked}; POSTs answered 503/nothing {len(names)}, of "
          f"which committed anyway {committed_anyway}; checksums equal: {equal} "
          f"(try {tries})")
    print(f"cluster_kill: 2xx/s before {s['ok_rps_before']}, node down {s['ok_rps_down']}, "
          f"rejoining {s['ok_rps_rejoin']}, after {s['ok_rps_after']}; statuses {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
