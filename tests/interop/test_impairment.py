#!/usr/bin/python3
"""Transfers between Linux and synack through synack's seeded fault injector.

    test_impairment.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), every synack runs with

    --impair loss=2%,dup=1%,reorder=25%,delay=50ms,seed=N

(both directions of its TUN; N differs per process):

    sk0  10.83.0.2:7   serve --app echo           the kernel sends 2 MiB and reads
                                                  the echo at the same time
    sk1  10.83.1.2:19  serve --app source:2097152 synack -> kernel, 2 MiB
    sk2  10.83.2.2     connect --send FILE --shutdown-after-send
                                                  synack -> a kernel server 10.83.2.1:5001,
                                                  2 MiB
    sk3  10.83.3.2     connect --out FILE         a kernel server 10.83.3.1:5002 sends
                                                  4 MiB and closes

The four run at the same time (each on its own TUN); each must deliver the
same bytes (SHA-256) and finish within its bound (BOUNDS), printed with the
time it took.  synack's sender has no fast retransmit or SACK yet, so every
lost segment costs a retransmission timeout and a restart from one segment:
where synack sends, the size is 2 MiB (4 MiB took about 77 s); the bounds are
about 3x the times observed on a 2-core machine.  Every capture is checked
with tshark at the end.
"""
import contextlib
import hashlib
import os
import select
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

SPEC = "loss=2%,dup=1%,reorder=25%,delay=50ms"
SIZES = {"echo": 2 * MiB, "source": 2 * MiB, "connect-send": 2 * MiB, "connect-recv": 4 * MiB}
ECHO = ("sk0", "10.83.0.2", "10.83.0.1", 7, 11)
SOURCE = ("sk1", "10.83.1.2", "10.83.1.1", 19, 12)
CONN_SEND = ("sk2", "10.83.2.2", "10.83.2.1", 5001, 13)
CONN_RECV = ("sk3", "10.83.3.2", "10.83.3.1", 5002, 14)
# Seconds each transfer may take: about 3x the slowest of several runs of this
# script on a 2-core machine (all four at once), which took
#   echo 38-45 s, source 37-38 s, connect-send 26-28 s, connect-recv 10-12 s
# (about 50-75 KiB/s when synack sends: each loss costs an RTO of >= 200 ms
# and a restart from one segment; the kernel's sender recovers faster).
BOUNDS = {"echo": 135, "source": 115, "connect-send": 85, "connect-recv": 40}
RESULTS = {}        # name -> (seconds, problem or None) once finished
THREADS = {}


def impair(seed):
    return f"{SPEC},seed={seed}"


def timed(name, fn):
    """Runs fn() in a thread; RESULTS[name] = (seconds, problem-or-None)."""
    def run():
        t0 = time.monotonic()
        try:
            problem = fn()
        except Fail as e:
            problem = str(e)
        except Exception as e:  # noqa: BLE001
            problem = f"unexpected {e.__class__.__name__}: {e}"
        RESULTS[name] = (time.monotonic() - t0, problem)
    t = threading.Thread(target=run, daemon=True)
    THREADS[name] = t
    t.start()


def read_hash(s, deadline):
    """Reads to EOF or the deadline: (SHA-256, bytes, reached EOF).  The socket
    stays blocking (a writer thread may share it); select() keeps the time."""
    h, n = hashlib.sha256(), 0
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([s], [], [], min(left, 1.0))[0]:
            continue
        chunk = s.recv(1 << 18)
        if not chunk:
            return h.hexdigest(), n, True
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n, False


# -------------------------------------------------------------- transfers
def echo_transfer(p):
    _, addr, _, port, _ = ECHO
    size = SIZES["echo"]
    data = os.urandom(size)
    deadline = time.monotonic() + BOUNDS["echo"]
    s = L.kernel_connect(addr, port, timeout=10)
    s.settimeout(None)
    err = []

    def writer():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    with s:
        try:
            digest, n, eof = read_hash(s, deadline)
        except OSError as e:
            return f"socket error: {e}"
        finally:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)     # wakes a writer still blocked in send
            w.join(5)
    if err:
        return f"the writer failed: {err[0]}"
    if n != size or not eof:
        return f"{n} of {size} bytes echoed" + ("" if eof else f" within {BOUNDS['echo']} s")
    if digest != L.sha256(data):
        return "SHA-256 of the echo differs"
    return None


def source_transfer(p):
    _, addr, _, port, _ = SOURCE
    size = SIZES["source"]
    deadline = time.monotonic() + BOUNDS["source"]
    with L.kernel_connect(addr, port, timeout=10) as s:
        try:
            digest, n, eof = read_hash(s, deadline)
        except OSError as e:
            return f"socket error: {e}"
    if n != size or not eof:
        return f"{n} of {size} bytes" + ("" if eof else f" within {BOUNDS['source']} s")
    if digest != L.pattern_sha256(size):
        return "SHA-256 differs from the pattern's"
    return None


