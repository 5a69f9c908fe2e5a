#!/usr/bin/python3
"""synack's DHCP client (`--addr dhcp`) against dnsmasq and a scripted server,
over TAP.

    test_dhcp.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py):

  * dnsmasq serves 10.9.0.50 (the only address of its range) with a
    2-minute lease (its minimum), T1 8 s and T2 14 s on TAP skd0, whose
    kernel side is 10.9.0.1/24. `synack serve --tap --tun skd0 --addr dhcp
    --port 7 --app echo` prints exactly `dhcp: discovering on skd0 (MAC M)`,
    `dhcp: leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s` and
    `ready 10.9.0.50:7`; a kernel client's bytes come back from 10.9.0.50:7;
  * at T1 the renewal is unicast to dnsmasq: `dhcp: renewed 10.9.0.50/24
    lease 120s`;
  * dnsmasq restarted (authoritative, a fresh lease file) with dhcp-host
    M,10.9.0.60: the next renewal is NAKed, synack drops 10.9.0.50 and
    leases 10.9.0.60 (`dhcp: nak from 10.9.0.1 (...): dropped 10.9.0.50/24`,
    `dhcp: leased 10.9.0.60/24 ...`); the kernel client now reaches the echo
    server at 10.9.0.60:7;
  * `synack connect --tap --tun skd0 --addr dhcp --to 10.9.0.1:5007`: the
    same MAC (it follows the device name), so 10.9.0.60 again; then its file
    comes back from a kernel echo server that saw 10.9.0.60;
  * a scripted server on skd1 (10.9.1.1) that NAKs every REQUEST: `dhcp: nak
    from 10.9.1.1 (no way)` lines, DISCOVERs backing off (RFC 2131's restart,
    4 s then 8 s between attempts), no `ready`; then it sends a malformed
    OFFER before each good one, whose unknown options are skipped:
    `dhcp: ignored a message from 10.9.1.1: bad option`, then the lease
    (30 s, T1 5 s, T2 10 s) and `ready 10.9.1.50:7`;
  * it renews (unicast, ciaddr set) and then the server stops answering:
    one REQUEST unicast to the server at T1, one broadcast at T2 (the next
    ones would be 60 s later, RFC 2131 §4.4.5, so they are cut at T2 and at
    the lease's end), then `dhcp: expired 10.9.1.50/24` and a DISCOVER
    exactly 30 s after the renewal's REQUEST (the server's clock, ±0.5 s);
    when the server answers again the address comes back;
  * a server whose offers are well formed but unusable (no server
    identifier, lease time 0, subnet mask 255.0.255.0, router outside the
    subnet) before each good one: one `dhcp: ignored a message from
    10.9.1.1: <reason>` line each, no REQUEST for them, then the lease;
    SIGTERM then sends one RELEASE (ciaddr 10.9.1.50, unicast to the
    server) and prints `dhcp: released 10.9.1.50/24 to 10.9.1.1` on stderr;
  * the kernel side of skd1 already holds the offered 10.9.1.77: it
    answers synack's ARP probe (RFC 5227), synack logs `dhcp: declined
    10.9.1.77/24 (in use by MAC): discovering again in 10s`, broadcasts one
    DECLINE, discovers 10 s later and leases the next offer, 10.9.1.78;
  * `synack at-modem --tap --tun skd0 --addr dhcp --stdio` leases 10.9.0.60
    the same way; AT+CIFSR and AT+CIPSTA? then report 10.9.0.60, router
    10.9.0.1, netmask 255.255.255.0, and AT+CIPDNS? the lease's DNS server;
  * SIGTERM ends each serve with status 0.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402
from dhcp_test_server import FakeDhcpServer, DISCOVER, REQUEST, DECLINE, RELEASE  # noqa: E402

TAP0, HOST0 = "skd0", "10.9.0.1"
TAP1, HOST1 = "skd1", "10.9.1.1"
PORT = 7
STATE = {}


def make_tap(name, host):
    L.sh("ip", "tuntap", "add", "dev", name, "mode", "tap")
    L.sh("ip", "addr", "add", f"{host}/24", "dev", name)
    L.sh("ip", "link", "set", name, "up")


def start_dnsmasq(*extra):
    old = STATE.pop("dnsmasq", None)
    if old is not None:
        old.stop()
    leases = L.ENV.path(f"dnsmasq-{time.monotonic_ns()}.leases")
    d = L.Proc(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--port=0", f"--interface={TAP0}", "--bind-interfaces", "--user=root",
                f"--dhcp-leasefile={leases}", "--dhcp-range=10.9.0.50,10.9.0.50,255.255.255.0,2m",
                "--dhcp-option=option:T1,8", "--dhcp-option=option:T2,14",
                "--dhcp-option=option:dns-server,10.9.0.1", "--log-dhcp", "--log-facility=-",
                *extra], name="dnsmasq")
    STATE["dnsmasq"] = d
    time.sleep(0.5)
    if not d.running():
        raise Fail(f"dnsmasq exited: {L.status(d.poll())}{d.tail(3)}")
    return d


def setup():
    make_tap(TAP0, HOST0)
    make_tap(TAP1, HOST1)
    start_dnsmasq()


def serve(tap, label):
    cap = L.ENV.path(f"{label}.pcap")
    return L.Synack(["serve", "--tap", "--tun", tap, "--addr", "dhcp", "--port", str(PORT),
                     "--app", "echo", "--pcap", cap], label=label)


def wait_line(p, pred, timeout, what):
    def found():
        for line in p.stdout_lines():
            if pred(line):
                return line
        return None
    line = L.wait_until(lambda: found() or not p.running(), timeout)
    line = found()
    if line is None:
        raise Fail(f"{p.name}: no line {what} within {timeout} s; stdout "
                   f"{p.stdout_lines()[-6:]}" + ("" if p.running() else
                                                 f"; {L.status(p.poll())}{p.tail()}"))
    return line


def echo_through(addr):
    data = os.urandom(3000)
    with socket.create_connection((addr, PORT), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = L.recv_all(s, deadline=time.monotonic() + 5)
    if got != data:
        raise Fail(f"echo from {addr}:{PORT}: {L.describe_mismatch(got, data)}")
    return len(data)


def check_lease_from_dnsmasq():
    p = serve(TAP0, "serve-dnsmasq")
    STATE["s0"] = p
    wait_line(p, lambda x: x.startswith("ready"), 15, "ready")
    lines = p.stdout_lines()
    m = re.fullmatch(r"dhcp: discovering on skd0 \(MAC ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\)",
                     lines[0])
    if not m:
        raise Fail(f"first line {lines[0]!r}")
    STATE["mac"] = m.group(1)
    want = ["dhcp: leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s",
            "ready 10.9.0.50:7"]
    if lines[1:] != want:
        raise Fail(f"stdout {lines}, expected {want} after the first line")
    n = echo_through("10.9.0.50")
    return f"{lines[1]!r}, {n} bytes echoed by 10.9.0.50:7"


def check_renewal_dnsmasq():
    p = STATE.get("s0")
    if p is None:
        raise Fail("no serve from the check before")
    want = "dhcp: renewed 10.9.0.50/24 lease 120s"
    wait_line(p, lambda x: x == want, 15, repr(want))
    log = STATE["dnsmasq"].stdout() + STATE["dnsmasq"].stderr()
    if not re.search(r"DHCPREQUEST\(skd0\) 10\.9\.0\.50 " + STATE["mac"], log):
        raise Fail(f"dnsmasq logged no renewal REQUEST: {log[-400:]!r}")
    return want


def check_address_change():
    p = STATE.get("s0")
    if p is None:
        raise Fail("no serve from the check before")
    start_dnsmasq("--dhcp-authoritative", f"--dhcp-host={STATE['mac']},10.9.0.60",
                  "--dhcp-range=10.9.0.60,10.9.0.60,255.255.255.0,2m")
    line = wait_line(p, lambda x: x.startswith("dhcp: leased 10.9.0.60"), 30,
                     "dhcp: leased 10.9.0.60/24 ...")
    want = "dhcp: leased 10.9.0.60/24 router 10.9.0.1 dns 10.9.0.1 lease 120s"
    if line != want:
        raise Fail(f"{line!r}, expected {want!r}")
    lines = p.stdout_lines()
    nak = [x for x in lines if x.startswith("dhcp: nak")]
    if len(nak) != 1 or not re.fullmatch(
            r"dhcp: nak from 10\.9\.0\.1( \([^)]*\))?: dropped 10\.9\.0\.50/24", nak[0]):
        raise Fail(f"expected one 'dhcp: nak from 10.9.0.1 (...): dropped 10.9.0.50/24', "
                   f"stdout {lines}")
    if lines.index(nak[0]) + 1 != lines.index(want):
        raise Fail(f"the nak and the new lease are not consecutive: {lines}")
    n = echo_through("10.9.0.60")
    L.stop_serve(p, "serve-dnsmasq")
    return f"{nak[0]!r} then {want!r}; {n} bytes echoed by 10.9.0.60:7"


def check_connect_dhcp():
    """`synack connect --addr dhcp`: leases (the same MAC for the same device
    name, so dnsmasq's dhcp-host gives 10.9.0.60 again), then connects."""
    import threading
    peer = {}
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST0, 5007))
    srv.listen(1)
    srv.settimeout(15)

    def echo():
        try:
            c, addr = srv.accept()
        except OSError:
            return
        peer["addr"] = addr[0]
        with c:
            c.sendall(L.recv_all(c, deadline=time.monotonic() + 10))
    t = threading.Thread(target=echo, daemon=True)
    t.start()
    data = os.urandom(5000)
    src, out = L.ENV.path("connect.in"), L.ENV.path("connect.out")
    with open(src, "wb") as f:
        f.write(data)
    p = L.Synack(["connect", "--tap", "--tun", TAP0, "--addr", "dhcp", "--to", f"{HOST0}:5007",
                  "--send", src, "--shutdown-after-send", "--out", out], label="connect-dhcp")
    rc = p.wait(20)
    t.join(2)
    srv.close()
    if rc != 0:
        p.stop()
        raise Fail(f"connect: {L.status(rc) if rc is not None else 'still running'}{p.tail()}")
    lines = p.stdout_lines()
    want = [f"dhcp: discovering on skd0 (MAC {STATE['mac']})",
            "dhcp: leased 10.9.0.60/24 router 10.9.0.1 dns 10.9.0.1 lease 120s"]
    if lines != want:
        raise Fail(f"stdout {lines}, expected {want}")
    if peer.get("addr") != "10.9.0.60":
        raise Fail(f"the kernel's server saw {peer.get('addr')}, expected 10.9.0.60")
    with open(out, "rb") as f:
        got = f.read()
    if got != data:
        raise Fail(f"echoed bytes: {L.describe_mismatch(got, data)}")
    return f"leased 10.9.0.60, {len(data)} bytes echoed by the kernel from 10.9.0.60"


