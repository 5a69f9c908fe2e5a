#!/usr/bin/python3
"""Conformance defects that need the CLI, as the Linux kernel sees them over TUN.

    test_conformance.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py):

    sk0  10.86.0.2:7   --app noread --keepalive 1000,500,2
                       keepalive on a passively opened connection: probes
                       after 1 s of idle, the kernel answers them; once an nft
                       rule silences the kernel, two unanswered probes and a
                       RST|ACK that the kernel accepts (RFC 1122 §4.2.3.6)
    sk1  10.86.1.2:80  --app hold --backlog 8
                       SIGTERM with three connections never accepted: each gets
                       RST|ACK seq=SND.NXT ack=RCV.NXT before serve exits 0
    sk2  10.86.2.2:9   --app drop:300
                       close with unread data: RST|ACK seq=SND.NXT ack=RCV.NXT
                       (RFC 2525 §2.17, as Linux's tcp_send_active_reset)
    sk3  synack connect to a Linux listener, interrupted by SIGINT: its abort
                       reaches the kernel as RST|ACK before connect exits 1
    skisn 10.86.4.2:7  two `serve` runs one after the other, the same kernel
                       source port each time: the SYN-ACKs' ISNs must differ
                       (RFC 6528 §3: a secret key per stack, so a peer cannot
                       predict them from an earlier connection)

A sniffer on each TUN records the segments; the kernel's sockets tell what
it made of them (ECONNRESET).  Every capture is checked with tshark.
"""
import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

KEEP = ("sk0", "10.86.0.2", "10.86.0.1", 7)
HOLD = ("sk1", "10.86.1.2", "10.86.1.1", 80)
DROP = ("sk2", "10.86.2.2", "10.86.2.1", 9)
CONN = ("sk3", "10.86.3.2", "10.86.3.1", 5001)
ISN = ("skisn", "10.86.4.2", "10.86.4.1", 7)
SERVES, SNIFF = {}, {}
M32 = 0xFFFFFFFF


def need(where):
    p = SERVES.get(where[0])
    if p is None:
        raise Fail(f"not run: the serve on {where[0]} did not start")
    if not p.running():
        raise Fail(f"not run: the serve on {where[0]} ended: {L.status(p.poll())}{p.tail()}")
    return p


def from_synack(where, local):
    """Segments synack sent to the kernel's socket `local` ("ip:port")."""
    peer = f"{where[1]}:{where[3]}"
    return [s for s in SNIFF[where[0]].segments((local, peer)) if s.src == peer]


def resets_from_synack(where, local, within=2.0):
    """synack's RSTs to `local`, waiting up to `within` s for the first: the
    kernel may report the reset before the sniffer thread has read the frame
    from its own socket (seen on a loaded machine)."""
    return L.wait_until(lambda: [x for x in from_synack(where, local) if "R" in x.flags], within)


def from_kernel(where, local):
    peer = f"{where[1]}:{where[3]}"
    return [s for s in SNIFF[where[0]].segments((local, peer)) if s.src == local]


def expect_reset(sock, within):
    """The kernel's socket must report ECONNRESET within `within` s."""
    sock.settimeout(within)
    try:
        data = sock.recv(1)
    except ConnectionResetError:
        return
    except socket.timeout:
        raise Fail(f"the kernel's socket saw no reset within {within} s") from None
    raise Fail(f"the kernel's socket read {data!r} instead of a reset")


def check_reset_fields(rst, kernel_segs, what):
    """RST|ACK with ack = the kernel's SND.NXT (its highest seq + len, + 1 for
    a SYN or FIN) — that is synack's RCV.NXT."""
    if rst.flags != "RA":
        raise Fail(f"{what}: the reset has flags [{rst.flags}], expected [RA] ({rst})")
    nxt = 0
    for s in kernel_segs:
        end = (s.seq + s.len + (1 if "S" in s.flags or "F" in s.flags else 0)) & M32
        if nxt == 0 or ((end - nxt) & M32) < 1 << 31:
            nxt = end
    if rst.ack != nxt:
        raise Fail(f"{what}: reset ack {rst.ack}, expected the kernel's SND.NXT {nxt}")


