#!/usr/bin/python3
"""The NAT gateway as a DHCP client (`synack nat --outside IF,dhcp`) when
the ISP's DHCP server stops answering and then comes back (issue 15, "Bad
input").

    test_nat_dhcp_expiry.py PATH_TO_SYNACK [-v]      (as root)

The test's private namespace is the ISP: the kernel side of synack's
outside TAP gw0 is 10.9.7.1/24, with a scripted DHCP server
(dhcp_test_server.py: 10.9.7.50, 20 s leases, T1 4 s, T2 8 s) and a TCP
server on 10.9.7.1:7007 that answers each connection with the peer's
address. The inside host is a namespace of its own, 10.0.1.201/24 behind
synack's inside TAP gl0 (10.0.1.1/24).

  * `ready`, then `dhcp: leased 10.9.7.50/24 router 10.9.7.1 dns 10.9.7.1
    lease 20s` and `nat: outside address 10.9.7.50/24 (was 0.0.0.0/32):
    dropped 0 flows and their mappings`; an inside connection to 10.9.7.1:7007
    is seen there from 10.9.7.50 and held open (one mapping in the SIGUSR1
    table);
  * the server goes silent after a renewal: the REQUESTs go at T1 (unicast)
    and T2 (broadcast), the lease ends exactly 20 s after the renewal's
    REQUEST (server clock, ±0.5 s): `dhcp: expired 10.9.7.50/24`, then
    `nat: outside address none (was 10.9.7.50/24): dropped 1 flows and their
    mappings`; the table holds no mapping of 10.9.7.50 any more;
  * meanwhile the gateway still forwards on the inside: the inside host's
    pings to 10.0.1.1 are answered;
  * the server answers again: the DISCOVERs that followed the expiry get a
    new lease, `nat: outside address 10.9.7.50/24 (was 0.0.0.0/32) ...`, and a
    new inside connection reaches 10.9.7.1:7007 from 10.9.7.50;
  * SIGTERM: `dhcp: released 10.9.7.50/24 to 10.9.7.1`, the server got one
    RELEASE from 10.9.7.50, and synack nat exits 0;
  * a new gateway is offered 10.9.7.77, which the ISP's side already holds:
    its ARP probe is answered, `dhcp: declined 10.9.7.77/24 (in use by MAC):
    discovering again in 10s`, one DECLINE, the NAT never uses 10.9.7.77,
    and 10.9.7.50 is leased from the next offer.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402
from dhcp_test_server import FakeDhcpServer, DISCOVER, REQUEST, DECLINE, RELEASE  # noqa: E402

PREFIX = "sk-natexp"
NS_L = f"{PREFIX}-{os.getpid()}-l"
ISP_GW, LEASED = "10.9.7.1", "10.9.7.50"
IN, HOST = "10.0.1.1", "10.0.1.201"
STATE = {}

HOLD_PY = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 7007), timeout=10)
print(c.recv(100).decode().strip(), flush=True)
time.sleep(600)
"""

# Three ICMP echo requests (raw socket; the image has no ping), each waited
# for 2 s; prints how many were answered.
PING_PY = r"""
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.settimeout(2)
got = 0
for seq in range(3):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x5eed, seq) + b"synack-natexp"
    body = body[:2] + struct.pack("!H", csum(body + b"\0")) + body[4:]
    r.sendto(body, (sys.argv[1], 0))
    end = time.monotonic() + 2
    while time.monotonic() < end:
        try:
            pkt, a = r.recvfrom(1500)
        except socket.timeout:
            break
        icmp = pkt[(pkt[0] & 15) * 4:]
        if a[0] == sys.argv[1] and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (0x5eed, seq):
            got += 1
            break
print(got)
"""


def in_l(*args, check=True, timeout=30):
    return L.sh("ip", "netns", "exec", NS_L, *args, check=check, timeout=timeout)