def check_at_modem_dhcp():
    """`synack at-modem --addr dhcp`: the same MAC for skd0, so 10.9.0.60;
    AT+CIFSR and AT+CIPSTA? report the leased address, netmask and router."""
    # --stdio with a pipe: the AT commands go in once the lease is there.
    ENVP = L.Proc([L.ENV.bin, "at-modem", "--tap", "--tun", TAP0, "--addr", "dhcp", "--stdio"],
                  stdin=subprocess.PIPE, name="at-modem-dhcp")
    try:
        if not L.wait_until(lambda: "ready" in ENVP.stderr() or not ENVP.running(), 5):
            raise Fail(f"no ready on stderr{ENVP.tail()}")
        want = "dhcp: leased 10.9.0.60/24 router 10.9.0.1 dns 10.9.0.1 lease 120s"
        wait_line(ENVP, lambda x: x == want, 20, repr(want))
        ENVP.p.stdin.write(b'ATE0\r\nAT+CWJAP="synack",""\r\nAT+CIFSR\r\nAT+CIPSTA?\r\n'
                           b'AT+CIPDNS?\r\n')
        ENVP.p.stdin.flush()
        cifsr = b'+CIFSR:STAIP,"10.9.0.60"\r\n'
        sta = (b'+CIPSTA:ip:"10.9.0.60"\r\n+CIPSTA:gateway:"10.9.0.1"\r\n'
               b'+CIPSTA:netmask:"255.255.255.0"\r\n\r\nOK\r\n')
        if not L.wait_until(lambda: sta in ENVP.stdout_bytes(), 5):
            raise Fail(f"AT+CIPSTA? did not report 10.9.0.60: {ENVP.stdout_bytes()[-400:]!r}")
        if cifsr not in ENVP.stdout_bytes():
            raise Fail(f"AT+CIFSR did not report 10.9.0.60: {ENVP.stdout_bytes()[-400:]!r}")
        # No --dns: the lease's DNS server is the one in use.
        dns = b'+CIPDNS:0,"10.9.0.1"\r\n\r\nOK\r\n'
        if not L.wait_until(lambda: dns in ENVP.stdout_bytes(), 5):
            raise Fail(f"AT+CIPDNS? did not report the lease's 10.9.0.1: "
                       f"{ENVP.stdout_bytes()[-400:]!r}")
    finally:
        ENVP.p.stdin.close()
        ENVP.wait(5)
        ENVP.stop()
    return (f"{want!r}; +CIFSR:STAIP,\"10.9.0.60\"; +CIPSTA gateway 10.9.0.1 netmask /24; "
            f"+CIPDNS:0,\"10.9.0.1\" from the lease")


