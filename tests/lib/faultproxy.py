#!/usr/bin/env python3
"""faultproxy.py - a TCP relay in front of a server (the test MariaDB) whose
faults a test switches on and off, to take "the database" away from a running
integrity-server and give it back. The one fault proxy of the tests: the
integration tests import FaultProxy (through tests/integration/harness.py),
the e2e scripts run it as a command. Not a load balancer, not for production.

Modes (FaultProxy.set_mode, or the methods of the same name):
  forward    bytes flow both ways.
  cut        every relayed connection is closed at once, and new connections
             are accepted and closed at once (the peer sees FIN/RST).
  refuse     as cut, and the port stops listening: new connections are
             refused. Leaving it listens again on the same port.
  blackhole  bytes stop moving both ways, and new connections are accepted
             but never answered (no FIN, no RST), as when a network drops
             packets. Leaving it closes the connections that lived through it
             (their peers have timed out) and traffic flows again.
set_mode() returns once the mode holds (a refused port is closed, ...).

Chaos, on top of any mode (for tests/integration/test_chaos.py):
  cut_all()     closes every connection being relayed at this moment, once;
                the mode does not change, so new connections are relayed.
  random_cuts(mean_bytes, seed)
                from now on every relayed connection is closed after a
                random number of relayed bytes (both directions together,
                drawn from a seeded RNG, exponential with that mean): the
                bytes up to that number are passed on, so the cut lands
                anywhere, inside a packet of a query or of a result too.
                A share of the cuts (rst_share) resets the connections
                (RST) instead of closing them (FIN). random_cuts(None)
                stops it, for live connections too.
  stats()       counts: connections relayed, cut by cut_all, cut by budget.

Command line:
  faultproxy.py --listen PORT --target PORT [--target-host HOST]
                [--mode MODE] [--fault MODE] [--random-cuts BYTES [--seed N]]
  Listens on 127.0.0.1:PORT (0: a free port), relays to HOST:PORT (default
  127.0.0.1) in --mode (default forward), with random cuts after BYTES
  relayed bytes on average when given, and prints "listening PORT" once it
  accepts. SIGUSR1 switches to --fault (default refuse), SIGUSR2 back to
  forward (each prints "mode MODE"); SIGTERM and SIGINT exit 0.
"""
import argparse
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

MODES = ("forward", "cut", "refuse", "blackhole")


def hard_close(s):
    """Shut down and close a socket, ignoring errors (it may be gone)."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


def reset_close(s):
    """Close a socket with an RST (SO_LINGER 0), ignoring errors."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


