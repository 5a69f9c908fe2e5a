#!/usr/bin/python3
"""synack's dynamic DNS updates (`synack serve --addr dhcp --ddns SPEC`)
against BIND 9 and a dyndns2 test server, over TAP.

    test_ddns.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), on TAP skn0 whose
kernel side is 10.9.5.1/24, with a scripted DHCP server (dhcp_test_server.py,
30 s leases, T1 5 s) handing out 10.9.5.50:

  * BIND 9 (`named -g`) is authoritative for example.test, which starts with
    two A records for home.example.test, and allows updates of that name
    signed with a key made by `tsig-keygen -a hmac-sha256 ddns-key`;
    `--ddns rfc2136:10.9.5.1,example.test,home.example.test,KEYFILE`
    prints `ddns: updating home.example.test. A 10.9.5.50 (rfc2136
    home.example.test. at 10.9.5.1)` and `ddns: home.example.test. A
    10.9.5.50: good (NOERROR)`; `dig @10.9.5.1 home.example.test A` then
    returns exactly one record, 10.9.5.50;
  * the DHCP server moves to 10.9.5.60 (the renewal is NAKed, a new lease
    follows): synack updates again, 30 s after the first success (ddclient's
    interval), and dig returns exactly 10.9.5.60;
  * a key file with the right name and a wrong secret: BIND refuses
    (NOTAUTH, BADSIG) and logs it, synack logs `ddns: home.example.test. A
    10.9.5.60: fatal failure (NOTAUTH, TSIG error BADSIG); no retry until the
    address changes`, sends nothing more, keeps serving, and the record is
    unchanged;
  * through a relay that answers over UDP with TC set, the same UPDATE goes
    over TCP (to BIND through the relay) and succeeds;
  * dyndns2 against a Python HTTP server on 10.9.5.1:8245 that records each
    request and answers a given word: the request is exactly `GET
    /nic/update?hostname=home.example.test&myip=10.9.5.60` with `Authorization:
    Basic base64(alice:s3cret)` (the credentials from a file, @FILE) and
    `User-Agent: synack-ddns/1.0`; each of good, nochg, badauth, nohost,
    notfqdn, !donator, badagent, abuse, 911 and dnserr gives its exact log
    line, and no answer leads to a second request within 3 s;
  * dyndns2 over HTTPS to a server with a self-signed certificate (made
    here with openssl, subjectAltName IP:10.9.5.1): without trusting it,
    the update fails with a certificate error and nothing reaches the
    handler; with SSL_CERT_FILE naming the certificate (OpenSSL's own
    variable, which synack documents as the way to trust a private CA),
    the same request arrives over TLS and is answered `good`.
"""
import base64
import http.server
import os
import re
import ssl
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402
from dhcp_test_server import FakeDhcpServer  # noqa: E402

TAP, HOST = "skn0", "10.9.5.1"
NAME = "home.example.test"
STATE = {}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def setup():
    L.sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    L.sh("ip", "addr", "add", f"{HOST}/24", "dev", TAP)
    L.sh("ip", "link", "set", TAP, "up")
    d = L.ENV.path("bind")
    os.makedirs(d, exist_ok=True)
    key = subprocess.run(["tsig-keygen", "-a", "hmac-sha256", "ddns-key"], check=True,
                         capture_output=True, text=True).stdout
    STATE["key"] = write(os.path.join(d, "ddns.key"), key)
    other = subprocess.run(["tsig-keygen", "-a", "hmac-sha256", "ddns-key"], check=True,
                           capture_output=True, text=True).stdout
    STATE["wrong_key"] = write(L.ENV.path("wrong.key"), other)
    write(os.path.join(d, "example.test.zone"),
          "$TTL 60\n"
          "@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60\n"
          "@ IN NS ns.example.test.\n"
          f"ns IN A {HOST}\n"
          f"members IN A {HOST}\n"
          "home IN A 192.0.2.1\n"
          "home IN A 192.0.2.2\n")
    conf = write(os.path.join(d, "named.conf"),
                 f'include "{d}/ddns.key";\n'
                 f'options {{ directory "{d}"; pid-file "{d}/named.pid"; '
                 f'listen-on port 53 {{ {HOST}; }}; listen-on-v6 {{ none; }}; '
                 'recursion no; dnssec-validation no; };\n'
                 'controls { };\n'
                 f'zone "example.test" {{ type primary; file "{d}/example.test.zone"; '
                 f'update-policy {{ grant ddns-key. name {NAME}. A; }}; }};\n')
    STATE["named"] = n = L.Proc(["named", "-g", "-4", "-c", conf], name="named")
    if not L.wait_until(lambda: "running" in n.stderr() or not n.running(), 10):
        raise Fail(f"named not running within 10 s{n.tail(5)}")
    if not n.running():
        raise Fail(f"named exited: {L.status(n.poll())}{n.tail(5)}")
    if not L.wait_until(lambda: dig() or not n.running(), 10):
        raise Fail(f"named does not answer for {NAME}{n.tail(5)}")
    STATE["dhcp"] = FakeDhcpServer(TAP, HOST, "10.9.5.50", lease=30, t1=5, t2=10)