def check_nak_then_garbage():
    srv = FakeDhcpServer(TAP1, HOST1, "10.9.1.50", lease=30, t1=5, t2=10)
    STATE["fake"] = srv
    srv.mode = "nak"
    p = serve(TAP1, "serve-fake")
    STATE["s1"] = p
    try:
        return nak_then_garbage(srv, p)
    except BaseException:
        # The next checks need TAP1: leave neither serve nor server behind.
        STATE.pop("s1", None)
        STATE.pop("fake", None)
        p.stop()
        srv.close()
        raise


def nak_then_garbage(srv, p):
    want_nak = "dhcp: nak from 10.9.1.1 (no way)"
    L.wait_until(lambda: p.stdout_lines().count(want_nak) >= 3 or not p.running(), 25)
    lines = p.stdout_lines()
    if lines.count(want_nak) < 3:
        raise Fail(f"expected 3 lines {want_nak!r}: {lines}")
    if any(x.startswith("ready") for x in lines):
        raise Fail(f"ready without a lease: {lines}")
    # Measured from each NAKed REQUEST to the DISCOVER that follows it, so a
    # first DISCOVER that went unanswered (its retransmission comes 4 s later,
    # RFC 2131 §4.1) does not count as a back-off.
    with srv.lock:
        seen = list(srv.seen)
    gaps = []
    for i, (t, m, *_rest) in enumerate(seen):
        if m == REQUEST:
            nxt = next((u for u, n, *_r in seen[i + 1:] if n == DISCOVER), None)
            if nxt is not None:
                gaps.append(round(nxt - t, 1))
    # The first NAK restarts at once, the next ones after 4 and 8 s (±1 s).
    if len(gaps) < 2 or gaps[0] > 0.5 or not 2.9 <= gaps[1] <= 5.1:
        raise Fail(f"DISCOVER gaps after each NAK {gaps} s: expected ~0, then 4 s (±1); "
                   f"seen {[(round(t - seen[0][0], 1), m) for t, m, *_r in seen]}")
    srv.mode = "garbage"
    wait_line(p, lambda x: x.startswith("ready"), 20, "ready")
    lines = p.stdout_lines()
    tail = lines[lines.index("ready 10.9.1.50:7") - 2:]
    want = ["dhcp: ignored a message from 10.9.1.1: bad option",
            "dhcp: leased 10.9.1.50/24 router 10.9.1.1 dns 10.9.1.1 lease 30s",
            "ready 10.9.1.50:7"]
    if tail != want:
        raise Fail(f"stdout ends {tail}, expected {want}")
    srv.mode = "normal"
    n = echo_through("10.9.1.50")
    return f"{lines.count(want_nak)} NAKs (DISCOVER gaps after them {gaps[:3]} s), garbage " \
        f"ignored, {n} bytes echoed"


