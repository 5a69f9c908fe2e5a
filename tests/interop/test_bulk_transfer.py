#!/usr/bin/python3
"""Bulk transfers between synack and Linux over an impaired TUN, beside
Linux <-> Linux through `synack relay` with the same impairment and seed.

    test_bulk_transfer.py PATH_TO_SYNACK [-v] [--full] [--only LOSS] [--pcap-dir DIR]
                          [--linux-cc cubic|reno|bbr]
                                                                        (as root)

For each loss rate, every synack runs with `--impair loss=P%,delay=20ms,seed=7`
(both directions of its TUN: 40 ms round trip) and four transfers run:

    synack->linux  `synack connect --send FILE --shutdown-after-send` to a kernel
                   server that reads and hashes (SHA-256) on the fly
    linux->synack  a kernel server sends FILE to `synack connect --out OUT`
    linux->linux   A -> B and B -> A between this namespace and a second one,
                   joined by `synack relay --tun A --tun B --impair <same spec>`

Each must deliver the file byte for byte (SHA-256), finish within its deadline,
and never go 10 s (30 s at 5 % loss, see CASES) without new bytes at the
receiver (no stall).
Goodput is printed in a table beside Linux <-> Linux; speed ratios are
reported, never asserted.

The kernel's senders use CUBIC (`--linux-cc` to change it), synack's default:
a kernel whose default is BBR, which ignores random loss, would otherwise run
some 35 times faster than any loss-based sender at 1 % loss.

Sizes: by default (ctest) 64 MiB at 0 %, 16 MiB at 1 % and 2 MiB at 5 % loss,
a few minutes in all; `--full` is the issue's 1 GiB at every rate (about 40 min
at 1 % and over 2 h at 5 % for a loss-based sender at 40 ms: run it by hand). `--only 1` runs one
rate. `--pcap-dir DIR` keeps synack's captures (large at --full). Transfers over lossy links run at the same time (they are limited by
loss, not CPU); at 0 % loss they run one after another.
"""
import hashlib
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

FULL = "--full" in sys.argv
ONLY = None
if "--only" in sys.argv:
    i = sys.argv.index("--only")
    ONLY = float(sys.argv[i + 1])
    del sys.argv[i:i + 2]
if FULL:
    sys.argv.remove("--full")
# The kernel senders' congestion control. This machine's default may be BBR,
# which does not back off on random loss; CUBIC is synack's default, so it is
# the like-for-like baseline. `--linux-cc bbr` shows the other.
LINUX_CC = "cubic"
if "--linux-cc" in sys.argv:
    i = sys.argv.index("--linux-cc")
    LINUX_CC = sys.argv[i + 1]
    del sys.argv[i:i + 2]
PCAP_DIR = None   # --pcap-dir DIR: keep synack's captures there, for a closer look
if "--pcap-dir" in sys.argv:
    i = sys.argv.index("--pcap-dir")
    PCAP_DIR = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]

SEED = 7
DELAY = "20ms"
# (loss %, bytes, lowest rate that counts as finishing in bytes/s, stall
# seconds). The deadline of a transfer is 60 s + bytes / rate: generous for a
# sender that recovers every loss by timeout (about 0.15 MB/s at 1 % and
# 40 KB/s at 5 % here), so that only a transfer that nearly stops misses it.
# A stall is that many seconds without new bytes at the receiver. A sender's
# RTO doubles each time a retransmission or its ACK is lost (probability ~2p
# per round): from ~1 s it passes 10 s after 3 such rounds and 30 s after 5,
# so at 5 % loss a correct Linux sender goes 10 s without progress about once
# in a thousand backed-off timeouts (seen once in 5 runs), 30 s far more rarely.
CASES = [(0, 64 * MiB, 1 * MiB, 10.0), (1, 16 * MiB, 48 * 1024, 10.0),
         (5, 2 * MiB, 12 * 1024, 30.0)]
if FULL:
    CASES = [(p, 1024 * MiB, r, st) for p, _, r, st in CASES]
if ONLY is not None:
    CASES = [c for c in CASES if c[0] == ONLY]
STALL_S = {loss: stall for loss, _, _, stall in CASES}
NSB = f"sk-bulk-b-{os.getpid()}"
LIBC, CLONE_NEWNET = L.LIBC, L.CLONE_NEWNET
ROWS = []           # (direction, loss, bytes, seconds, goodput bit/s) per transfer
FILES = {}          # size -> (path, SHA-256)


