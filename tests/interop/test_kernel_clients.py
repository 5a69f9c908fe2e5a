#!/usr/bin/python3
"""Linux's TCP clients (nc, curl, Python sockets) against `synack serve` over TUN.

    test_kernel_clients.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), synack serves on four
TUN devices it creates itself, each with its own /24 and its own capture:

    sk0  10.80.0.2:7   --app echo                  (nc, sockets, many connections)
    sk1  10.80.1.2:80  --app source:16777216       (curl --http0.9)
    sk2  10.80.2.2:23  --app source:200            (curl telnet://)
    sk3  10.80.3.2:19  --app source:104857600      (sockets, 100 MiB)

The kernel's side of each TUN is 10.80.N.1.  Every capture is checked with
tshark at the end.  Prints PASS/FAIL per check and `N passed, M failed`.
"""
import hashlib
import os
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

ECHO = ("sk0", "10.80.0.2", "10.80.0.1", 7)
CURL_HTTP = ("sk1", "10.80.1.2", "10.80.1.1", 80)
CURL_TELNET = ("sk2", "10.80.2.2", "10.80.2.1", 23)
SOURCE_BIG = ("sk3", "10.80.3.2", "10.80.3.1", 19)
HTTP_N, TELNET_N, BIG_N = 16 * MiB, 200, 100 * MiB
SERVES = {}          # tun -> Synack


def need(tun):
    p = SERVES.get(tun)
    if p is None:
        raise Fail(f"not run: the serve on {tun} did not start")
    if not p.running():
        raise Fail(f"not run: the serve on {tun} ended: {L.status(p.poll())}{p.tail()}")
    return p


def start(where, app):
    tun, addr, host, port = where
    SERVES[tun] = L.serve(tun, addr, host, port, app)


# ------------------------------------------------------------------- checks
def check_serves_ready():
    """All four serves print their ready line (the kernel side comes up)."""
    problems = []
    for where, app in ((ECHO, "echo"), (CURL_HTTP, f"source:{HTTP_N}"),
                       (CURL_TELNET, f"source:{TELNET_N}"), (SOURCE_BIG, f"source:{BIG_N}")):
        try:
            start(where, app)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "4 serves ready"


def check_nc_echo_1mib():
    need("sk0")
    data = os.urandom(MiB)
    path = L.ENV.path("nc-in.bin")
    with open(path, "wb") as f:
        f.write(data)
    _, addr, _, port = ECHO
    t0 = time.monotonic()
    with open(path, "rb") as stdin:
        # -N: shut the socket down for writing at EOF on stdin, then read
        # until synack closes (the echo app closes once everything went back).
        r = L.run(["nc", "-N", "-w", "10", addr, str(port)], timeout=30, input=stdin.read())
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise Fail(f"nc: {L.status(r.returncode)}, {len(r.stdout)} bytes back; "
                   f"stderr {r.stderr.decode(errors='replace').strip()[:160]!r}")
    if r.stdout != data:
        raise Fail("nc: " + L.describe_mismatch(r.stdout, data))
    return f"1 MiB sent and echoed back byte-exact in {dt:.2f} s"


def check_curl_http09_source():
    """curl --http0.9 reads the raw bytes of --app source:16777216.  curl sends a
    request first; the source app drains it before closing (N is four times
    synack's 4 MiB send buffer, so the request arrives before the close)."""
    need("sk1")
    _, addr, _, port = CURL_HTTP
    out = L.ENV.path("curl-http.out")
    t0 = time.monotonic()
    r = L.run(["curl", "-s", "-S", "--http0.9", "--max-time", "20", "-o", out,
               f"http://{addr}:{port}/"], timeout=30)
    dt = time.monotonic() - t0
    got = open(out, "rb").read() if os.path.exists(out) else b""
    if r.returncode != 0:
        raise Fail(f"curl: {L.status(r.returncode)} after {len(got)} bytes; "
                   f"stderr {r.stderr.decode(errors='replace').strip()[:160]!r}")
    want = L.pattern(HTTP_N)
    if got != want:
        raise Fail("curl --http0.9: " + L.describe_mismatch(got, want))
    return f"{HTTP_N} bytes, byte i = i mod 256, in {dt:.2f} s"


def check_curl_telnet_source():
    """curl telnet:// sends nothing and prints what arrives.  It interprets 0xFF
    (telnet IAC), so N stays below 255: bytes 0..199, then synack closes."""
    need("sk2")
    _, addr, _, port = CURL_TELNET
    r = L.run(["curl", "-s", "-S", "--max-time", "10", f"telnet://{addr}:{port}"], timeout=20,
              input=b"")
    if r.returncode != 0:
        raise Fail(f"curl: {L.status(r.returncode)} after {len(r.stdout)} bytes; "
                   f"stderr {r.stderr.decode(errors='replace').strip()[:160]!r}")
    want = L.pattern(TELNET_N)
    if r.stdout != want:
        raise Fail("curl telnet://: " + L.describe_mismatch(r.stdout, want))
    return f"{TELNET_N} bytes, byte i = i, then a clean close"