def connect_send_transfer(srv, p, want):
    deadline = time.monotonic() + BOUNDS["connect-send"]
    srv.settimeout(10)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return f"no connection within 10 s (connect: {L.status(p.poll())}){p.tail()}"
    with conn:
        try:
            digest, n, eof = read_hash(conn, deadline)
        except OSError as e:
            return f"the server's read failed: {e}"
    rc = p.wait(max(0.0, deadline - time.monotonic()))
    size = SIZES["connect-send"]
    if n != size or not eof:
        return f"the server got {n} of {size} bytes" + (
            "" if eof else f" within {BOUNDS['connect-send']} s")
    if digest != want:
        return "SHA-256 of what the server got differs"
    if rc != 0:
        return ("connect still running after the server closed" if rc is None else
                f"connect: {L.status(rc)}, expected 0{p.tail()}")
    return None


def connect_recv_transfer(srv, p, out, data):
    deadline = time.monotonic() + BOUNDS["connect-recv"]
    srv.settimeout(10)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return f"no connection within 10 s (connect: {L.status(p.poll())}){p.tail()}"
    with conn:
        try:
            conn.sendall(data)
        except OSError as e:
            return f"the server's send failed: {e}"
    rc = p.wait(max(0.0, deadline - time.monotonic()))
    if rc is None:
        return f"connect still running after {BOUNDS['connect-recv']} s"
    if rc != 0:
        return f"connect: {L.status(rc)}, expected 0{p.tail()}"
    got = open(out, "rb").read()
    if L.sha256(got) != L.sha256(data):
        return "--out: " + L.describe_mismatch(got, data)
    return None


# ------------------------------------------------------------------- checks
def check_start_all():
    """Starts the two serves, the two kernel servers and the two connects, and
    the four transfers (at the same time)."""
    tun, addr, host, port, seed = ECHO
    echo = L.serve(tun, addr, host, port, "echo", "--impair", impair(seed))
    tun, addr, host, port, seed = SOURCE
    source = L.serve(tun, addr, host, port, f"source:{SIZES['source']}", "--impair", impair(seed))
    timed("echo", lambda: echo_transfer(echo))
    timed("source", lambda: source_transfer(source))

    # The kernel's servers listen on the wildcard address: the TUN and its
    # address appear only when `synack connect` starts.
    tun, addr, host, port, seed = CONN_SEND
    path = L.ENV.path("send.bin")
    want = L.random_file(path, SIZES["connect-send"], seed=83)
    srv1 = socket.create_server(("0.0.0.0", port))
    c1 = L.connect(tun, addr, host, f"{host}:{port}", "--send", path, "--shutdown-after-send",
                   "--impair", impair(seed), label="connect-send")
    timed("connect-send", lambda: connect_send_transfer(srv1, c1, want))

    tun, addr, host, port, seed = CONN_RECV
    data, out = os.urandom(SIZES["connect-recv"]), L.ENV.path("recv.bin")
    srv2 = socket.create_server(("0.0.0.0", port))
    c2 = L.connect(tun, addr, host, f"{host}:{port}", "--out", out, "--impair", impair(seed),
                   label="connect-recv")
    timed("connect-recv", lambda: connect_recv_transfer(srv2, c2, out, data))
    return f"4 transfers under {SPEC} running"


def result(name):
    THREADS[name].join(BOUNDS[name] + 15)
    if name not in RESULTS:
        raise Fail(f"still running {BOUNDS[name] + 15} s after it started")
    took, problem = RESULTS[name]
    if problem:
        raise Fail(f"{problem} (after {took:.1f} s)")
    if took > BOUNDS[name]:
        raise Fail(f"identical content, but took {took:.1f} s, bound {BOUNDS[name]} s")
    return (f"{SIZES[name] >> 20} MiB identical (SHA-256) in {took:.1f} s "
            f"({L.mib_per_s(SIZES[name], took):.3f} MiB/s), bound {BOUNDS[name]} s")


def make_check(name):
    def check():
        if name not in THREADS:
            raise Fail("not run: the set-up failed")
        return result(name)
    return check


CHECKS = [("start-transfers", check_start_all)] + [
    (f"impaired-{name}", make_check(name))
    for name in ("echo", "source", "connect-send", "connect-recv")] + [
    ("pcaps", None)]

if __name__ == "__main__":
    sys.exit(L.main("sk-impair", CHECKS, tools=["tshark"]))