def dig():
    r = L.run(["dig", f"@{HOST}", "+short", "+time=2", "+tries=1", NAME, "A"], timeout=10)
    return sorted(r.stdout.decode().split())


def serve(label, ddns):
    cap = L.ENV.path(f"{label}.pcap")
    return L.Synack(["serve", "--tap", "--tun", TAP, "--addr", "dhcp", "--port", "7", "--app",
                     "echo", "--pcap", cap, "--ddns", ddns], label=label)


def wait_line(p, want, timeout):
    ok = L.wait_until(lambda: want in p.stdout_lines() or not p.running(), timeout)
    if not ok or want not in p.stdout_lines():
        raise Fail(f"{p.name}: no line {want!r} within {timeout} s; stdout "
                   f"{p.stdout_lines()[-5:]}" + ("" if p.running() else
                                                 f"; {L.status(p.poll())}{p.tail()}"))


def check_rfc2136_update():
    if dig() != ["192.0.2.1", "192.0.2.2"]:
        raise Fail(f"the zone did not start with two A records: {dig()}")
    p = serve("serve-rfc2136", f"rfc2136:{HOST},example.test,{NAME},{STATE['key']}")
    STATE["s"] = p
    wait_line(p, "ready 10.9.5.50:7", 10)
    want = [f"ddns: updating {NAME}. A 10.9.5.50 (rfc2136 {NAME}. at {HOST})",
            f"ddns: {NAME}. A 10.9.5.50: good (NOERROR)"]
    wait_line(p, want[1], 10)
    got = [x for x in p.stdout_lines() if x.startswith("ddns:")]
    if got != want:
        raise Fail(f"ddns lines {got}, expected {want}")
    STATE["t_first"] = time.monotonic()
    if dig() != ["10.9.5.50"]:
        raise Fail(f"dig {NAME} A: {dig()}, expected exactly ['10.9.5.50']")
    return f"{want[1]!r}; dig: exactly 10.9.5.50"


def check_rfc2136_after_change():
    p = STATE.get("s")
    if p is None:
        raise Fail("no serve from the check before")
    STATE["dhcp"].offer = "10.9.5.60"
    wait_line(p, "dhcp: leased 10.9.5.60/24 router 10.9.5.1 dns 10.9.5.1 lease 30s", 15)
    want = f"ddns: {NAME}. A 10.9.5.60: good (NOERROR)"
    wait_line(p, want, 45)
    took = time.monotonic() - STATE["t_first"]
    if took < 29:
        raise Fail(f"second update {took:.1f} s after the first: ddclient waits 30 s")
    if dig() != ["10.9.5.60"]:
        raise Fail(f"dig {NAME} A: {dig()}, expected exactly ['10.9.5.60']")
    L.stop_serve(p, "serve-rfc2136")
    return f"{want!r} {took:.1f} s after the first; dig: exactly 10.9.5.60"


