#!/usr/bin/python3
"""The article's SYN flood over real interfaces: spoofed SYNs from a raw socket
against `synack serve` (SYN cookies off, on, auto) and against the Linux
kernel's listener (net.ipv4.tcp_syncookies 0 and 1), side by side.

    test_syn_flood.py PATH_TO_SYNACK [-v]      (as root)

Everything happens in namespaces this test creates (see interop_lib.py):

    sk-flood-PID   this process; the flooder and the legitimate clients
      skf0..2      TUN to `synack serve` at 10.86.{0,1,2}.2:80 (echo),
                   --syn-backlog 64 --backlog 64 --syncookies off|on|auto
      sfa          veth 10.87.0.1/24 to the Linux namespace
    skflin-PID     a Python echo server, listen(64), at 10.87.0.2:80 (sfb)

Spoofed sources are random addresses in 10.88.0.0/16, which nobody owns:
the SYN-ACKs to them come back into sk-flood-PID and are dropped there
(no such address, no forwarding).  Each phase floods 2000 SYN/s, 100 times
the legitimate rate of 20 kernel connects/s; a legitimate connect succeeds
when its handshake and a 4-byte echo finish within 3 s.
"""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

LEGIT_RATE = 20          # connects per second
ATTACK_RATE = 2000       # spoofed SYNs per second (100x)
LEGIT_SECONDS = 5        # legitimate connects are started for this long, under flood
FILL_SECONDS = 1.0       # flood alone first, so the queues are full
DEADLINE = 3.0           # seconds for handshake + echo
BACKLOG = 64
LIN = f"skflin-{os.getpid()}"
SYNACK_TARGETS = {"off": ("skf0", "10.86.0.2", "10.86.0.1"),
                  "on": ("skf1", "10.86.1.2", "10.86.1.1"),
                  "auto": ("skf2", "10.86.2.2", "10.86.2.1")}
LINUX_ADDR, LINUX_GW = "10.87.0.2", "10.87.0.1"
RESULTS = {}             # label -> (attempts, successes, p50 ms, p99 ms)

ECHO_SERVER = f"""
import socket, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{LINUX_ADDR}", 80))
s.listen({BACKLOG})
print("ready", flush=True)
def echo(c):
    try:
        c.settimeout(5)
        c.sendall(c.recv(64))
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
"""


# ------------------------------------------------------------------ flooder
def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def spoofed_syn(rng, dst, port):
    src = bytes([10, 88, rng.randrange(256), rng.randrange(1, 255)])
    sport, seq = rng.randrange(1024, 65535), rng.getrandbits(32)
    opts = b"\x02\x04\x05\xb4"                                   # MSS 1460
    tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + opts
    tcp = tcp[:16] + struct.pack("!H", checksum(src + dst + struct.pack("!BBH", 0, 6, len(tcp))
                                                + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def flood_main(dst, port, rate, seconds):
    """Child process: prebuilt spoofed SYNs through a raw socket, paced."""
    rng = random.Random(port * 7919 + int(rate))
    d = socket.inet_aton(dst)
    packets = [spoofed_syn(rng, d, port) for _ in range(int(rate * seconds) + 1)]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    print("go", flush=True)
    t0, sent = time.monotonic(), 0
    while sent < len(packets):
        due = min(len(packets), int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            try:
                s.sendto(packets[sent], (dst, 0))
            except OSError:
                pass                                              # a full queue: drop, go on
            sent += 1
        time.sleep(0.002)
    print(f"sent {sent}", flush=True)


# --------------------------------------------------------------- one phase
def legit_clients(addr):
    """LEGIT_RATE connects per second for LEGIT_SECONDS; returns [(ok, ms)]."""
    results, threads = [], []
    lock = threading.Lock()

    def one():
        t0 = time.monotonic()
        ok = False
        try:
            with socket.create_connection((addr, 80), timeout=DEADLINE) as c:
                c.settimeout(max(0.05, DEADLINE - (time.monotonic() - t0)))
                c.sendall(b"ping")
                ok = c.recv(16) == b"ping"
        except OSError:
            pass
        took = time.monotonic() - t0
        with lock:
            results.append((ok and took <= DEADLINE, took * 1000))

    t0 = time.monotonic()
    for k in range(int(LEGIT_RATE * LEGIT_SECONDS)):
        time.sleep(max(0.0, t0 + k / LEGIT_RATE - time.monotonic()))
        t = threading.Thread(target=one, daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(DEADLINE + 2)
    return results


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.4999)) - 1))] if v else 0.0


def phase(label, addr):
    seconds = FILL_SECONDS + LEGIT_SECONDS + DEADLINE + 0.5
    flood = L.Proc([sys.executable, os.path.abspath(__file__), "--flood", addr, 80, ATTACK_RATE,
                    seconds], name=f"flood-{label}")
    L.wait_until(lambda: "go" in flood.stdout_lines() or flood.poll() is not None, 20)
    if "go" not in flood.stdout_lines():
        raise Fail(f"the flooder did not start: {flood.stderr()[-300:]}")
    time.sleep(FILL_SECONDS)
    res = legit_clients(addr)
    flood.wait(seconds + 5)
    flood.stop()
    ok = [ms for good, ms in res if good]
    RESULTS[label] = (len(res), len(ok), pct(ok, 50), pct(ok, 99))
    return RESULTS[label]