def capture(label):
    return ["--pcap", os.path.join(PCAP_DIR, f"{label}.pcap")] if PCAP_DIR else []


def spec(loss):
    return f"loss={loss}%,delay={DELAY},seed={SEED}"


def linux_cc(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, LINUX_CC.encode())


def deadline_s(size, rate):
    return 60 + size / rate


def data_file(size):
    """A file of `size` pseudo-random bytes (one per size), and its SHA-256."""
    if size not in FILES:
        path = L.ENV.path(f"data-{size}.bin")
        FILES[size] = (path, L.random_file(path, size, seed=size))
    return FILES[size]


# ------------------------------------------------------------- progress
class Progress:
    """Bytes seen by a receiver over time: the longest stretch without new
    bytes (from the start, and until EOF or now) is the stall measure."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.last = self.t0
        self.bytes = 0
        self.gap = 0.0
        self.end = None

    def add(self, n):
        now = time.monotonic()
        if n > 0:
            self.gap = max(self.gap, now - self.last)
            self.last = now
            self.bytes += n

    def finish(self):
        self.end = time.monotonic()
        self.gap = max(self.gap, self.end - self.last)

    def longest_gap(self):
        return max(self.gap, (self.end or time.monotonic()) - self.last)


def read_hashing(conn, progress, deadline, stall):
    """Reads to EOF hashing; returns (SHA-256, EOF reached). Gives up after
    `stall` seconds without new bytes."""
    h = hashlib.sha256()
    while (left := deadline - time.monotonic()) > 0:
        conn.settimeout(min(left, 1.0))
        try:
            chunk = conn.recv(1 << 20)
        except socket.timeout:
            if progress.longest_gap() > stall:
                return h.hexdigest(), False
            continue
        if not chunk:
            progress.finish()
            return h.hexdigest(), True
        h.update(chunk)
        progress.add(len(chunk))
    return h.hexdigest(), False


def in_netns(ns, fn):
    """Runs fn() on the calling thread after moving that thread (only) into
    namespace `ns`; used inside worker threads."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(L.ctypes.get_errno(), "setns")
    finally:
        os.close(fd)
    return fn()


def verdict(size, want, got, eof, progress, limit, stall):
    """The problem with a finished transfer, or None."""
    if progress.longest_gap() > stall:
        return (f"stalled: {progress.longest_gap():.1f} s without new bytes "
                f"({progress.bytes} of {size} received)")
    if not eof:
        return f"{progress.bytes} of {size} bytes within {limit:.0f} s"
    if progress.bytes != size:
        return f"EOF after {progress.bytes} of {size} bytes"
    if got != want:
        return "SHA-256 differs from the file's"
    return None


# ------------------------------------------------------------- transfers
def synack_sends(idx, loss, size, rate):
    path, want = data_file(size)
    tun, net, port = f"bk{idx}s", f"10.86.{2 * idx}", 6000 + 2 * idx
    limit = deadline_s(size, rate)
    srv = socket.create_server(("0.0.0.0", port))
    progress = Progress()
    p = L.connect(tun, f"{net}.2", f"{net}.1", f"{net}.1:{port}", "--send", path,
                  "--shutdown-after-send", "--out", "/dev/null", "--impair", spec(loss),
                  *capture(f"connect-send-{loss}"), pcap=False, label=f"connect-send-{loss}")
    deadline = progress.t0 + limit
    srv.settimeout(10)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return None, f"no connection within 10 s (connect: {L.status(p.poll())}){p.tail()}"
    finally:
        srv.close()
    with conn:
        got, eof = read_hashing(conn, progress, deadline, STALL_S[loss])
    secs = (progress.end or time.monotonic()) - progress.t0
    problem = verdict(size, want, got, eof, progress, limit, STALL_S[loss])
    rc = p.wait(max(5.0, deadline - time.monotonic()))
    if problem is None and rc != 0:
        problem = ("connect still running after the server closed" if rc is None else
                   f"connect: {L.status(rc)}, expected 0{p.tail()}")
    p.stop()
    return (secs, progress.longest_gap()), problem


