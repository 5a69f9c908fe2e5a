#!/usr/bin/python3
"""`synack serve --buffer-budget` against Linux's TCP clients over TUN.

    test_buffer_budget.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py) synack serves `--app echo`
on sk0 (10.82.0.2:7, the kernel at 10.82.0.1) with a 16 KiB budget for all
its connections' buffers, far below what 8 busy connections would hold (each
buffer may grow to megabytes).  Eight kernel sockets each send 2 MiB while
reading the echo back.  Every echo must come back byte-exact, the budget must
show in SIGUSR1's table and in the `buffers:` line --stats prints at exit,
which must say the budget refused growth and held the peak near it.  Prints
PASS/FAIL per check and `N passed, M failed`.
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

TUN, ADDR, HOST, PORT = "sk0", "10.82.0.2", "10.82.0.1", 7
BUDGET = 16 * 1024
CLIENTS, SIZE = 8, 2 * MiB
# Past the budget: each buffer's first 4 KiB block (granted to an empty
# buffer, so no connection stalls) and the records of segments in flight.
SLACK_PER_CONNECTION = 2 * 4096 + 8192
STATE = {}
BUFFERS = re.compile(r"buffers: held (\d+) peak (\d+) budget (\d+) cached (\d+) blocks (\d+) "
                     r"reused (\d+) refusals (\d+) forced (\d+)")


def need():
    p = STATE.get("serve")
    if p is None:
        raise Fail("not run: the serve did not start")
    if not p.running():
        raise Fail(f"not run: the serve ended: {L.status(p.poll())}{p.tail()}")
    return p


def buffers_line(text, what):
    m = BUFFERS.findall(text)
    if not m:
        raise Fail(f"no `buffers: ...` line in {what}: {text[-300:]!r}")
    keys = ("held", "peak", "budget", "cached", "blocks", "reused", "refusals", "forced")
    return dict(zip(keys, (int(x) for x in m[-1])))


def check_serve_ready():
    STATE["serve"] = L.serve(TUN, ADDR, HOST, PORT, "echo", "--buffer-budget", "16K", "--stats")
    table = STATE["serve"].connection_table()
    b = buffers_line(STATE["serve"].last_table_text, "SIGUSR1's table")
    if b["budget"] != BUDGET or b["held"] != 0:
        raise Fail(f"idle: {b}; expected budget {BUDGET}, nothing held")
    return f"ready; idle table {len(table)} row(s), buffers {b}"


def connection_row(port):
    """The serve's table row and statistics line for the kernel's port."""
    try:
        p = need()
        p.connection_table()
        lines = p.last_table_text.splitlines()
    except Fail as e:
        return str(e)
    kernel = L.run(["ss", "-tinmoH", "sport", "=", str(port)], timeout=5).stdout.decode(
        errors="replace").split()
    for k, line in enumerate(lines):
        if line.rstrip().endswith(f"{HOST}:{port}"):
            return (" | ".join(x.strip() for x in lines[k:k + 2]) + "; the kernel's side: "
                    + " ".join(kernel))
    return f"no row for {HOST}:{port}"


def echo_one(i, results):
    data = os.urandom(SIZE)
    want = hashlib.sha256(data).hexdigest()
    try:
        s = L.kernel_connect(ADDR, PORT)
    except Fail as e:
        results[i] = f"#{i}: {e}"
        return
    err = []
    port = s.getsockname()[1]

    def writer():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    # Set before the writer starts: sendall's timeout covers the whole send
    # (kernel_connect left 5 s), and recv_all's deadline matches it.
    s.settimeout(60)
    deadline = time.monotonic() + 60
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    with s:
        try:
            got = L.recv_all(s, deadline=deadline)
        except OSError as e:
            results[i] = f"#{i}: socket error: {e}; synack's side: {connection_row(port)}"
            return
    th.join(5)
    n = len(got)
    if err:
        results[i] = f"#{i}: the writer failed: {err[0]} after {n} bytes echoed"
    elif n != SIZE:
        results[i] = (f"#{i}: {n} bytes echoed for {SIZE} within 60 s; synack's side: "
                      f"{connection_row(port)}")
    elif hashlib.sha256(got).hexdigest() != want:
        results[i] = f"#{i}: {n} bytes echoed, SHA-256 differs"
    else:
        results[i] = None


def check_echo_under_budget():
    """Eight kernel sockets echo 2 MiB each at once; a table taken mid-way
    shows the budget, and no more held than it allows."""
    p = need()
    results = [f"#{i}: did not finish" for i in range(CLIENTS)]
    threads = [threading.Thread(target=echo_one, args=(i, results), daemon=True)
               for i in range(CLIENTS)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    time.sleep(0.3)
    p.connection_table()
    mid = buffers_line(p.last_table_text, "SIGUSR1's table during the echoes")
    drops = sum(int(x) for x in re.findall(r"mem_drops:(\d+)", p.last_table_text))
    for th in threads:
        th.join(120)
    dt = time.monotonic() - t0
    problems = [r for r in results if r]
    if problems:
        raise Fail("; ".join(problems))
    limit = BUDGET + CLIENTS * SLACK_PER_CONNECTION
    if mid["held"] > limit:
        raise Fail(f"mid-way the serve held {mid['held']} bytes, more than {limit}: {mid}")
    STATE["echo_seconds"] = dt
    return (f"{CLIENTS} x 2 MiB echoed byte-exact in {dt:.2f} s "
            f"({L.mib_per_s(CLIENTS * SIZE, dt):.1f} MiB/s each way); mid-way held "
            f"{mid['held']} B, refusals {mid['refusals']}, receive drops {drops}")


def check_stats_at_exit():
    """SIGTERM: exit 0, and --stats' `buffers:` line says the budget held."""
    p = need()
    L.stop_serve(p)
    b = buffers_line(p.stderr(), "the --stats output at exit")
    limit = BUDGET + CLIENTS * SLACK_PER_CONNECTION
    if b["budget"] != BUDGET:
        raise Fail(f"budget {b['budget']}, expected {BUDGET}: {b}")
    if b["refusals"] == 0:
        raise Fail(f"no refusals: 8 echoing connections never wanted more than 16 KiB? {b}")
    if b["peak"] > limit:
        raise Fail(f"peak {b['peak']} bytes held, more than {limit} = the budget and "
                   f"{SLACK_PER_CONNECTION} per connection: {b}")
    return (f"peak {b['peak']} B held (bound {limit}), refusals {b['refusals']}, "
            f"forced {b['forced']}, blocks {b['blocks']}")


CHECKS = [
    ("serve-ready-16K", check_serve_ready),
    ("echo-8x2MiB-under-budget", check_echo_under_budget),
    ("stats-at-exit", check_stats_at_exit),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-budget", CHECKS, tools=["tshark"]))