def check_sockets_100mib_echo():
    """100 MiB kernel -> synack and back at the same time: a writer thread
    sends while this thread reads the echo; SHA-256 compared."""
    need("sk0")
    _, addr, _, port = ECHO
    data = os.urandom(BIG_N)
    want = L.sha256(data)
    s = L.kernel_connect(addr, port)
    err = []

    def writer():
        try:
            view = memoryview(data)
            for off in range(0, len(data), MiB):
                s.sendall(view[off:off + MiB])
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    h, n = hashlib.sha256(), 0
    t0 = time.monotonic()
    deadline = t0 + 60
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    with s:
        try:
            while time.monotonic() < deadline:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = s.recv(1 << 18)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
        except OSError as e:
            raise Fail(f"socket error after {n} bytes echoed: {e}") from None
        dt = time.monotonic() - t0
        th.join(5)
    if err:
        raise Fail(f"the writer failed: {err[0]} ({n} bytes echoed)")
    if n != BIG_N:
        raise Fail(f"{n} bytes echoed for {BIG_N} sent within {dt:.1f} s")
    if h.hexdigest() != want:
        raise Fail(f"{n} bytes echoed, SHA-256 differs")
    return (f"100 MiB each way in {dt:.2f} s ({L.mib_per_s(BIG_N, dt):.1f} MiB/s each way), "
            f"SHA-256 equal")


def check_sockets_100mib_source():
    """100 MiB synack -> kernel from --app source:104857600; SHA-256 of the pattern."""
    need("sk3")
    _, addr, _, port = SOURCE_BIG
    h, n = hashlib.sha256(), 0
    s = L.kernel_connect(addr, port)
    t0 = time.monotonic()
    deadline = t0 + 60
    with s:
        try:
            while time.monotonic() < deadline:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = s.recv(1 << 18)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
        except OSError as e:
            raise Fail(f"socket error after {n} bytes: {e}") from None
    dt = time.monotonic() - t0
    if n != BIG_N:
        raise Fail(f"{n} bytes before EOF, expected {BIG_N}")
    if h.hexdigest() != L.pattern_sha256(BIG_N):
        raise Fail(f"{n} bytes, SHA-256 differs from the pattern's")
    return f"100 MiB in {dt:.2f} s ({L.mib_per_s(BIG_N, dt):.1f} MiB/s), SHA-256 equal"


def short_exchange(i):
    """connect, send 100 bytes, read the echo, close.  Returns None or a problem."""
    _, addr, _, port = ECHO
    msg = bytes((i * 7 + k) % 256 for k in range(100))
    try:
        with socket.create_connection((addr, port), timeout=10) as s:
            s.sendall(msg)
            got = L.recv_all(s, limit=100, deadline=time.monotonic() + 10)
            if got != msg:
                return f"connection {i}: " + L.describe_mismatch(got, msg)
            s.shutdown(socket.SHUT_WR)
            rest = L.recv_all(s, deadline=time.monotonic() + 10)   # synack's FIN
            if rest:
                return f"connection {i}: {len(rest)} unexpected bytes after the echo"
    except OSError as e:
        return f"connection {i}: {e}"
    return None


def check_200_sequential():
    need("sk0")
    t0 = time.monotonic()
    problems = [p for p in (short_exchange(i) for i in range(200)) if p]
    dt = time.monotonic() - t0
    if problems:
        raise Fail(f"{len(problems)} of 200 failed, first: {problems[0]}")
    return f"200 connections byte-exact in {dt:.2f} s ({200 / dt:.0f}/s)"


def check_50_concurrent():
    need("sk0")
    t0 = time.monotonic()
    barrier = threading.Barrier(50, timeout=10)

    def one(i):
        barrier.wait()          # all 50 connect at once
        return short_exchange(1000 + i)
    results, errors = L.run_threads([lambda i=i: one(i) for i in range(50)], timeout=40)
    dt = time.monotonic() - t0
    problems = [str(e) for e in errors if e] + [r for r in results if r]
    if problems:
        raise Fail(f"{len(problems)} of 50 failed, first: {problems[0]}")
    return f"50 concurrent connections byte-exact in {dt:.2f} s"