def describe(label):
    n, ok, p50, p99 = RESULTS[label]
    return f"{ok}/{n} legitimate connects ({100.0 * ok / max(1, n):.1f} %), p50 {p50:.0f} ms, " \
           f"p99 {p99:.0f} ms"


# -------------------------------------------------------------------- checks
def synack_phase(mode):
    tun, addr, host = SYNACK_TARGETS[mode]
    serve = L.serve(tun, addr, host, 80, "echo", "--syn-backlog", BACKLOG, "--backlog", BACKLOG,
                    "--syncookies", mode, pcap=False, label=f"serve-{mode}")
    try:
        phase(f"synack {mode}", addr)
    finally:
        L.stop_serve(serve, f"serve --syncookies {mode}")


def linux_phase(syncookies):
    L.sh("ip", "netns", "exec", LIN, "sysctl", "-q", "-w",
         f"net.ipv4.tcp_syncookies={syncookies}")
    server = L.Proc(["ip", "netns", "exec", LIN, sys.executable, "-c", ECHO_SERVER],
                    name=f"linux-echo-{syncookies}")
    try:
        L.wait_until(lambda: "ready" in server.stdout_lines() or server.poll() is not None, 10)
        if "ready" not in server.stdout_lines():
            raise Fail(f"the Linux echo server did not start: {server.stderr()[-300:]}")
        phase(f"linux tcp_syncookies={syncookies}", LINUX_ADDR)
    finally:
        server.stop()


def check_synack_off_degraded():
    """Cookies off: the spoofed entries fill the SynQueue and legitimate SYNs
    are dropped -- the article's failure."""
    synack_phase("off")
    n, ok, _, _ = RESULTS["synack off"]
    if ok >= 0.5 * n:
        raise Fail(describe("synack off") + "; expected under 50 % with cookies off")
    return describe("synack off")


def check_synack_on_serves():
    synack_phase("on")
    n, ok, _, _ = RESULTS["synack on"]
    if ok < 0.99 * n:
        raise Fail(describe("synack on") + "; expected at least 99 %")
    return describe("synack on")


def check_synack_auto_serves():
    synack_phase("auto")
    n, ok, _, _ = RESULTS["synack auto"]
    if ok < 0.99 * n:
        raise Fail(describe("synack auto") + "; expected at least 99 %")
    return describe("synack auto")


def check_linux_syncookies_0_degraded():
    linux_phase(0)
    label = "linux tcp_syncookies=0"
    n, ok, _, _ = RESULTS[label]
    if ok >= 0.5 * n:
        raise Fail(describe(label) + "; expected the kernel without cookies to fail too")
    return describe(label)


def check_linux_syncookies_1():
    linux_phase(1)
    return describe("linux tcp_syncookies=1")


def check_side_by_side():
    rows = [f"{'listener':<24} {'attempts':>8} {'success':>8} {'rate %':>7} {'p50 ms':>7} "
            f"{'p99 ms':>7}"]
    for label, (n, ok, p50, p99) in RESULTS.items():
        rows.append(f"{label:<24} {n:>8} {ok:>8} {100.0 * ok / max(1, n):>7.1f} {p50:>7.0f} "
                    f"{p99:>7.0f}")
    print(f"  SYN flood, {ATTACK_RATE} spoofed SYN/s vs {LEGIT_RATE} connects/s, "
          f"backlog {BACKLOG}:\n  " + "\n  ".join(rows), flush=True)
    if len(RESULTS) != 5:
        raise Fail(f"only {len(RESULTS)} of 5 phases ran")
    return "table above"


def setup():
    for name in L.sh("ip", "netns", "list", check=False).split():
        if name.startswith("skflin-") and not os.path.exists(f"/proc/{name.split('-')[1]}"):
            L.sh("ip", "netns", "del", name, check=False)
    L.sh("ip", "netns", "add", LIN)
    L.sh("ip", "link", "add", "sfa", "type", "veth", "peer", "name", "sfb", "netns", LIN)
    L.sh("ip", "addr", "add", f"{LINUX_GW}/24", "dev", "sfa")
    L.sh("ip", "link", "set", "sfa", "up")
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "addr", "add", f"{LINUX_ADDR}/24", "dev", "sfb"],
                ["ip", "link", "set", "sfb", "up"],
                # Without a route to the spoofed sources the kernel would not
                # even queue their SYNs; this one leads back to us, a dead end.
                ["ip", "route", "add", "default", "via", LINUX_GW]):
        L.sh("ip", "netns", "exec", LIN, *cmd)


CHECKS = [
    ("synack_cookies_off_flood_drops_legitimate_clients", check_synack_off_degraded),
    ("synack_cookies_on_serves_under_flood", check_synack_on_serves),
    ("synack_cookies_auto_serves_under_flood", check_synack_auto_serves),
    ("linux_syncookies_0_flood_drops_legitimate_clients", check_linux_syncookies_0_degraded),
    ("linux_syncookies_1_under_flood", check_linux_syncookies_1),
    ("side_by_side", check_side_by_side),
]

if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--flood":
        flood_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
        sys.exit(0)
    try:
        rc = L.main("sk-flood", CHECKS, setup=setup)
    finally:
        subprocess.run(["ip", "netns", "del", LIN], capture_output=True)
    sys.exit(rc)