class FaultProxy:
    """127.0.0.1:<port> -> <target_host>:<target_port>, in one of MODES."""

    def __init__(self, target_port, target_host="127.0.0.1", listen_port=0, mode="forward"):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.target = (target_host, int(target_port))
        self.mode = mode
        self.closed = False
        self.lock = threading.Lock()
        self.pairs = []   # (client, upstream) being relayed
        self.held = []    # clients accepted in blackhole, never answered
        self.lsock = None
        self.port = int(listen_port)
        # random cuts (random_cuts): None when off, else the mean budget;
        # the generation tells a pump whether its budget is still current
        self._cut_mean = None
        self._cut_rst_share = 0.0
        self._cut_gen = 0
        self._rng = random.Random(0)
        self._stats = {"relayed": 0, "cut_all": 0, "budget_cuts": 0}
        self._listening = threading.Event()   # the accept loop's state, for set_mode
        self._refused = threading.Event()
        self._listen()   # even when refusing: the port is known from the start
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    # ---- switching ----

    def set_mode(self, mode):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        with self.lock:
            old, self.mode = self.mode, mode
            if mode in ("cut", "refuse") or (old == "blackhole" and mode != "blackhole"):
                self._shut_pairs()
                stale, self.held = self.held, []
            else:
                stale = []
            if mode == "refuse":
                self._listening.clear()
            else:
                self._refused.clear()
        for c in stale:
            hard_close(c)
        # The accept loop owns the listening socket: wait until it has
        # closed or reopened it, so the mode holds when this returns.
        if mode == "refuse" and old != "refuse":
            self._refused.wait(5)
        elif mode != "refuse" and old == "refuse":
            self._listening.wait(5)

    def forward(self):
        self.set_mode("forward")

    def cut(self):
        self.set_mode("cut")

    def refuse(self):
        self.set_mode("refuse")

    def blackhole(self):
        self.set_mode("blackhole")

    def cut_all(self):
        """Close every connection relayed now (FIN to both peers), once; the
        mode stays, so the next connections are relayed. Returns how many."""
        with self.lock:
            self._stats["cut_all"] += len(self.pairs)
            return self._shut_pairs()

    def _shut_pairs(self):
        """Shut down both sockets of every relayed pair (FIN to the peers),
        with self.lock held. Only shut down: the pump of each pair wakes up,
        unlists it and closes it, so no descriptor is closed under a thread
        still using it (and maybe reused meanwhile by a new connection)."""
        for a, b in self.pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(self.pairs)

    def random_cuts(self, mean_bytes, seed=None, rst_share=0.5):
        """From now on close each relayed connection after a random number of
        relayed bytes (exponential, mean mean_bytes; RNG seeded with seed),
        with an RST for rst_share of them. None: no more random cuts, live
        connections included."""
        with self.lock:
            self._cut_gen += 1
            if mean_bytes is None:
                self._cut_mean = None
                return
            if mean_bytes <= 0:
                raise ValueError("mean_bytes must be positive")
            self._cut_mean = float(mean_bytes)
            self._cut_rst_share = float(rst_share)
            self._rng = random.Random(seed)

    def stats(self):
        with self.lock:
            return dict(self._stats)

    def _draw_budget(self):
        """(generation, bytes before the cut or None, reset?) for a new pair."""
        with self.lock:
            if self._cut_mean is None:
                return self._cut_gen, None, False
            budget = int(self._rng.expovariate(1.0 / self._cut_mean))
            return self._cut_gen, budget, self._rng.random() < self._cut_rst_share

    def close(self):
        self.closed = True
        with self.lock:
            self._shut_pairs()
            stale, self.held = self.held, []
        for c in stale:
            hard_close(c)
        self.thread.join(timeout=5)

    # ---- the relay ----

    def _listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(128)
        s.settimeout(0.1)
        self.port = s.getsockname()[1]
        self.lsock = s
        self._listening.set()

    def _accept_loop(self):
        try:
            while not self.closed:
                if self.mode == "refuse":
                    if self.lsock is not None:
                        hard_close(self.lsock)
                        self.lsock = None
                    self._refused.set()
                    time.sleep(0.02)
                    continue
                try:
                    if self.lsock is None:
                        self._listen()   # the same port as before
                    client, _ = self.lsock.accept()
                except socket.timeout:
                    continue
                except OSError:   # the port still taken, an aborted connection
                    time.sleep(0.02)
                    continue
                self._accepted(client)
        finally:
            if self.lsock is not None:
                hard_close(self.lsock)
                self.lsock = None

    def _accepted(self, client):
        mode = self.mode
        if mode == "blackhole":
            with self.lock:
                self.held.append(client)
            return
        if mode != "forward":
            hard_close(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            hard_close(client)
            return
        pair = (client, upstream)
        budget = self._draw_budget()
        with self.lock:
            self.pairs.append(pair)
            self._stats["relayed"] += 1
        threading.Thread(target=self._pump, args=pair + (budget,), daemon=True).start()

    def _pump(self, a, b, budget=(0, None, False)):
        gen, left, reset = budget
        budget_cut = False
        try:
            while not self.closed:
                mode = self.mode
                if mode == "blackhole":
                    time.sleep(0.02)
                    continue
                if mode != "forward":
                    return
                readable, _, _ = select.select([a, b], [], [], 0.1)
                if self.mode != "forward":
                    continue
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    if left is not None and gen == self._cut_gen:
                        if len(data) >= left:
                            # pass on the bytes up to the budget, then cut
                            (b if s is a else a).sendall(data[:left])
                            with self.lock:
                                self._stats["budget_cuts"] += 1
                            budget_cut = True
                            return
                        left -= len(data)
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            # Out of the list first: _shut_pairs() touches only listed pairs,
            # under the lock, so never a closed (maybe reused) descriptor.
            with self.lock:
                if (a, b) in self.pairs:
                    self.pairs.remove((a, b))
            close = reset_close if budget_cut and reset else hard_close
            close(a)
            close(b)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, default=0, metavar="PORT",
                    help="port on 127.0.0.1 (0: a free one; default 0)")
    ap.add_argument("--target", type=int, required=True, metavar="PORT")
    ap.add_argument("--target-host", default="127.0.0.1", metavar="HOST")
    ap.add_argument("--mode", choices=MODES, default="forward", help="mode at start")
    ap.add_argument("--fault", choices=MODES, default="refuse",
                    help="mode SIGUSR1 switches to (SIGUSR2: forward)")
    ap.add_argument("--random-cuts", type=int, default=None, metavar="BYTES",
                    help="cut each relayed connection after BYTES relayed bytes on average")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random cuts")
    args = ap.parse_args(argv)

    proxy = FaultProxy(args.target, args.target_host, args.listen, args.mode)
    if args.random_cuts is not None:
        proxy.random_cuts(args.random_cuts, args.seed)
    stop = threading.Event()

    def switch(mode):
        # Not in the signal handler: set_mode waits for the accept loop.
        def run():
            proxy.set_mode(mode)
            print(f"mode {mode}", flush=True)
        threading.Thread(target=run, daemon=True).start()

    signal.signal(signal.SIGUSR1, lambda *_: switch(args.fault))
    signal.signal(signal.SIGUSR2, lambda *_: switch("forward"))
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening {proxy.port}", flush=True)
    while not stop.wait(0.5):
        pass
    proxy.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
