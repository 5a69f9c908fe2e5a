#!/usr/bin/python3
"""synack's UDP and DNS stub resolver against the Linux kernel and dnsmasq,
over TUN.

    test_udp_dns.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py):

  * `synack udp-echo --tun sku0 --addr 10.89.0.2/24 --host-addr 10.89.0.1/24
    --port 7`: a kernel UDP socket sends datagrams of 1, 100 and 1472 bytes
    (the most one 1500-byte packet carries) and gets each back byte for byte,
    from port 7;
  * the kernel's connected UDP socket sending to a port synack has not bound
    gets ECONNREFUSED: synack answered with ICMP port unreachable;
  * the other way, `synack udp-send --tun sku2 --addr 10.89.2.2/24 --to
    10.89.2.1:5007` to a Python echo server on the kernel's side: the exact
    reply on stdout, exit 0, sent from an ephemeral port (32768-60999); to a
    closed port of the kernel's: Linux's ICMP port unreachable becomes
    "refused" and exit 1;
  * dnsmasq listens on 10.89.9.53 (an address on the namespace's lo, there
    before any TUN exists) with a hosts file and --local=/test.synack/;
    `synack resolve` (on sku1, 10.89.1.2) reaches it through the TUN and
    prints exact lines: one address, two addresses, NXDOMAIN, a dotted quad;
    exit status 1 because one name failed, 0 when all resolve;
  * `synack resolve --dns-port 5399` (no server there): Linux answers the
    query with ICMP port unreachable, and synack reports "server unreachable"
    well before its first retry (1 s);
  * `synack resolve --dns 10.89.1.77` (nobody: the kernel drops it): "timed
    out" after the retries, 7 s after the first query;
  * every capture is clean for tshark, UDP checksums included.
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

ECHO_TUN, ECHO_ME, ECHO_HOST = "sku0", "10.89.0.2", "10.89.0.1"
DNS_TUN, DNS_ME, DNS_HOST = "sku1", "10.89.1.2", "10.89.1.1"
DNS_SERVER = "10.89.9.53"
SEND_TUN, SEND_ME, SEND_HOST = "sku2", "10.89.2.2", "10.89.2.1"
ECHO_PORT, CLOSED_PORT = 7, 9
KERNEL_ECHO_PORT, KERNEL_CLOSED_PORT = 5007, 5008
STATE = {}


def start_echo():
    label = "udp-echo"
    cap = L.ENV.path(f"{label}.pcap")
    p = L.Synack(["udp-echo", "--tun", ECHO_TUN, "--addr", f"{ECHO_ME}/24", "--host-addr",
                  f"{ECHO_HOST}/24", "--port", str(ECHO_PORT), "--pcap", cap],
                 pcap=cap, label=label, kernel_addr=ECHO_HOST)
    want = f"ready {ECHO_ME}:{ECHO_PORT}"
    L.wait_until(lambda: want in p.stdout_lines() or not p.running(), 5)
    if p.stdout_lines()[:1] != [want]:
        rc = p.poll()
        p.stop()
        raise Fail(f"udp-echo: {'still running' if rc is None else L.status(rc)} without "
                   f"printing only {want!r}: {p.stdout_lines()[:3]}{p.tail()}")
    return p


def check_echo():
    p = STATE["echo"] = start_echo()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.bind((ECHO_HOST, 0))
    sizes = []
    for n in (1, 100, 1472):
        data = bytes((i * 7 + n) % 256 for i in range(n))
        s.sendto(data, (ECHO_ME, ECHO_PORT))
        try:
            got, src = s.recvfrom(4096)
        except socket.timeout:
            raise Fail(f"no echo of the {n}-byte datagram within 2 s{p.tail()}") from None
        if src != (ECHO_ME, ECHO_PORT):
            raise Fail(f"echo of {n} bytes came from {src}, expected {(ECHO_ME, ECHO_PORT)}")
        if got != data:
            raise Fail(L.describe_mismatch(got, data, f"echo of {n} bytes"))
        sizes.append(n)
    s.close()
    return f"{', '.join(map(str, sizes))} bytes echoed exactly"


def check_closed_port_refused():
    if "echo" not in STATE or not STATE["echo"].running():
        raise Fail("udp-echo is not running (see the previous check)")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((ECHO_ME, CLOSED_PORT))
    s.send(b"anyone?")
    try:
        s.recv(100)
    except ConnectionRefusedError:
        return f"ECONNREFUSED from {ECHO_ME}:{CLOSED_PORT} (ICMP port unreachable)"
    except socket.timeout:
        raise Fail("no ICMP port unreachable within 2 s: recv timed out") from None
    finally:
        s.close()
    raise Fail("recv returned data from a closed port")


def stop_echo():
    p = STATE.get("echo")
    if p is None:
        raise Fail("udp-echo never started")
    L.stop_serve(p, "udp-echo")
    line = p.stderr().strip().splitlines()[-1:] or [""]
    if not line[0].startswith("udp-echo: 3 datagrams echoed, 0 dropped"):
        raise Fail(f"last stderr line {line[0]!r}, expected 'udp-echo: 3 datagrams echoed, "
                   "0 dropped'")
    return line[0]


def udp_send(label, port, message, *extra, timeout=10):
    cap = L.ENV.path(f"{label}.pcap")
    args = ["udp-send", "--tun", SEND_TUN, "--addr", f"{SEND_ME}/24", "--host-addr",
            f"{SEND_HOST}/24", "--to", f"{SEND_HOST}:{port}", "--message", message, "--pcap", cap,
            *extra]
    t0 = time.monotonic()
    p = L.Synack(args, pcap=cap, label=label, kernel_addr=SEND_HOST)
    rc = p.wait(timeout)
    if rc is None:
        p.stop()
        raise Fail(f"{label}: still running after {timeout} s{p.tail()}")
    return rc, p.stdout_bytes(), p.stderr(), time.monotonic() - t0


def check_send_to_kernel_echo():
    # The server binds the TUN's address, which exists only while synack
    # runs: a thread retries the bind, then echoes one datagram.
    seen = {}

    def server():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: bind before the address exists
        s.bind((SEND_HOST, KERNEL_ECHO_PORT))
        s.settimeout(8)
        try:
            data, src = s.recvfrom(4096)
            seen["src"], seen["data"] = src, data
            s.sendto(data[::-1], src)
        except socket.timeout:
            pass
        s.close()

    t = threading.Thread(target=server, daemon=True)
    t.start()
    time.sleep(0.1)
    message = "hello over udp, " + "x" * 1000
    rc, out, err, _ = udp_send("udp-send-echo", KERNEL_ECHO_PORT, message)
    t.join(5)
    if "src" not in seen:
        raise Fail(f"the kernel's server got nothing; {L.status(rc)}{err[-200:]!r}")
    if seen["data"] != message.encode():
        raise Fail(L.describe_mismatch(seen["data"], message.encode(), "datagram received"))
    addr, port = seen["src"]
    if addr != SEND_ME or not 32768 <= port <= 60999:
        raise Fail(f"sent from {addr}:{port}, expected {SEND_ME} and an ephemeral port")
    if rc != 0 or out != message[::-1].encode():
        raise Fail(f"{L.status(rc)}, stdout {out[:60]!r}..., expected the reversed message "
                   f"and 0{err[-200:]!r}")
    return f"{len(message)} bytes each way, from {addr}:{port}"


def check_send_to_kernel_closed_port():
    rc, out, err, took = udp_send("udp-send-refused", KERNEL_CLOSED_PORT, "anyone?")
    want = f"synack udp-send: refused by {SEND_HOST}:{KERNEL_CLOSED_PORT} (ICMP port unreachable)"
    if rc != 1 or out or err.strip() != want:
        raise Fail(f"{L.status(rc)}, stdout {out[:60]!r}, stderr {err.strip()[-200:]!r}; "
                   f"expected 1 and {want!r}")
    if took > 1.5:
        raise Fail(f"took {took:.2f} s: the ICMP error should end it at once (--wait-ms 2000)")
    return f"in {took:.2f} s"


def setup_dnsmasq():
    L.sh("ip", "addr", "add", f"{DNS_SERVER}/32", "dev", "lo")
    hosts = L.ENV.path("hosts")
    with open(hosts, "w") as f:
        f.write("10.89.5.5 ok.test.synack\n10.89.5.7 multi.test.synack\n"
                "10.89.5.8 multi.test.synack\n")
    STATE["dnsmasq"] = d = L.Proc(
        ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
         f"--addn-hosts={hosts}", "--local=/test.synack/", "--local-ttl=60",
         f"--listen-address={DNS_SERVER}", "--bind-interfaces", "--port=53", "--pid-file=",
         "--user=root", "--log-queries", "--log-facility=-"], name="dnsmasq")
    # Ready once it answers the kernel's own query.
    def answers():
        r = L.run(["python3", "-c", RESOLVE_PY, DNS_SERVER, "ok.test.synack"], timeout=5)
        return r.returncode == 0
    if not L.wait_until(lambda: not d.running() or answers(), 10) or not d.running():
        raise Fail(f"dnsmasq not answering on {DNS_SERVER}:53{d.tail(3)}")


# A kernel-side readiness probe: one raw A query, success when any answer comes.
RESOLVE_PY = r"""
import socket, struct, sys
name = sys.argv[2]
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
q += struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(q, (sys.argv[1], 53))
s.recvfrom(512)
"""


def resolve(label, names, *extra, dns=DNS_SERVER, timeout=20):
    cap = L.ENV.path(f"{label}.pcap")
    args = ["resolve", *names, "--tun", DNS_TUN, "--addr", f"{DNS_ME}/24", "--host-addr",
            f"{DNS_HOST}/24", "--dns", dns, "--pcap", cap, *extra]
    t0 = time.monotonic()
    p = L.Synack(args, pcap=cap, label=label, kernel_addr=DNS_HOST)
    rc = p.wait(timeout)
    took = time.monotonic() - t0
    if rc is None:
        p.stop()
        raise Fail(f"{label}: still running after {timeout} s{p.tail()}")
    return rc, p.stdout_lines(), p.stderr(), took


def check_resolve_mixed():
    rc, lines, err, _ = resolve("resolve-mixed", ["ok.test.synack", "multi.test.synack",
                                                  "missing.test.synack", "10.1.2.3"])
    want = ["ok.test.synack 10.89.5.5", None, "missing.test.synack error: no such name (NXDOMAIN)",
            "10.1.2.3 10.1.2.3"]
    if len(lines) != 4:
        raise Fail(f"{L.status(rc)}, {len(lines)} lines, expected 4: {lines} {err[-200:]!r}")
    multi = lines[1].split()
    if multi[0] != "multi.test.synack" or sorted(multi[1:]) != ["10.89.5.7", "10.89.5.8"]:
        raise Fail(f"line 2 {lines[1]!r}, expected multi.test.synack 10.89.5.7 10.89.5.8")
    for i, w in enumerate(want):
        if w is not None and lines[i] != w:
            raise Fail(f"line {i + 1} {lines[i]!r}, expected {w!r}")
    if rc != 1:
        raise Fail(f"{L.status(rc)}, expected exit status 1 (one name failed)")
    return f"4 exact lines, exit 1: {lines[1]!r}"


def check_resolve_all_ok():
    rc, lines, err, _ = resolve("resolve-ok", ["OK.Test.Synack."])
    if rc != 0 or lines != ["OK.Test.Synack. 10.89.5.5"]:
        raise Fail(f"{L.status(rc)}, lines {lines}, expected ['OK.Test.Synack. 10.89.5.5'] "
                   f"and 0{err[-200:]!r}")
    return "exit 0"


CLOSED_DNS_PORT = 5399
# The captures read the queries to it as DNS (see L.TSHARK_DECODE_AS).
L.TSHARK_DECODE_AS += ["-d", f"udp.port=={CLOSED_DNS_PORT},dns"]


def check_resolve_port_unreachable():
    rc, lines, err, took = resolve("resolve-unreachable", ["ok.test.synack"], "--dns-port",
                                   str(CLOSED_DNS_PORT))
    want = ["ok.test.synack error: server unreachable (ICMP port unreachable)"]
    if rc != 1 or lines != want:
        raise Fail(f"{L.status(rc)}, lines {lines}, expected {want} and 1{err[-200:]!r}")
    if took > 1.0:
        raise Fail(f"took {took:.2f} s: the ICMP error should end it before the 1 s retry")
    return f"in {took:.2f} s"


def check_resolve_timeout():
    rc, lines, err, took = resolve("resolve-timeout", ["ok.test.synack"], dns="10.89.1.77")
    want = ["ok.test.synack error: timed out"]
    if rc != 1 or lines != want:
        raise Fail(f"{L.status(rc)}, lines {lines}, expected {want} and 1{err[-200:]!r}")
    if not 6.9 <= took < 9.0:
        raise Fail(f"took {took:.2f} s, expected 7 s (queries at 0, 1, 3 s; give up at 7 s)")
    queries = L.pcap_frame_count(L.ENV.path("resolve-timeout.pcap"))
    if queries != 3:
        raise Fail(f"{queries} frames in the capture, expected the query and 2 retries")
    return f"in {took:.2f} s, 3 queries"


def check_udp_checksums():
    """tshark with UDP checksum validation on (check_pcap turns on TCP and IP only)."""
    bad = []
    for label, path, _ in L.ENV.pcaps:
        r = L.run(["tshark", "-n", "-r", path] + L.TSHARK_DECODE_AS
                  + ["-o", "udp.check_checksum:TRUE", "-Y",
                     "udp.checksum.status==Bad || icmp.checksum.status==Bad || _ws.malformed"],
                  timeout=60)
        if r.returncode != 0 or r.stdout.strip():
            bad.append(f"{label}: {r.stdout.decode(errors='replace')[:160]!r}")
    if bad:
        raise Fail("; ".join(bad))
    return f"{len(L.ENV.pcaps)} captures"


CHECKS = [
    ("udp-echo-kernel-client", check_echo),
    ("closed-port-econnrefused", check_closed_port_refused),
    ("udp-echo-stops-cleanly", stop_echo),
    ("udp-send-to-kernel-echo", check_send_to_kernel_echo),
    ("udp-send-icmp-refused", check_send_to_kernel_closed_port),
    ("resolve-through-dnsmasq", check_resolve_mixed),
    ("resolve-all-ok-exit-0", check_resolve_all_ok),
    ("resolve-icmp-port-unreachable", check_resolve_port_unreachable),
    ("resolve-timeout", check_resolve_timeout),
    ("udp-checksums", check_udp_checksums),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-udp", CHECKS, tools=["dnsmasq", "tshark"], setup=setup_dnsmasq))