def synack_receives(idx, loss, size, rate):
    path, want = data_file(size)
    tun, net, port = f"bk{idx}r", f"10.86.{2 * idx + 1}", 6001 + 2 * idx
    limit = deadline_s(size, rate)
    out = L.ENV.path(f"recv-{idx}.bin")
    srv = socket.create_server(("0.0.0.0", port))
    progress = Progress()
    p = L.connect(tun, f"{net}.2", f"{net}.1", f"{net}.1:{port}", "--out", out,
                  "--impair", spec(loss), *capture(f"connect-recv-{loss}"), pcap=False,
                  label=f"connect-recv-{loss}")
    deadline = progress.t0 + limit
    srv.settimeout(10)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return None, f"no connection within 10 s (connect: {L.status(p.poll())}){p.tail()}"
    finally:
        srv.close()

    def send():
        linux_cc(conn)
        with conn, open(path, "rb") as f:
            conn.sendfile(f)   # close() then sends the FIN after the data
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    # synack writes what it reads to OUT as it goes: its size is the progress.
    rc = None
    while (rc := p.poll()) is None and time.monotonic() < deadline:
        if os.path.exists(out):
            progress.add(os.path.getsize(out) - progress.bytes)
        if progress.longest_gap() > STALL_S[loss]:
            break
        time.sleep(0.1)
    if os.path.exists(out):
        progress.add(os.path.getsize(out) - progress.bytes)
    if rc is not None:
        progress.finish()
    secs = (progress.end or time.monotonic()) - progress.t0
    p.stop()
    sender.join(5)
    got = L.sha256_file(out) if os.path.exists(out) else ""
    problem = verdict(size, want, got, rc is not None, progress, limit, STALL_S[loss])
    if problem is None and rc != 0:
        problem = f"connect: {L.status(rc)}, expected 0{p.tail()}"
    if os.path.exists(out):
        os.unlink(out)
    return (secs, progress.longest_gap()), problem


def linux_pair(idx, loss, size, rate, a_to_b, net):
    """Linux -> Linux through the relay: a sender in one namespace, a
    receiver in the other (A is this test's namespace, B is NSB)."""
    path, want = data_file(size)
    port = 7000 + 2 * idx + (0 if a_to_b else 1)
    limit = deadline_s(size, rate)
    dst = f"{net}.2" if a_to_b else f"{net}.1"
    ready, res = threading.Event(), {}
    progress = Progress()

    def receiver():
        srv = socket.create_server(("0.0.0.0", port))
        ready.set()
        srv.settimeout(10)
        conn, _ = srv.accept()
        srv.close()
        with conn:
            res["got"], res["eof"] = read_hashing(conn, progress, progress.t0 + limit,
                                                  STALL_S[loss])

    def sender():
        ready.wait(10)
        progress.t0 = progress.last = time.monotonic()
        with socket.socket() as s, open(path, "rb") as f:
            linux_cc(s)
            s.settimeout(10)
            s.connect((dst, port))
            s.settimeout(limit)
            s.sendfile(f)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)   # the receiver's close

    rx = (lambda: in_netns(NSB, receiver)) if a_to_b else receiver
    tx = sender if a_to_b else (lambda: in_netns(NSB, sender))
    _, errors = L.run_threads([rx, tx], limit + 15)
    secs = (progress.end or time.monotonic()) - progress.t0
    for e in errors:
        if e is not None:
            return (secs, progress.longest_gap()), f"{e.__class__.__name__}: {e}"
    return ((secs, progress.longest_gap()),
            verdict(size, want, res.get("got"), res.get("eof"), progress, limit, STALL_S[loss]))


def start_relay(idx, loss):
    """`synack relay` between TUN A (here, NET.1) and TUN B (in NSB, NET.2)."""
    a, b, net = f"rl{idx}a", f"rl{idx}b", f"10.86.{100 + idx}"
    p = L.Proc([L.ENV.bin, "relay", "--tun", a, "--tun", b, "--impair", spec(loss)],
               name=f"relay-{loss}")
    want = f"ready {a} {b}"
    L.wait_until(lambda: want in p.stdout_lines() or not p.running(), 5)
    if want not in p.stdout_lines():
        p.stop()
        raise Fail(f"relay did not print {want!r}: {L.status(p.poll())}{p.tail()}")
    L.sh("ip", "link", "set", b, "netns", NSB)
    L.sh("ip", "addr", "add", f"{net}.1/24", "dev", a)
    L.sh("ip", "link", "set", a, "up")
    L.sh("ip", "-n", NSB, "addr", "add", f"{net}.2/24", "dev", b)
    L.sh("ip", "-n", NSB, "link", "set", b, "up")
    return p, net