def check_renew_then_expiry():
    srv, p = STATE.get("fake"), STATE.get("s1")
    if not srv or not p:
        raise Fail("no scripted server or serve")
    want = "dhcp: renewed 10.9.1.50/24 lease 30s"
    wait_line(p, lambda x: x == want, 10, repr(want))
    renew = [s for s in srv.seen if s[1] == REQUEST and s[2] == "10.9.1.50"]
    if not renew or renew[-1][3] != "10.9.1.50":
        raise Fail(f"renewal REQUEST not from 10.9.1.50 with ciaddr set: {renew[-1:]}")
    srv.mode = "silent"
    t_silent = time.monotonic()
    # The lease (30 s, T1 5 s, T2 10 s) runs from the renewal REQUEST that
    # was ACKed (RFC 2131 §4.4.1: from when the REQUEST was sent).
    t_req = renew[-1][0]
    want = "dhcp: expired 10.9.1.50/24"
    wait_line(p, lambda x: x == want, 35, repr(want))
    took = time.monotonic() - t_silent
    L.wait_until(lambda: any(s[1] == DISCOVER and s[0] > t_silent for s in srv.seen), 5)
    after = [s for s in srv.seen if s[0] >= t_silent]
    # RFC 2131 §4.4.5: RENEWING at T1, unicast to the server; the next try
    # would be 60 s later (half of the 5 s to T2 is less than the minimum),
    # so it is cut at T2, where REBINDING broadcasts; the next would again be
    # 60 s later, cut at the lease's end, where the address is dropped and
    # a DISCOVER goes out. Times from the server's clock, ±0.5 s.
    got = [(round(t - t_req, 1), m, c, dst) for t, m, c, _src, dst in after]
    want_seq = [(5, REQUEST, "10.9.1.50", HOST1), (10, REQUEST, "10.9.1.50", "255.255.255.255"),
                (30, DISCOVER, "0.0.0.0", "255.255.255.255")]
    if len(got) < 3 or any(abs(g[0] - w[0]) > 0.5 or g[1:] != w[1:]
                           for g, w in zip(got, want_seq)):
        raise Fail(f"while silent, relative to the renewal REQUEST: {got[:4]}; expected "
                   f"{want_seq}")
    srv.mode = "normal"
    want2 = "dhcp: leased 10.9.1.50/24 router 10.9.1.1 dns 10.9.1.1 lease 30s"
    L.wait_until(lambda: p.stdout_lines().count(want2) >= 2 or not p.running(), 20)
    if p.stdout_lines().count(want2) < 2:
        raise Fail(f"no new lease after the server came back: {p.stdout_lines()[-4:]}")
    n = echo_through("10.9.1.50")
    L.stop_serve(p, "serve-fake")
    srv.close()
    return f"REQUESTs at T1 (unicast) and T2 (broadcast), expired at the lease's end " \
        f"({took:.1f} s after the server went silent), leased again, {n} bytes echoed"


