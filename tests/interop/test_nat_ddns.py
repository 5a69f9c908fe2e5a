#!/usr/bin/python3
"""The article's whole scenario (issue 15): a home router on synack whose
public address comes from the ISP's DHCP server and changes, kept findable
by a dynamic DNS name.

    test_nat_ddns.py PATH_TO_SYNACK [-v]      (as root)

Three network namespaces besides the test's own, created and deleted here:

    NS-c  the Internet client, 198.51.100.2/24 on a veth
            | veth
    NS-i  the ISP (Linux, forwarding), 198.51.100.1/24; BIND 9 on 10.9.9.53
          (on lo), authoritative for example.test and accepting updates of
          home.example.test signed with a tsig-keygen key; dnsmasq, the DHCP
          server on the kernel side of synack's outside TAP gw0 (10.9.7.1/24),
          handing out 10.9.7.50 (2-minute lease, T1 8 s, T2 14 s)
            | gw0 (TAP, created by synack in NS-i, no address from synack)
          synack nat --tap --outside gw0,dhcp --inside gl0,10.0.1.1/24,...
                     --forward tcp:3390=10.0.1.201:3389 --nat-pmp
                     --ddns rfc2136:10.9.9.53,example.test,home.example.test,KEY
            | gl0 (TAP)
    NS-l  the home server, 10.0.1.201/24, default route via 10.0.1.1: a
          Python TCP server on 3389 answering each connection with the
          sha256 of what it received and the peer's address

Checks: `ready` comes before the lease; the gateway leases 10.9.7.50 and
says so (`dhcp: leased ...`, `nat: outside address 10.9.7.50/24 ...`);
DDNS logs `ddns: updating ...` and `... good (NOERROR)`; `dig @10.9.9.53
home.example.test A` returns exactly 10.9.7.50; the client resolves the
name through BIND and its bytes reach the inside server through
NAME:3390. Then dnsmasq is restarted authoritative with dhcp-host MAC ->
10.9.7.60: the renewal is NAKed, 10.9.7.60 is leased, the NAT drops the flows
of 10.9.7.50 (an idle established connection held open through the mapping is
gone from the SIGUSR1 table), NAT-PMP announces the new address to
224.0.0.1:5350 with a restarted epoch (heard by an inside host on the TAP
link), DDNS updates once its
30 s interval after the first success is over (waited for on the log line),
dig returns exactly 10.9.7.60, and the client reaches the inside server again
through NAME:3390. Last, the gateway is restarted with a key of the right
name and a wrong secret: BIND refuses it, the log says `fatal failure
(NOTAUTH, TSIG error BADSIG)`, and the port forward keeps working. And on
TUN links with a fixed outside address (gw0,10.9.7.70/24): one update at
start, dig returns it, the client reaches the server through the name; and
dyndns2 from the gateway to a small HTTP server in the ISP's namespace: one
`GET /nic/update?hostname=NAME&myip=ADDR` with Basic auth (credentials from
@FILE) and synack's User-Agent, answered `good`.
"""
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

PREFIX = "sk-natddns"
NS = {k: f"{PREFIX}-{os.getpid()}-{k}" for k in ("c", "i", "l")}
CLIENT, ISP = "198.51.100.2", "198.51.100.1"
ISP_GW, BIND = "10.9.7.1", "10.9.9.53"
FIRST, SECOND = "10.9.7.50", "10.9.7.60"
IN, SERVER = "10.0.1.1", "10.0.1.201"
NAME = "home.example.test"
STATE = {}

SERVER_PY = r"""
import hashlib, socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3389))
s.listen(16)
def handle(c, a):
    h = hashlib.sha256()
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
    c.sendall(f"{h.hexdigest()} {a[0]}\n".encode())
    c.close()
while True:
    c, a = s.accept()
    threading.Thread(target=handle, args=(c, a), daemon=True).start()
"""