def remove_namespaces():
    for name in L.sh("ip", "netns", "list", check=False).split():
        m = re.fullmatch(re.escape(PREFIX) + r"-(\d+)-l", name)
        if m and (int(m.group(1)) == os.getpid() or not os.path.exists(f"/proc/{m.group(1)}")):
            L.sh("ip", "netns", "del", name, check=False)


class PeerServer:
    """TCP on ISP_GW:7007: each connection gets the peer's address, and
    stays open until the peer closes it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ISP_GW, 7007))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.peers = []
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                c, a = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.peers.append(a[0])
            try:
                c.sendall(f"{a[0]}\n".encode())
            except OSError:
                pass
            threading.Thread(target=self._hold, args=(c,), daemon=True).start()

    @staticmethod
    def _hold(c):
        c.settimeout(None)
        try:
            while c.recv(100):
                pass
        except OSError:
            pass
        c.close()

    def close(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()


def setup():
    remove_namespaces()
    L.sh("ip", "netns", "add", NS_L)
    in_l("ip", "link", "set", "lo", "up")
    nat = L.Synack(["nat", "--tap", "--outside", "gw0,dhcp", "--inside", f"gl0,{IN}/24,{HOST}/24",
                    "--netns-inside", NS_L], label="nat")
    STATE["nat"] = nat
    L.wait_until(lambda: "ready" in nat.stdout_lines() or not nat.running(), 5)
    if "ready" not in nat.stdout_lines():
        raise Fail(f"nat did not print ready: {L.status(nat.poll())}{nat.tail(3)}")
    L.sh("ip", "addr", "add", f"{ISP_GW}/24", "dev", "gw0")
    L.sh("ip", "link", "set", "gw0", "up")
    in_l("ip", "route", "replace", "default", "via", IN)
    STATE["dhcp"] = FakeDhcpServer("gw0", ISP_GW, LEASED, lease=20, t1=4, t2=8)
    STATE["peer"] = PeerServer()


def wait_line(p, pred, timeout, what, after=0):
    def found():
        for line in p.stdout_lines()[after:]:
            if pred(line):
                return line
        return None
    L.wait_until(lambda: found() or not p.running(), timeout)
    line = found()
    if line is None:
        raise Fail(f"{p.name}: no line {what} within {timeout} s; stdout "
                   f"{p.stdout_lines()[-8:]}" + ("" if p.running() else
                                                 f"; {L.status(p.poll())}{p.tail()}"))
    return line


def table():
    nat = STATE["nat"]
    start = len(nat.stderr())
    nat.signal(signal.SIGUSR1)
    if not L.wait_until(lambda: "router:" in nat.stderr()[start:], 3):
        raise Fail(f"no table after SIGUSR1{nat.tail()}")
    return nat.stderr()[start:]


def connect_from_inside():
    """A connection from the inside host to ISP_GW:7007; returns the peer
    address the server saw."""
    r = subprocess.run(["ip", "netns", "exec", NS_L, "python3", "-c",
                        "import socket,sys; c=socket.create_connection((sys.argv[1],7007),"
                        "timeout=10); print(c.recv(100).decode().strip())", ISP_GW],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise Fail(f"inside connection to {ISP_GW}:7007 failed: {r.stderr[-300:]!r}")
    return r.stdout.strip()


def check_lease_and_mapping():
    nat = STATE["nat"]
    want = f"dhcp: leased {LEASED}/24 router {ISP_GW} dns {ISP_GW} lease 20s"
    wait_line(nat, lambda x: x == want, 20, repr(want))
    out = f"nat: outside address {LEASED}/24 (was 0.0.0.0/32): dropped 0 flows and their mappings"
    wait_line(nat, lambda x: x == out, 5, repr(out))
    hold = L.Proc(["ip", "netns", "exec", NS_L, "python3", "-u", "-c", HOLD_PY, ISP_GW],
                  name="hold")
    STATE["hold"] = hold
    if not L.wait_until(lambda: hold.stdout_lines() or not hold.running(), 10):
        raise Fail(f"the held connection did not get an answer{hold.tail(3)}")
    if hold.stdout_lines() != [LEASED]:
        raise Fail(f"the server saw the held connection from {hold.stdout_lines()}, "
                   f"expected {LEASED}")
    t = table()
    if LEASED not in t:
        raise Fail(f"no mapping of {LEASED} in the table: {t}")
    return f"{want!r}; {out!r}; a held connection mapped to {LEASED}"


def check_silent_server_expiry():
    nat, srv = STATE["nat"], STATE["dhcp"]
    # Go silent right after a renewal was ACKed (the renewed line appears).
    n_before = len(nat.stdout_lines())
    renewed = f"dhcp: renewed {LEASED}/24 lease 20s"
    wait_line(nat, lambda x: x == renewed, 10, repr(renewed), after=n_before)
    srv.mode = "silent"
    t_silent = time.monotonic()
    acked = [s for s in srv.seen if s[1] == REQUEST and s[0] < t_silent]
    t_req = acked[-1][0]
    expired = f"dhcp: expired {LEASED}/24"
    n_lines = len(nat.stdout_lines())
    wait_line(nat, lambda x: x == expired, 30, repr(expired), after=n_lines)
    dropped = f"nat: outside address none (was {LEASED}/24): dropped 1 flows and their mappings"
    lines = nat.stdout_lines()
    i = lines.index(expired, n_lines)
    if lines[i + 1:i + 2] != [dropped]:
        raise Fail(f"after {expired!r}: {lines[i + 1:i + 3]}, expected {dropped!r}")
    L.wait_until(lambda: any(s[1] == DISCOVER and s[0] > t_silent for s in srv.seen), 5)
    got = [(round(t - t_req, 1), m, dst) for t, m, _c, _src, dst in srv.seen if t >= t_silent]
    want = [(4, REQUEST, ISP_GW), (8, REQUEST, "255.255.255.255"),
            (20, DISCOVER, "255.255.255.255")]
    if len(got) < 3 or any(abs(g[0] - w[0]) > 0.5 or g[1:] != w[1:] for g, w in zip(got, want)):
        raise Fail(f"while silent, relative to the renewal REQUEST: {got[:4]}; expected {want}")
    t = table()
    if LEASED in t:
        raise Fail(f"a mapping of {LEASED} is still in the table: {t}")
    # The inside still works: the gateway answers the inside host's pings.
    r = subprocess.run(["ip", "netns", "exec", NS_L, "python3", "-c", PING_PY, IN],
                       capture_output=True, text=True, timeout=20)
    if r.stdout.strip() != "3":
        raise Fail(f"echo requests to {IN} during the outage: {r.stdout!r} answered "
                   f"{r.stderr[-200:]!r}")
    return f"{expired!r} {got[2][0]} s after the renewal REQUEST; {dropped!r}; " \
        "inside pings answered during the outage"


def check_lease_comes_back():
    nat, srv = STATE["nat"], STATE["dhcp"]
    n = len(nat.stdout_lines())
    srv.mode = "normal"
    want = f"dhcp: leased {LEASED}/24 router {ISP_GW} dns {ISP_GW} lease 20s"
    wait_line(nat, lambda x: x == want, 40, repr(want), after=n)
    out = f"nat: outside address {LEASED}/24 (was 0.0.0.0/32): dropped 0 flows and their mappings"
    wait_line(nat, lambda x: x == out, 5, repr(out), after=n)
    peer = connect_from_inside()
    if peer != LEASED:
        raise Fail(f"the server saw the new inside connection from {peer}, expected {LEASED}")
    return f"{want!r} again; a new inside connection reaches {ISP_GW}:7007 from {peer}"


def check_release_on_sigterm():
    nat, srv = STATE["nat"], STATE["dhcp"]
    nat.signal(signal.SIGTERM)
    rc = nat.wait(5)
    if rc != 0:
        raise Fail(f"synack nat: {L.status(rc)} after SIGTERM{nat.tail()}")
    bye = f"dhcp: released {LEASED}/24 to {ISP_GW}"
    if bye not in nat.stdout_lines():
        raise Fail(f"no line {bye!r}: {nat.stdout_lines()[-3:]}")
    L.wait_until(lambda: any(s[1] == RELEASE for s in srv.seen), 2)
    rel = [s for s in srv.seen if s[1] == RELEASE]
    if len(rel) != 1 or rel[0][2:] != (LEASED, LEASED, ISP_GW):
        raise Fail(f"expected one RELEASE from {LEASED} to {ISP_GW}: {rel}")
    return f"{bye!r}, one RELEASE, exit 0"


def check_arp_conflict():
    """A restarted gateway offered 10.9.7.77, which the ISP's side already
    holds: the ARP probe (RFC 5227) is answered, the gateway DECLINEs it and
    never uses it (no `nat: outside address 10.9.7.77` line), and takes the
    next offer 10 s later."""
    STATE["dhcp"].close()
    nat = L.Synack(["nat", "--tap", "--outside", "gw0,dhcp", "--inside", f"gl0,{IN}/24,{HOST}/24",
                    "--netns-inside", NS_L], label="nat-conflict")
    STATE["nat"] = nat
    L.wait_until(lambda: "ready" in nat.stdout_lines() or not nat.running(), 5)
    if "ready" not in nat.stdout_lines():
        raise Fail(f"nat did not print ready: {L.status(nat.poll())}{nat.tail(3)}")
    L.sh("ip", "addr", "add", f"{ISP_GW}/24", "dev", "gw0")
    L.sh("ip", "addr", "add", "10.9.7.77/24", "dev", "gw0")
    L.sh("ip", "link", "set", "gw0", "up")
    mac = re.search(r"link/ether ([0-9a-f:]{17})", L.sh("ip", "-o", "link", "show", "gw0")).group(1)
    srv = FakeDhcpServer("gw0", ISP_GW, "10.9.7.77", lease=20, t1=4, t2=8)
    STATE["dhcp"] = srv
    want = f"dhcp: declined 10.9.7.77/24 (in use by {mac}): discovering again in 10s"
    wait_line(nat, lambda x: x == want, 15, repr(want))
    srv.offer = LEASED
    leased = f"dhcp: leased {LEASED}/24 router {ISP_GW} dns {ISP_GW} lease 20s"
    wait_line(nat, lambda x: x == leased, 30, repr(leased))
    wait_line(nat, lambda x: x.startswith(f"nat: outside address {LEASED}/24"), 5, "nat: ...")
    used = [x for x in nat.stdout_lines() if "10.9.7.77" in x and x.startswith("nat:")]
    if used:
        raise Fail(f"the NAT used the declined address: {used}")
    if [s[1] for s in srv.seen].count(DECLINE) != 1:
        raise Fail(f"expected one DECLINE: {[s[1] for s in srv.seen]}")
    nat.signal(signal.SIGTERM)
    if nat.wait(5) != 0:
        raise Fail(f"synack nat: {L.status(nat.poll())} after SIGTERM{nat.tail()}")
    return f"{want!r}, then {leased!r}; the NAT never used 10.9.7.77"


CHECKS = [
    ("nat-dhcp-lease-and-mapping", check_lease_and_mapping),
    ("nat-dhcp-silent-server-expiry", check_silent_server_expiry),
    ("nat-dhcp-lease-comes-back", check_lease_comes_back),
    ("nat-dhcp-release-on-sigterm", check_release_on_sigterm),
    ("nat-dhcp-arp-conflict-declined", check_arp_conflict),
]


if __name__ == "__main__":
    try:
        rc = L.main(PREFIX, CHECKS, setup=setup)
    finally:
        remove_namespaces()
    sys.exit(rc)