def check_bad_options_then_release():
    """Well-formed offers a client must not take, one log line each; then
    SIGTERM gives the lease back with a RELEASE (RFC 2131 §4.4.6)."""
    srv = FakeDhcpServer(TAP1, HOST1, "10.9.1.50", lease=30, t1=15, t2=25)
    srv.mode = "badopts"
    try:
        p = serve(TAP1, "serve-badopts")
        wait_line(p, lambda x: x.startswith("ready"), 20, "ready")
        lines = p.stdout_lines()
        tail = lines[lines.index("ready 10.9.1.50:7") - 5:]
        pre = "dhcp: ignored a message from 10.9.1.1: "
        want = [pre + "offer without a server identifier",
                pre + "offer with lease time 0",
                pre + "offer with an invalid subnet mask 255.0.255.0",
                pre + "offer of 10.9.1.50/24 with a router 10.9.9.1 outside the subnet",
                "dhcp: leased 10.9.1.50/24 router 10.9.1.1 dns 10.9.1.1 lease 30s",
                "ready 10.9.1.50:7"]
        if tail != want:
            raise Fail(f"stdout ends {tail}, expected {want}")
        reqs = [s for s in srv.seen if s[1] == REQUEST]
        if len(reqs) != 1:
            raise Fail(f"expected one REQUEST (for the good offer only): {reqs}")
        n = echo_through("10.9.1.50")
        L.stop_serve(p, "serve-badopts")
        L.wait_until(lambda: any(s[1] == RELEASE for s in srv.seen), 2)
        released = [s for s in srv.seen if s[1] == RELEASE]
        if len(released) != 1 or released[0][2:] != ("10.9.1.50", "10.9.1.50", HOST1):
            raise Fail(f"expected one RELEASE from 10.9.1.50 (ciaddr) to {HOST1}: {released}; "
                       f"seen {[s[1] for s in srv.seen]}")
        bye = "dhcp: released 10.9.1.50/24 to 10.9.1.1"
        if bye not in p.stderr().splitlines():
            raise Fail(f"no line {bye!r} on stderr: {p.tail(3)}")
    finally:
        srv.close()
    return f"4 unusable offers ignored with their reasons, leased, {n} bytes echoed, " \
        "RELEASE unicast on SIGTERM"