# ------------------------------------------------------------------- checks
def check_serves_ready():
    problems = []
    for where, app, extra in ((KEEP, "noread", ["--keepalive", "1000,500,2"]),
                              (HOLD, "hold", ["--backlog", 8]),
                              (DROP, "drop:300", [])):
        tun, addr, host, port = where
        try:
            SERVES[tun] = L.serve(tun, addr, host, port, app, *extra)
            SNIFF[tun] = L.Sniffer(tun)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "3 serves ready"


def check_keepalive_passive():
    """RFC 1122 §4.2.3.6 on an accepted connection: probes SEG.SEQ = SND.NXT - 1
    after the idle time; answered probes keep it; unanswered ones end it."""
    need(KEEP)
    tun, addr, host, port = KEEP
    s = L.kernel_connect(addr, port)
    local = "%s:%d" % s.getsockname()
    time.sleep(1.8)   # idle 1 s: a probe at ~1 s, answered; the next at ~2 s
    probes = [x for x in from_synack(KEEP, local) if x.flags == "A" and x.len == 0]
    if not probes:
        raise Fail("no keepalive probe from synack within 1.8 s of idle")
    synack_segs = from_synack(KEEP, local)
    syn_ack = next((x for x in synack_segs if x.flags == "SA"), None)
    if syn_ack is None or probes[0].seq != syn_ack.seq:  # SND.NXT - 1 = ISS
        raise Fail(f"the first probe {probes[0]} is not SEG.SEQ = SND.NXT - 1")
    answered = [x for x in from_kernel(KEEP, local) if x.t > probes[0].t and x.flags == "A"]
    if not answered:
        raise Fail("the kernel did not answer the probe")
    # Silence the kernel toward synack: the next probes go unanswered.
    L.nft(f"add table ip kq; add chain ip kq out {{ type filter hook output priority 0; }}; "
          f"add rule ip kq out ip daddr {addr} tcp sport {local.split(':')[1]} drop")
    t_block = time.monotonic()
    try:
        expect_reset(s, 4.0)
    finally:
        L.nft("delete table ip kq")
    rst = resets_from_synack(KEEP, local)
    late = [x for x in from_synack(KEEP, local) if x.t > t_block and x.flags == "A"]
    if len(late) < 2:
        raise Fail(f"expected 2 unanswered probes before the reset, saw {late}")
    check_reset_fields(rst[0], from_kernel(KEEP, local), "keepalive give-up")
    s.close()
    return f"{len(probes) + len(late)} probes, then RST|ACK; the kernel saw ECONNRESET"


def check_listener_close_resets_queue():
    """SIGTERM to serve --app hold: every connection in the accept queue gets
    RST|ACK seq=SND.NXT ack=RCV.NXT before the process exits."""
    p = need(HOLD)
    tun, addr, host, port = HOLD
    socks = [L.kernel_connect(addr, port) for _ in range(3)]
    time.sleep(0.2)
    for s in socks:
        s.sendall(b"queued request")   # RCV.NXT moves past the data
    time.sleep(0.2)
    L.stop_serve(p, "serve --app hold")
    for i, s in enumerate(socks):
        local = "%s:%d" % s.getsockname()
        expect_reset(s, 2.0)
        rst = resets_from_synack(HOLD, local)
        if not rst:
            raise Fail(f"connection {i}: no RST on the wire")
        sa = next(x for x in from_synack(HOLD, local) if x.flags == "SA")
        if rst[0].seq != (sa.seq + 1) & M32:
            raise Fail(f"connection {i}: RST seq {rst[0].seq}, expected SND.NXT {sa.seq + 1}")
        check_reset_fields(rst[0], from_kernel(HOLD, local), f"connection {i}")
        s.close()
    return "3 queued connections reset with RST|ACK; serve exited 0"