# ------------------------------------------------------------- checks
def make_check(idx, loss, size, rate):
    def check():
        relay, net = start_relay(idx, loss)
        jobs = [("synack->linux", lambda: synack_sends(idx, loss, size, rate)),
                ("linux->synack", lambda: synack_receives(idx, loss, size, rate)),
                ("linux->linux A->B", lambda: linux_pair(idx, loss, size, rate, True, net)),
                ("linux->linux B->A", lambda: linux_pair(idx, loss, size, rate, False, net))]
        data_file(size)   # before any clock starts
        limit = deadline_s(size, rate) + 30
        if loss > 0:
            results, errors = L.run_threads([fn for _, fn in jobs], limit)
        else:   # limited by CPU: one at a time, so that each has both cores
            results, errors = [], []
            for _, fn in jobs:
                r, e = L.run_threads([fn], limit)
                results.append(r[0])
                errors.append(e[0])
        relay.stop()
        problems, parts = [], []
        for (name, _), r, e in zip(jobs, results, errors):
            if e is not None:
                problems.append(f"{name}: {e.__class__.__name__}: {e}")
                continue
            figures, problem = r
            if figures is not None:
                secs, gap = figures
                ROWS.append((name, loss, size, secs, size * 8 / secs))
                parts.append(f"{name} {secs:.1f} s ({size * 8 / secs / 1e6:.2f} Mbit/s, "
                             f"longest gap {gap:.1f} s)")
            if problem:
                problems.append(f"{name}: {problem}")
        if problems:
            raise Fail("; ".join(problems))
        return f"{size // MiB} MiB each way identical (SHA-256), no stall: " + ", ".join(parts)
    return check


def check_table():
    """Prints goodput, synack beside Linux <-> Linux, per direction and loss."""
    if not ROWS:
        raise Fail("no transfer finished")
    by = {(name, loss): (size, secs, bps) for name, loss, size, secs, bps in ROWS}
    print(f"{'direction':<15} {'loss':>5} {'bytes':>11} {'seconds':>8} {'synack Mbit/s':>14} "
          f"{'linux<->linux':>14} {'ratio':>6}")
    for name, ref in (("synack->linux", "linux->linux A->B"),
                      ("linux->synack", "linux->linux B->A")):
        for loss, _, _, _ in CASES:
            if (name, loss) not in by:
                continue
            size, secs, bps = by[(name, loss)]
            lin = by.get((ref, loss))
            lin_s = f"{lin[2] / 1e6:14.2f}" if lin else f"{'n/a':>14}"
            ratio = f"{bps / lin[2]:6.2f}" if lin else f"{'n/a':>6}"
            print(f"{name:<15} {loss:>4}% {size:>11} {secs:>8.1f} {bps / 1e6:>14.2f} {lin_s} {ratio}")
    print(f"(impairment loss=P%,delay={DELAY},seed={SEED} on each direction; "
          f"linux<->linux through `synack relay` with the same spec; "
          f"kernel senders use {LINUX_CC})", flush=True)
    return f"{len(ROWS)} transfers"


def setup():
    # A second namespace for the relay's B side; one left by a run that was
    # SIGKILLed (its pid is gone) is removed first.
    for name in L.sh("ip", "netns", "list", check=False).split():
        if name.startswith("sk-bulk-b-") and name[10:].isdigit() and \
                not os.path.exists(f"/proc/{name[10:]}"):
            L.sh("ip", "netns", "del", name, check=False)
    L.sh("ip", "netns", "add", NSB)
    L.sh("ip", "-n", NSB, "link", "set", "lo", "up")


CHECKS = [(f"bulk-{loss}pct-loss", make_check(i, loss, size, rate))
          for i, (loss, size, rate, _) in enumerate(CASES)] + [("goodput-table", check_table)]


def run():
    try:
        return L.main("sk-bulk", CHECKS, setup=setup)
    finally:
        os.system(f"ip netns del {NSB} 2>/dev/null")


if __name__ == "__main__":
    sys.exit(run())