def check_arp_conflict_declined():
    """RFC 5227 / RFC 2131 §4.4.1: the kernel side of skd1 already holds the
    offered 10.9.1.77, so it answers synack's ARP probe; synack DECLINEs it,
    waits 10 s, and takes the next offer (10.9.1.78) once its probes go
    unanswered."""
    srv = FakeDhcpServer(TAP1, HOST1, "10.9.1.77", lease=30, t1=15, t2=25)
    L.sh("ip", "addr", "add", "10.9.1.77/24", "dev", TAP1)
    # This namespace's sysfs is not mounted here: ask ip for the MAC.
    mac = re.search(r"link/ether ([0-9a-f:]{17})", L.sh("ip", "-o", "link", "show", TAP1)).group(1)
    try:
        p = serve(TAP1, "serve-conflict")
        want = f"dhcp: declined 10.9.1.77/24 (in use by {mac}): discovering again in 10s"
        wait_line(p, lambda x: x == want, 15, repr(want))
        srv.offer = "10.9.1.78"
        declines = [s for s in srv.seen if s[1] == DECLINE]
        if len(declines) != 1 or declines[0][4] != "255.255.255.255":
            raise Fail(f"expected one broadcast DECLINE: {declines}")
        wait_line(p, lambda x: x.startswith("ready"), 30, "ready")
        lines = p.stdout_lines()
        if "ready 10.9.1.78:7" not in lines or any("leased 10.9.1.77" in x for x in lines):
            raise Fail(f"expected the lease of 10.9.1.78 only: {lines}")
        again = [s[0] for s in srv.seen if s[1] == DISCOVER and s[0] > declines[0][0]]
        gap = again[0] - declines[0][0] if again else None
        if gap is None or not 9.5 <= gap <= 11:
            raise Fail(f"the DISCOVER after the DECLINE came {gap} s later, expected 10 s")
        n = echo_through("10.9.1.78")
        L.stop_serve(p, "serve-conflict")
    finally:
        L.sh("ip", "addr", "del", "10.9.1.77/24", "dev", TAP1, check=False)
        srv.close()
    return f"{want!r}, DISCOVER {gap:.1f} s after the DECLINE, leased 10.9.1.78, {n} bytes echoed"


CHECKS = [
    ("lease-from-dnsmasq", check_lease_from_dnsmasq),
    ("renewal-dnsmasq", check_renewal_dnsmasq),
    ("address-change-nak", check_address_change),
    ("connect-dhcp", check_connect_dhcp),
    ("at-modem-dhcp-cifsr", check_at_modem_dhcp),
    ("nak-then-garbage", check_nak_then_garbage),
    ("renew-then-expiry", check_renew_then_expiry),
    ("bad-options-then-release", check_bad_options_then_release),
    ("arp-conflict-declined", check_arp_conflict_declined),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-dhcp", CHECKS, tools=["dnsmasq"], setup=setup))