def check_close_with_unread_data():
    need(DROP)
    tun, addr, host, port = DROP
    s = L.kernel_connect(addr, port)
    local = "%s:%d" % s.getsockname()
    s.sendall(b"never read " * 10)
    expect_reset(s, 3.0)
    rst = resets_from_synack(DROP, local)
    if not rst:
        raise Fail("no RST on the wire")
    check_reset_fields(rst[0], from_kernel(DROP, local), "close with unread data")
    s.close()
    return "RST|ACK seq=SND.NXT ack=RCV.NXT; the kernel saw ECONNRESET"


def check_connect_interrupted():
    tun, addr, host, port = CONN
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The kernel's address appears only when connect creates the TUN: bind
    # to it beforehand (IP_FREEBIND), so the SYN finds a listener.
    lst.setsockopt(socket.SOL_IP, 15, 1)
    lst.bind((host, port))
    lst.listen(1)
    lst.settimeout(5)
    c = L.connect(tun, addr, host, f"{host}:{port}", label="connect-sigint")
    if not L.wait_until(lambda: tun in L.sh("ip", "-o", "link", "show", check=False), 5):
        raise Fail(f"connect never created {tun}{c.tail()}")
    sniff = L.Sniffer(tun)
    try:
        try:
            conn, peer = lst.accept()
        except socket.timeout:
            raise Fail(f"synack connect never connected{c.tail()}") from None
        time.sleep(0.2)
        c.signal(signal.SIGINT)
        rc = c.wait(5)
        if rc != 1:
            raise Fail(f"connect after SIGINT: {L.status(rc)}, expected exit 1{c.tail()}")
        expect_reset(conn, 1.0)
        me = "%s:%d" % conn.getsockname()
        them = "%s:%d" % peer
        L.wait_until(lambda: any("R" in x.flags and x.src == them
                                 for x in sniff.segments((me, them))), 2)
        rst = [x for x in sniff.segments((me, them)) if "R" in x.flags and x.src == them]
        if not rst or rst[0].flags != "RA":
            raise Fail(f"expected RST|ACK from synack, saw {rst}")
        conn.close()
    finally:
        sniff.close()
        lst.close()
    return "SIGINT: RST|ACK on the wire before exit 1; the kernel saw ECONNRESET"


def check_isn_secret_per_run():
    tun, addr, host, port = ISN
    isns = []
    for run in range(2):
        p = L.serve(tun, addr, host, port, "echo", label=f"serve-isn-{run}")
        sniff = L.Sniffer(tun)
        try:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 47001))
            s.settimeout(5)
            s.connect((addr, port))
            me, them = "%s:%d" % s.getsockname(), f"{addr}:{port}"
            synacks = L.wait_until(lambda: [x for x in sniff.segments((me, them))
                                            if x.flags == "SA"], 2)
            s.close()
            if not synacks:
                raise Fail(f"run {run}: no SYN-ACK seen from synack")
            isns.append(synacks[0].seq)
        finally:
            sniff.close()
        L.stop_serve(p)
    # The ISN clock (4 us ticks since the stack started) explains a small
    # difference; a fixed key would leave only that. Two random keys differ
    # by less than 2^20 once in 2,000 runs.
    diff = (isns[1] - isns[0]) & M32
    if min(diff, (1 << 32) - diff) < (1 << 20):
        raise Fail(f"the same 4-tuple got ISNs {isns[0]} and {isns[1]} in two runs, apart only "
                   "by the clock: the ISN key is not secret (RFC 6528 §3)")
    return f"the same 4-tuple, two runs: ISNs {isns[0]} and {isns[1]}"


CHECKS = [
    ("serves-ready", check_serves_ready),
    ("keepalive-on-passive-open", check_keepalive_passive),
    ("listener-close-resets-accept-queue", check_listener_close_resets_queue),
    ("close-with-unread-data-rst-ack", check_close_with_unread_data),
    ("connect-interrupted-rst-ack", check_connect_interrupted),
    ("isn-secret-per-run", check_isn_secret_per_run),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-conf", CHECKS, tools=["tshark", "nft"]))