def check_rfc2136_wrong_key():
    p = serve("serve-wrong-key", f"rfc2136:{HOST},example.test,{NAME},{STATE['wrong_key']}")
    want = (f"ddns: {NAME}. A 10.9.5.60: fatal failure (NOTAUTH, TSIG error BADSIG); "
            "no retry until the address changes")
    wait_line(p, want, 15)
    named_log = STATE["named"].stderr()
    if not re.search(r"(BADSIG|tsig verify failure|invalid signature)", named_log):
        raise Fail(f"named logged no refusal: {named_log[-300:]!r}")
    time.sleep(3)
    n = sum(1 for x in p.stdout_lines() if x.startswith("ddns: updating"))
    if n != 1:
        raise Fail(f"{n} updates sent after a refused key")
    data = os.urandom(100)
    import socket
    with socket.create_connection(("10.9.5.60", 7), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        back = L.recv_all(s, deadline=time.monotonic() + 5)
    if back != data:
        raise Fail("serve stopped echoing after the refusal")
    if dig() != ["10.9.5.60"]:
        raise Fail(f"the record changed: {dig()}")
    L.stop_serve(p, "serve-wrong-key")
    return want


def check_rfc2136_tcp_fallback():
    """A relay on port 5353: over UDP it answers every query with only a
    header, TC set (RFC 2136 §3.8 / RFC 1035 §4.2.1); over TCP it passes the
    message to BIND's TCP port 53 and BIND's signed answer back."""
    import socket
    import struct
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((HOST, 5353))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((HOST, 5353))
    tcp.listen(4)
    seen = {"udp": 0, "tcp": 0}
    stop = threading.Event()

    def udp_loop():
        udp.settimeout(0.2)
        while not stop.is_set():
            try:
                data, src = udp.recvfrom(4096)
            except socket.timeout:
                continue
            seen["udp"] += 1
            # id, QR | opcode (as asked) | TC, rcode 0, no records.
            flags = 0x8000 | (data[2] & 0x78) << 8 | 0x0200
            udp.sendto(data[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0), src)

    def recv_exact(s, n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def tcp_loop():
        tcp.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = tcp.accept()
            except socket.timeout:
                continue
            with c:
                c.settimeout(5)
                try:
                    n = struct.unpack("!H", recv_exact(c, 2))[0]
                    msg = recv_exact(c, n)
                    seen["tcp"] += 1
                    with socket.create_connection((HOST, 53), timeout=5) as b:
                        b.sendall(struct.pack("!H", len(msg)) + msg)
                        m = struct.unpack("!H", recv_exact(b, 2))[0]
                        c.sendall(struct.pack("!H", m) + recv_exact(b, m))
                except (OSError, EOFError):
                    pass

    threads = [threading.Thread(target=f, daemon=True) for f in (udp_loop, tcp_loop)]
    for t in threads:
        t.start()
    try:
        STATE["dhcp"].offer = "10.9.5.70"
        p = serve("serve-rfc2136-tcp", f"rfc2136:{HOST}:5353,example.test,{NAME},{STATE['key']}")
        want = f"ddns: {NAME}. A 10.9.5.70: good (NOERROR)"
        wait_line(p, want, 15)
        if seen != {"udp": 1, "tcp": 1}:
            raise Fail(f"expected one UDP message (truncated answer) then one over TCP: {seen}")
        if dig() != ["10.9.5.70"]:
            raise Fail(f"dig {NAME} A: {dig()}, expected exactly ['10.9.5.70']")
        L.stop_serve(p, "serve-rfc2136-tcp")
    finally:
        stop.set()
        for t in threads:
            t.join(2)
        udp.close()
        tcp.close()
        STATE["dhcp"].offer = "10.9.5.60"
    return f"{want!r} over TCP after a truncated UDP answer; dig: exactly 10.9.5.70"


class Dyndns2Handler(http.server.BaseHTTPRequestHandler):
    answer = "good 10.9.5.60"
    requests = []

    def do_GET(self):  # noqa: N802
        Dyndns2Handler.requests.append((self.path, dict(self.headers)))
        body = Dyndns2Handler.answer.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


WORDS = [
    ("good", "good 10.9.5.60", "good (good 10.9.5.60)"),
    ("nochg", "nochg 10.9.5.60", "nochg (nochg 10.9.5.60)"),
    ("badauth", "badauth", "fatal failure (badauth); no retry until the address changes"),
    ("nohost", "nohost", "fatal failure (nohost); no retry until the address changes"),
    ("notfqdn", "notfqdn", "fatal failure (notfqdn); no retry until the address changes"),
    ("!donator", "!donator", "fatal failure (!donator); no retry until the address changes"),
    ("badagent", "badagent", "fatal failure (badagent); no retry until the address changes"),
    ("abuse", "abuse", "fatal failure (abuse); no retry until the address changes"),
    ("911", "911", "transient failure (911); next try in 1800s"),
    ("dnserr", "dnserr", "transient failure (dnserr); next try in 300s"),
]


def check_dyndns2_words():
    srv = http.server.ThreadingHTTPServer((HOST, 8245), Dyndns2Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    creds = write(L.ENV.path("dyndns.creds"), "alice:s3cret\n")
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    done = []
    try:
        for word, answer, result in WORDS:
            Dyndns2Handler.answer = answer
            Dyndns2Handler.requests = []
            p = serve(f"serve-dyndns2-{word.strip('!')}",
                      f"dyndns2:http://{HOST}:8245,{NAME},@{creds}")
            want = f"ddns: {NAME} A 10.9.5.60: {result}"
            wait_line(p, want, 15)
            time.sleep(3 if word in ("good", "badauth", "911") else 0.2)
            reqs = list(Dyndns2Handler.requests)
            if len(reqs) != 1:
                raise Fail(f"{word}: {len(reqs)} requests, expected 1")
            path, headers = reqs[0]
            if path != f"/nic/update?hostname={NAME}&myip=10.9.5.60":
                raise Fail(f"{word}: request path {path!r}")
            if headers.get("Authorization") != auth:
                raise Fail(f"{word}: Authorization {headers.get('Authorization')!r}")
            if headers.get("User-Agent") != "synack-ddns/1.0":
                raise Fail(f"{word}: User-Agent {headers.get('User-Agent')!r}")
            L.stop_serve(p, f"serve-dyndns2-{word}")
            done.append(word)
    finally:
        srv.shutdown()
        srv.server_close()
    return f"{len(done)} answers logged as specified: {', '.join(done)}"


def check_dyndns2_https_ca():
    d = L.ENV.path("tls")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    L.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
         "-keyout", key, "-out", cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = http.server.ThreadingHTTPServer((HOST, 8246), Dyndns2Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    creds = write(L.ENV.path("dyndns-https.creds"), "alice:s3cret\n")
    spec = f"dyndns2:https://{HOST}:8246,{NAME},@{creds}"
    Dyndns2Handler.answer = "good 10.9.5.60"
    Dyndns2Handler.requests = []
    saved = os.environ.pop("SSL_CERT_FILE", None)
    try:
        p = serve("serve-dyndns2-https-untrusted", spec)
        pat = re.compile(rf"ddns: {re.escape(NAME)} A 10\.9\.5\.60: transient failure "
                         r"\(.*certificate.*\); next try in \d+s")
        L.wait_until(lambda: any(pat.fullmatch(x) for x in p.stdout_lines())
                     or not p.running(), 15)
        bad = [x for x in p.stdout_lines() if pat.fullmatch(x)]
        if not bad:
            raise Fail(f"no certificate failure logged: {p.stdout_lines()[-4:]}")
        if Dyndns2Handler.requests:
            raise Fail(f"an untrusted server got {Dyndns2Handler.requests}")
        L.stop_serve(p, "serve-dyndns2-https-untrusted")
        os.environ["SSL_CERT_FILE"] = cert
        try:
            p = serve("serve-dyndns2-https", spec)
        finally:
            del os.environ["SSL_CERT_FILE"]
        want = f"ddns: {NAME} A 10.9.5.60: good (good 10.9.5.60)"
        wait_line(p, want, 15)
        reqs = list(Dyndns2Handler.requests)
        if len(reqs) != 1 or reqs[0][0] != f"/nic/update?hostname={NAME}&myip=10.9.5.60":
            raise Fail(f"expected one update request over TLS: {reqs}")
        L.stop_serve(p, "serve-dyndns2-https")
    finally:
        if saved is not None:
            os.environ["SSL_CERT_FILE"] = saved
        srv.shutdown()
        srv.server_close()
    return f"untrusted: {bad[0]!r}; with SSL_CERT_FILE: {want!r}"


def check_dyndns2_named_host():
    """A provider's URL names its host: looked up (BIND, the lease's DNS
    server; no --dns given), the request sent to its address with the name
    as Host and SNI, and the certificate checked against the name."""
    d = L.ENV.path("tls-name")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    host = "members.example.test"
    L.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
         "-keyout", key, "-out", cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    sni = []
    ctx.sni_callback = lambda sock, name, c: sni.append(name)
    srv = http.server.ThreadingHTTPServer((HOST, 8247), Dyndns2Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    creds = write(L.ENV.path("dyndns-name.creds"), "alice:s3cret\n")
    Dyndns2Handler.answer = "good 10.9.5.60"
    Dyndns2Handler.requests = []
    os.environ["SSL_CERT_FILE"] = cert
    try:
        p = serve("serve-dyndns2-name", f"dyndns2:https://{host}:8247/nic/update,{NAME},@{creds}")
    finally:
        del os.environ["SSL_CERT_FILE"]
    try:
        want = f"ddns: {NAME} A 10.9.5.60: good (good 10.9.5.60)"
        wait_line(p, want, 20)
        reqs = list(Dyndns2Handler.requests)
        if len(reqs) != 1 or reqs[0][0] != f"/nic/update?hostname={NAME}&myip=10.9.5.60":
            raise Fail(f"expected one update request: {reqs}")
        if reqs[0][1].get("Host") != f"{host}:8247":
            raise Fail(f"Host header {reqs[0][1].get('Host')!r}, expected {host}:8247")
        if sni != [host]:
            raise Fail(f"SNI {sni}, expected [{host!r}]")
        L.stop_serve(p, "serve-dyndns2-name")
    finally:
        srv.shutdown()
        srv.server_close()
    return f"{host} resolved through the lease's DNS server; Host and SNI {host}; {want!r}"


CHECKS = [
    ("rfc2136-update", check_rfc2136_update),
    ("rfc2136-after-address-change", check_rfc2136_after_change),
    ("rfc2136-wrong-key-refused", check_rfc2136_wrong_key),
    ("rfc2136-tcp-fallback", check_rfc2136_tcp_fallback),
    ("dyndns2-answers", check_dyndns2_words),
    ("dyndns2-https-ca", check_dyndns2_https_ca),
    ("dyndns2-named-host", check_dyndns2_named_host),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-ddns", CHECKS, tools=["named", "dig", "tsig-keygen", "openssl"], setup=setup))