CLIENT_PY = r"""
import hashlib, os, socket, subprocess, sys
name, dns, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ips = subprocess.run(["dig", "@" + dns, "+short", "+time=2", "+tries=2", name, "A"],
                     capture_output=True, text=True).stdout.split()
if len(ips) != 1:
    print("RESOLVED", " ".join(ips) or "nothing")
    sys.exit(1)
data = os.urandom(300000)
c = socket.create_connection((ips[0], port), timeout=10)
c.sendall(data)
c.shutdown(socket.SHUT_WR)
reply = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    reply += b
print(ips[0], hashlib.sha256(data).hexdigest(), reply.decode().strip())
"""

ANNOUNCE_PY = r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("224.0.0.1", 5350))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.1") + socket.inet_aton("0.0.0.0"))
while True:
    d, a = s.recvfrom(100)
    if len(d) == 12:
        print(a[0], d[1], int.from_bytes(d[2:4], "big"), int.from_bytes(d[4:8], "big"),
              socket.inet_ntoa(d[8:12]), flush=True)
"""

DYNDNS2_PY = r"""
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("REQ", self.path, self.headers.get("Authorization"),
              self.headers.get("User-Agent"), flush=True)
        b = ("good " + sys.argv[2]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer((sys.argv[1], 8245), H)
print("LISTENING", flush=True)
s.serve_forever()
"""

HOLD_PY = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 3390), timeout=10)
print("connected", flush=True)
time.sleep(600)
"""


def netns(ns, *args, check=True, timeout=30):
    return L.sh("ip", "netns", "exec", NS[ns], *args, check=check, timeout=timeout)


def in_ns(ns, args, name=None):
    return L.Proc(["ip", "netns", "exec", NS[ns]] + [str(a) for a in args], name=name)


def remove_namespaces():
    for name in L.sh("ip", "netns", "list", check=False).split():
        m = re.fullmatch(re.escape(PREFIX) + r"-(\d+)-[cil]", name)
        if m and (int(m.group(1)) == os.getpid() or not os.path.exists(f"/proc/{m.group(1)}")):
            L.sh("ip", "netns", "del", name, check=False)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def setup():
    remove_namespaces()
    for k in ("c", "i", "l"):
        L.sh("ip", "netns", "add", NS[k])
        netns(k, "ip", "link", "set", "lo", "up")
        netns(k, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
              "net.ipv6.conf.default.disable_ipv6=1", check=False)
    L.sh("ip", "link", "add", "skc0", "netns", NS["c"], "type", "veth", "peer", "name", "ski0",
         "netns", NS["i"])
    netns("c", "ip", "addr", "add", f"{CLIENT}/24", "dev", "skc0")
    netns("c", "ip", "link", "set", "skc0", "up")
    netns("c", "ip", "route", "add", "default", "via", ISP)
    netns("i", "ip", "addr", "add", f"{ISP}/24", "dev", "ski0")
    netns("i", "ip", "link", "set", "ski0", "up")
    netns("i", "ip", "addr", "add", f"{BIND}/32", "dev", "lo")
    netns("i", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    # BIND 9, as test_ddns.py sets it up, on the ISP's lo.
    d = L.ENV.path("bind")
    os.makedirs(d, exist_ok=True)
    key = subprocess.run(["tsig-keygen", "-a", "hmac-sha256", "ddns-key"], check=True,
                         capture_output=True, text=True).stdout
    STATE["key"] = write(os.path.join(d, "ddns.key"), key)
    wrong = subprocess.run(["tsig-keygen", "-a", "hmac-sha256", "ddns-key"], check=True,
                           capture_output=True, text=True).stdout
    STATE["wrong_key"] = write(L.ENV.path("wrong.key"), wrong)
    write(os.path.join(d, "example.test.zone"),
          "$TTL 60\n"
          "@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60\n"
          "@ IN NS ns.example.test.\n"
          f"ns IN A {BIND}\n"
          "home IN A 192.0.2.1\n")
    conf = write(os.path.join(d, "named.conf"),
                 f'include "{d}/ddns.key";\n'
                 f'options {{ directory "{d}"; pid-file "{d}/named.pid"; '
                 f'listen-on port 53 {{ {BIND}; }}; listen-on-v6 {{ none; }}; '
                 'recursion no; dnssec-validation no; };\n'
                 'controls { };\n'
                 f'zone "example.test" {{ type primary; file "{d}/example.test.zone"; '
                 f'update-policy {{ grant ddns-key. name {NAME}. A; }}; }};\n')
    n = in_ns("i", ["named", "-g", "-4", "-c", conf], name="named")
    STATE["named"] = n
    if not L.wait_until(lambda: "running" in n.stderr() or not n.running(), 10):
        raise Fail(f"named not running within 10 s{n.tail(5)}")
    if not n.running():
        raise Fail(f"named exited: {L.status(n.poll())}{n.tail(5)}")
    if not L.wait_until(lambda: dig() == ["192.0.2.1"] or not n.running(), 10):
        raise Fail(f"named does not answer for {NAME}: {dig()}{n.tail(5)}")
    STATE["server"] = in_ns("l", ["python3", "-u", "-c", SERVER_PY, SERVER], name="server")


def dig():
    r = subprocess.run(["ip", "netns", "exec", NS["c"], "dig", f"@{BIND}", "+short", "+time=2",
                        "+tries=1", NAME, "A"], capture_output=True, text=True, timeout=10)
    return sorted(r.stdout.split())


def start_dnsmasq(*extra):
    old = STATE.pop("dnsmasq", None)
    if old is not None:
        old.stop()
    leases = L.ENV.path(f"dnsmasq-{time.monotonic_ns()}.leases")
    rng = extra[0] if extra else f"--dhcp-range={FIRST},{FIRST},255.255.255.0,2m"
    d = in_ns("i", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv",
                    "--no-hosts", "--port=0", "--interface=gw0", "--bind-dynamic",
                    "--user=root", f"--dhcp-leasefile={leases}", rng,
                    "--dhcp-option=option:T1,8", "--dhcp-option=option:T2,14",
                    f"--dhcp-option=option:router,{ISP_GW}",
                    f"--dhcp-option=option:dns-server,{BIND}", "--log-dhcp",
                    "--log-facility=-", *extra[1:]], name="dnsmasq")
    STATE["dnsmasq"] = d
    time.sleep(0.5)
    if not d.running():
        raise Fail(f"dnsmasq exited: {L.status(d.poll())}{d.tail(3)}")
    return d


def start_gateway(label, key):
    nat = L.Synack(["nat", "--tap", "--outside", "gw0,dhcp",
                    "--inside", f"gl0,{IN}/24,{SERVER}/24",
                    "--netns-outside", NS["i"], "--netns-inside", NS["l"],
                    "--forward", f"tcp:3390={SERVER}:3389", "--nat-pmp",
                    "--ddns", f"rfc2136:{BIND},example.test,{NAME},{key}"], label=label)
    L.wait_until(lambda: "ready" in nat.stdout_lines() or not nat.running(), 5)
    if "ready" not in nat.stdout_lines():
        raise Fail(f"{label} did not print ready: {L.status(nat.poll())}{nat.tail(3)}")
    STATE["nat"] = nat
    # The ISP's side of the outside link: synack gives it no address.
    netns("i", "ip", "addr", "add", f"{ISP_GW}/24", "dev", "gw0")
    netns("i", "ip", "link", "set", "gw0", "up")
    netns("l", "ip", "route", "replace", "default", "via", IN)
    return nat


def wait_line(p, pred, timeout, what):
    def found():
        for line in p.stdout_lines():
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


def client_through_name(want_addr):
    r = subprocess.run(["ip", "netns", "exec", NS["c"], "python3", "-c", CLIENT_PY, NAME, BIND,
                        "3390"], capture_output=True, text=True, timeout=40)
    words = r.stdout.split()
    if r.returncode != 0 or len(words) != 4:
        raise Fail(f"client via {NAME}:3390: rc {r.returncode}, {r.stdout!r} {r.stderr[-300:]!r}")
    addr, sent, got, peer = words[0], words[1], words[2], words[3]
    if addr != want_addr:
        raise Fail(f"the client resolved {NAME} to {addr}, expected {want_addr}")
    if got != sent:
        raise Fail(f"the inside server's sha256 {got} differs from the client's {sent}")
    if peer != CLIENT:
        raise Fail(f"the inside server saw {peer}, expected the client {CLIENT}")
    return f"{NAME} -> {addr}:3390 -> {SERVER}:3389, 300000 bytes, sha256 matches, peer {peer}"


def check_ready_before_lease():
    nat = start_gateway("nat", STATE["key"])
    lines = nat.stdout_lines()
    if not re.fullmatch(r"dhcp: discovering on gw0 \(MAC ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\)",
                        lines[0]) or lines[1] != "ready":
        raise Fail(f"expected `dhcp: discovering on gw0 (MAC ...)` then `ready`, got {lines}")
    STATE["mac"] = lines[0].split()[-1].rstrip(")")
    return f"{lines[0]!r}, then 'ready' before any lease"


def check_lease_and_ddns():
    nat = STATE["nat"]
    start_dnsmasq()
    want = f"dhcp: leased {FIRST}/24 router {ISP_GW} dns {BIND} lease 120s"
    line = wait_line(nat, lambda x: x.startswith("dhcp: leased"), 30, "dhcp: leased ...")
    if line != want:
        raise Fail(f"{line!r}, expected {want!r}")
    wait_line(nat, lambda x: x.startswith(f"nat: outside address {FIRST}/24"), 5,
              "nat: outside address ...")
    good = f"ddns: {NAME}. A {FIRST}: good (NOERROR)"
    wait_line(nat, lambda x: x == good, 15, repr(good))
    upd = [x for x in nat.stdout_lines() if x.startswith("ddns: updating")]
    if len(upd) != 1 or not upd[0].startswith(f"ddns: updating {NAME}. A {FIRST} (rfc2136"):
        raise Fail(f"expected one `ddns: updating {NAME}. A {FIRST} (rfc2136 ...)`: {upd}")
    got = dig()
    if got != [FIRST]:
        raise Fail(f"dig @{BIND} {NAME} A: {got}, expected exactly [{FIRST}]")
    return f"{want!r}; {good!r}; dig {got}"


def check_client_first():
    return client_through_name(FIRST)


def check_address_change():
    nat = STATE["nat"]
    # An idle connection through the mapping, open across the change.
    hold = in_ns("c", ["python3", "-u", "-c", HOLD_PY, FIRST], name="hold")
    STATE["hold"] = hold
    if not L.wait_until(lambda: "connected" in hold.stdout() or not hold.running(), 10):
        raise Fail(f"the idle connection to {FIRST}:3390 did not connect{hold.tail()}")
    t = table()
    if not re.search(r"tcp\s+ESTABLISHED.*" + re.escape(FIRST), t) and FIRST not in t:
        raise Fail(f"the idle connection is not in the table: {t!r}")
    pmp_before = int(re.search(r"announcements (\d+)", t).group(1))
    # An inside host listening for NAT-PMP announcements (224.0.0.1:5350).
    ann = in_ns("l", ["python3", "-u", "-c", ANNOUNCE_PY], name="announcements")
    time.sleep(0.5)
    start_dnsmasq(f"--dhcp-range={SECOND},{SECOND},255.255.255.0,2m", "--dhcp-authoritative",
                  f"--dhcp-host={STATE['mac']},{SECOND}")
    want = f"dhcp: leased {SECOND}/24 router {ISP_GW} dns {BIND} lease 120s"
    line = wait_line(nat, lambda x: x.startswith(f"dhcp: leased {SECOND}"), 40, repr(want))
    if line != want:
        raise Fail(f"{line!r}, expected {want!r}")
    lines = nat.stdout_lines()
    nak = [x for x in lines if x.startswith("dhcp: nak")]
    if len(nak) != 1 or f"dropped {FIRST}/24" not in nak[0]:
        raise Fail(f"expected one `dhcp: nak ... dropped {FIRST}/24`: {lines}")
    dropped = [x for x in lines if re.match(r"nat: outside address none \(was " +
                                            re.escape(FIRST) + r"/24\): dropped [1-9]", x)]
    if len(dropped) != 1:
        raise Fail(f"expected `nat: outside address none (was {FIRST}/24): dropped N flows...` "
                   f"with N >= 1: {lines}")
    t = table()
    if FIRST in t:
        raise Fail(f"the table still has {FIRST} after the change: {t!r}")
    pmp_after = int(re.search(r"announcements (\d+)", t).group(1))
    if not L.wait_until(lambda: int(re.search(r"announcements (\d+)", table()).group(1))
                        > pmp_before, 5):
        raise Fail(f"NAT-PMP did not announce the new address: {pmp_before} -> {pmp_after}")
    # RFC 6886 §3.2.1: from the router's inside address, op 128, result 0,
    # a restarted epoch (a few seconds) and the new external address.
    pat = re.compile(r"10\.0\.1\.1 128 0 (\d+) " + re.escape(SECOND))
    if not L.wait_until(lambda: pat.search(ann.stdout()), 5):
        raise Fail(f"no NAT-PMP announcement of {SECOND} on the inside link: {ann.stdout()!r}"
                   f"{ann.tail()}")
    epoch = int(pat.search(ann.stdout()).group(1))
    if epoch > 10:
        raise Fail(f"the announcement's epoch {epoch} did not restart")
    ann.stop()
    hold.stop()
    return f"{nak[0]!r}; {dropped[0]!r}; {want!r}; {FIRST} gone from the table; " \
           f"NAT-PMP announced {SECOND} to 224.0.0.1:5350 with epoch {epoch}"


def check_ddns_follows():
    nat = STATE["nat"]
    good = f"ddns: {NAME}. A {SECOND}: good (NOERROR)"
    # ddclient's discipline: 30 s after the first success; wait on the line.
    wait_line(nat, lambda x: x == good, 60, repr(good))
    got = dig()
    if got != [SECOND]:
        raise Fail(f"dig @{BIND} {NAME} A: {got}, expected exactly [{SECOND}]")
    return f"{good!r}; dig {got}"


def check_client_second():
    return client_through_name(SECOND)


def check_refused_key():
    old = STATE["nat"]
    old.signal(signal.SIGTERM)
    rc = old.wait(10)
    if rc != 0:
        raise Fail(f"the gateway did not exit 0 on SIGTERM: {L.status(rc)}{old.tail()}")
    nat = start_gateway("nat-wrong-key", STATE["wrong_key"])
    start_dnsmasq(f"--dhcp-range={SECOND},{SECOND},255.255.255.0,2m", "--dhcp-authoritative",
                  f"--dhcp-host={STATE['mac']},{SECOND}")
    wait_line(nat, lambda x: x.startswith(f"dhcp: leased {SECOND}"), 40, "dhcp: leased ...")
    want = f"ddns: {NAME}. A {SECOND}: fatal failure (NOTAUTH, TSIG error BADSIG); " \
           "no retry until the address changes"
    line = wait_line(nat, lambda x: "failure" in x, 20, "ddns: ... failure")
    if line != want:
        raise Fail(f"{line!r}, expected {want!r}")
    if not L.wait_until(lambda: re.search(r"(BADSIG|tsig verify failure|invalid signature)",
                                          STATE["named"].stderr()), 5):
        raise Fail(f"named logged no refusal{STATE['named'].tail(5)}")
    detail = client_through_name(SECOND)
    if not nat.running():
        raise Fail(f"the gateway exited: {L.status(nat.poll())}{nat.tail()}")
    got = dig()
    if got != [SECOND]:
        raise Fail(f"dig after the refused update: {got}")
    nat.signal(signal.SIGTERM)
    rc = nat.wait(10)
    if rc != 0:
        raise Fail(f"exit {L.status(rc)} on SIGTERM")
    return f"{line!r}; still forwarding: {detail}"


def check_fixed_address_tun():
    """A fixed outside address on TUN links (no DHCP there): the updater gets
    it once, at start, and the name follows it."""
    if STATE["nat"].running():
        raise Fail("the previous gateway still runs")
    fixed = "10.9.7.70"
    nat = L.Synack(["nat", "--outside", f"gw0,{fixed}/24,{ISP_GW}/24",
                    "--inside", f"gl0,{IN}/24,{SERVER}/24",
                    "--netns-outside", NS["i"], "--netns-inside", NS["l"],
                    "--forward", f"tcp:3390={SERVER}:3389",
                    "--ddns", f"rfc2136:{BIND},example.test,{NAME},{STATE['key']}"],
                   label="nat-tun-fixed")
    STATE["nat"] = nat
    L.wait_until(lambda: "ready" in nat.stdout_lines() or not nat.running(), 5)
    if "ready" not in nat.stdout_lines():
        raise Fail(f"no ready: {L.status(nat.poll())}{nat.tail(3)}")
    netns("l", "ip", "route", "replace", "default", "via", IN)
    good = f"ddns: {NAME}. A {fixed}: good (NOERROR)"
    wait_line(nat, lambda x: x == good, 15, repr(good))
    got = dig()
    if got != [fixed]:
        raise Fail(f"dig: {got}, expected exactly [{fixed}]")
    detail = client_through_name(fixed)
    time.sleep(2)
    n = sum(1 for x in nat.stdout_lines() if x.startswith("ddns: updating"))
    if n != 1:
        raise Fail(f"{n} updates, expected one at start: {nat.stdout_lines()}")
    nat.signal(signal.SIGTERM)
    if nat.wait(10) != 0:
        raise Fail(f"exit {L.status(nat.poll())} on SIGTERM")
    return f"{good!r} once; dig {got}; {detail}"


def check_dyndns2():
    """dyndns2 over HTTP from the gateway's outside stack (TCP from the
    router's own ports 61000-61999, answered through the NAT's hook)."""
    import base64
    if STATE["nat"].running():
        raise Fail("the previous gateway still runs")
    fixed = "10.9.7.70"
    srv = in_ns("i", ["python3", "-u", "-c", DYNDNS2_PY, BIND, fixed], name="dyndns2")
    # Listening before the gateway starts (a fixed sleep lost this race on a
    # loaded machine: `connect: refused`).
    if not L.wait_until(lambda: "LISTENING" in srv.stdout() or not srv.running(), 10):
        raise Fail(f"the dyndns2 server did not start{srv.tail(3)}")
    creds = write(L.ENV.path("dyndns.creds"), "alice:s3cret\n")
    nat = L.Synack(["nat", "--outside", f"gw0,{fixed}/24,{ISP_GW}/24",
                    "--inside", f"gl0,{IN}/24,{SERVER}/24",
                    "--netns-outside", NS["i"], "--netns-inside", NS["l"],
                    "--forward", f"tcp:3390={SERVER}:3389",
                    "--ddns", f"dyndns2:http://{BIND}:8245,{NAME},@{creds}"],
                   label="nat-dyndns2")
    STATE["nat"] = nat
    line = wait_line(nat, lambda x: x.startswith(f"ddns: {NAME} A {fixed}: good"), 15,
                     "ddns: ... good")
    reqs = [x for x in srv.stdout().splitlines() if x.startswith("REQ ")]
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    want = f"REQ /nic/update?hostname={NAME}&myip={fixed} {auth} synack-ddns/1.0"
    if reqs != [want]:
        raise Fail(f"the dyndns2 server got {reqs}, expected [{want!r}]")
    src = nat.stderr()
    nat.signal(signal.SIGTERM)
    if nat.wait(10) != 0:
        raise Fail(f"exit {L.status(nat.poll())} on SIGTERM{src[-300:]}")
    srv.stop()
    return f"{line!r}; the server got {want!r}"


CHECKS = [
    ("ready-before-lease", check_ready_before_lease),
    ("lease-and-ddns-update", check_lease_and_ddns),
    ("client-via-name-first-address", check_client_first),
    ("address-change-nak-drops-mappings", check_address_change),
    ("ddns-follows-change", check_ddns_follows),
    ("client-via-name-second-address", check_client_second),
    ("refused-tsig-key-keeps-forwarding", check_refused_key),
    ("fixed-address-tun-ddns-at-start", check_fixed_address_tun),
    ("dyndns2-from-the-outside-stack", check_dyndns2),
]

if __name__ == "__main__":
    try:
        rc = L.main(PREFIX, CHECKS, setup=setup,
                    tools=["dnsmasq", "named", "tsig-keygen", "dig"])
    finally:
        remove_namespaces()
    sys.exit(rc)