def check_still_serving():
    """After all of the above, synack still answers and its table is sane."""
    p = need("sk0")
    if short_exchange(5000):
        raise Fail("a fresh connection failed after the load")
    rows = p.connection_table()
    if not any(r[0] == "LISTEN" for r in rows):
        raise Fail(f"no LISTEN row in the SIGUSR1 table: {rows[:5]}")
    live = [r for r in rows if r[0] not in ("LISTEN", "TIME-WAIT")]
    if live:
        time.sleep(1.0)
        live = [r for r in p.connection_table() if r[0] not in ("LISTEN", "TIME-WAIT")]
    if live:
        raise Fail(f"{len(live)} connections not closed 1 s after the load: {live[:3]}")
    # The listener's line under LISTEN: empty queues, every completed
    # handshake accepted, and nothing dropped (no flood here).
    m = dict(re.findall(r"(\w+):(\d+)", p.last_table_text.split("LISTEN", 1)[1].split("\n")[1]))
    counters = {k: int(v) for k, v in m.items()}
    if (counters.get("syn_queue") != 0 or counters.get("accept_queue") != 0
            or counters.get("established", 0) < 251
            or counters.get("accepted") != counters.get("established")
            or counters.get("syn_queue_drops") != 0 or counters.get("overflows") != 0):
        raise Fail(f"listener counters not as expected: {counters}")
    tw = sum(1 for r in rows if r[0] == "TIME-WAIT")
    # The kernel closed first every time (shutdown after the echo): its
    # TIME-WAIT sockets (60 s) count the short connections that really ran.
    _, addr, _, port = ECHO
    ktw = sum(1 for r in L.ss_states("time-wait") if r[2] == f"{addr}:{port}")
    if ktw < 251:
        raise Fail(f"only {ktw} kernel TIME-WAIT sockets toward {addr}:{port}, expected at "
                   f"least 251 (200 sequential + 50 concurrent + 1)")
    return (f"fresh connection ok; synack's table: LISTEN ({counters['established']} handshakes, "
            f"all accepted), {tw} TIME-WAIT, nothing else; "
            f"{ktw} kernel TIME-WAIT sockets")


def check_bad_args():
    """One line on stderr and exit status 2 for each bad argument."""
    base = ["serve", "--tun", "skbad", "--addr", "10.80.9.2/24", "--host-addr", "10.80.9.1/24",
            "--port", "7", "--app", "echo"]
    cases = [("bad CIDR /33", "--addr", "10.80.9.2/33"),
             ("bad CIDR 256.1.1.1/24", "--addr", "256.1.1.1/24"),
             ("bad CIDR text", "--addr", "tendoteight"),
             ("bad --host-addr CIDR", "--host-addr", "10.80.9.1/40"),
             ("port 0", "--port", "0"),
             ("port 65536", "--port", "65536"),
             ("port -1", "--port", "-1"),
             ("unknown app", "--app", "nosuch"),
             ("bad source size", "--app", "source:lots"),
             ("missing --tun", "--tun", None)]
    problems = []
    for what, opt, bad in cases:
        args = list(base)
        i = args.index(opt)
        if bad is None:
            del args[i:i + 2]
        else:
            args[i + 1] = bad
        p = L.Synack(args, label=f"bad-args {what}")
        rc = p.wait(3)
        if rc is None:
            p.stop()
            problems.append(f"{what}: still running after 3 s")
            continue
        err = p.stderr().strip().splitlines()
        if rc != 2 or len(err) != 1 or p.stdout():
            problems.append(f"{what}: {L.status(rc)}, {len(err)} stderr lines, "
                            f"{len(p.stdout())} stdout bytes; expected exit status 2 and one "
                            f"line on stderr{p.tail(2)}")
    if problems:
        raise Fail("; ".join(problems))
    return f"{len(cases)} cases: exit status 2, one line on stderr"


def check_no_permission():
    """Without root (setpriv to nobody, no capabilities) serve cannot create
    its TUN: one line naming the problem, exit status 2 (the contract)."""
    p = L.Proc(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", L.ENV.bin, "serve", "--tun", "sknoperm", "--addr",
                "10.80.9.2/24", "--host-addr", "10.80.9.1/24", "--port", "7", "--app", "echo"],
               name="serve as nobody")
    rc = p.wait(3)
    if rc is None:
        p.stop()
        raise Fail("still running after 3 s as nobody")
    err = p.stderr().strip().splitlines()
    if rc != 2 or len(err) != 1 or "permission" not in err[0].lower():
        raise Fail(f"{L.status(rc)}, stderr {err[:3]}; expected exit status 2 and one line "
                   f"about the missing permission")
    return f"exit status 2: {err[0]!r}"


def check_sigterm():
    problems = []
    for tun in ("sk0", "sk1", "sk2", "sk3"):
        try:
            L.stop_serve(need(tun), f"serve on {tun}")
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "every serve exited 0 on SIGTERM"


CHECKS = [
    ("serves-ready", check_serves_ready),
    ("nc-echo-1MiB", check_nc_echo_1mib),
    ("curl-http0.9-source-16MiB", check_curl_http09_source),
    ("curl-telnet-source-200", check_curl_telnet_source),
    ("sockets-echo-100MiB-each-way", check_sockets_100mib_echo),
    ("sockets-source-100MiB", check_sockets_100mib_source),
    ("200-sequential-connections", check_200_sequential),
    ("50-concurrent-connections", check_50_concurrent),
    ("still-serving", check_still_serving),
    ("bad-args", check_bad_args),
    ("no-permission-exit-2", check_no_permission),
    ("sigterm-exit-0", check_sigterm),
    ("pcaps", None),                  # one tshark check per capture
]

if __name__ == "__main__":
    sys.exit(L.main("sk-kclients", CHECKS, tools=["nc", "curl", "tshark", "ss", "setpriv"]))
