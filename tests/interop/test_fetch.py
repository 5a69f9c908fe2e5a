#!/usr/bin/python3
"""`synack fetch`, the browser-style client pool, over TUN (issue 13).

    test_fetch.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py) with forwarding on:

    sf0  10.84.0.2:80   synack serve --app http                 (HTTP/1.x, h2c)
    sf1  10.84.1.2:443  synack serve --app http --tls-self-signed (h2, http/1.1)
    sf9  10.84.9.2      synack fetch (one run per check), the kernel at 10.84.9.1
    nginx on 10.84.50.1 (on lo, reached through the kernel): 8080 http/1.1, 8081 h2c,
          8443 h2 and http/1.1 over TLS with a self-signed certificate

Connections are counted in each fetch's own capture with tshark (SYNs synack
sent) and in fetch's summary; the page is the built-in one (index.html,
style.css and 30 images: 32 requests).  Prints PASS/FAIL per check.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

PLAIN = ("sf0", "10.84.0.2", "10.84.0.1", 80)
TLS = ("sf1", "10.84.1.2", "10.84.1.1", 443)
FETCH_TUN, FETCH_ADDR, FETCH_HOST = "sf9", "10.84.9.2", "10.84.9.1"
NGINX = "10.84.50.1"   # on lo: fetch reaches it through its TUN and the kernel
SERVES = {}
PAGE_REQUESTS = 32
RUN = [0]


def need(tun):
    p = SERVES.get(tun)
    if p is None:
        raise Fail(f"not run: the server on {tun} did not start")
    if not p.running():
        raise Fail(f"not run: the server on {tun} ended: {L.status(p.poll())}{p.tail()}")
    return p


class Fetch:
    """One `synack fetch` run to completion, with its capture and summary."""

    def __init__(self, *args, expect_rc=0, timeout=60):
        RUN[0] += 1
        self.pcap = L.ENV.path(f"fetch-{RUN[0]}.pcap")
        argv = [L.ENV.bin, "fetch", "--tun", FETCH_TUN, "--addr", f"{FETCH_ADDR}/24",
                "--host-addr", f"{FETCH_HOST}/24", "--pcap", self.pcap] + [str(a) for a in args]
        r = L.run(argv, timeout=timeout)
        self.out = r.stdout.decode(errors="replace")
        self.err = r.stderr.decode(errors="replace")
        if r.returncode != expect_rc:
            raise Fail(f"fetch {' '.join(map(str, args))}: {L.status(r.returncode)}, expected "
                       f"{expect_rc}; stderr {self.err.strip()[-300:]!r}; stdout "
                       f"{self.out[-600:]!r}")
        m = re.search(r"^fetch: (\d+) requests, (\d+) ok", self.out, re.M)
        if not m:
            raise Fail(f"no summary line in {self.out[-400:]!r}")
        self.requests, self.ok = int(m.group(1)), int(m.group(2))
        m = re.search(r"^fetch: connections opened (\d+), reused (\d+), most open to one host "
                      r"(\d+)$", self.out, re.M)
        self.opened, self.reused, self.most = map(int, m.groups())
        m = re.search(r"^fetch: tls handshakes full (\d+), resumed (\d+)$", self.out, re.M)
        self.tls_full, self.tls_resumed = map(int, m.groups())
        self.lines = [x for x in self.out.splitlines() if re.match(r"^\s*\d+\s", x)]
        self.protocols = {x.split()[-2] if "ERR" not in x else "-" for x in self.lines}

    def syns(self):
        """SYNs synack sent, counted by tshark in the capture."""
        r = subprocess.run(["tshark", "-r", self.pcap, "-Y",
                            f"tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == {FETCH_ADDR}",
                            "-T", "fields", "-e", "tcp.srcport"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise Fail(f"tshark: {L.status(r.returncode)}: {r.stderr.decode()[-200:]}")
        ports = r.stdout.decode().split()
        return len(set(ports))

    def max_concurrent(self):
        """The most connections open at once, from the capture (SYN to the
        first FIN or RST of each port)."""
        r = subprocess.run(["tshark", "-r", self.pcap, "-Y", f"ip.src == {FETCH_ADDR}", "-T",
                            "fields", "-e", "frame.time_relative", "-e", "tcp.srcport", "-e",
                            "tcp.flags.syn", "-e", "tcp.flags.fin", "-e", "tcp.flags.reset"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        events = []
        opened, ended = set(), set()
        for line in r.stdout.decode().splitlines():
            t, port, syn, fin, rst = line.split("\t")
            if syn in ("1", "True") and port not in opened:
                opened.add(port)
                events.append((float(t), 1))
            elif (fin in ("1", "True") or rst in ("1", "True")) and port not in ended:
                ended.add(port)
                events.append((float(t), -1))
        n = best = 0
        for _, d in sorted(events):
            n += d
            best = max(best, n)
        return best

    def expect(self, requests, connections, protocol):
        if self.requests != requests or self.ok != requests:
            raise Fail(f"{self.ok} of {self.requests} requests ok, expected {requests}: "
                       f"{self.out[-800:]!r}")
        syns = self.syns()
        if self.opened != connections or syns != connections:
            raise Fail(f"{self.opened} connections by fetch's count and {syns} SYNs in the "
                       f"capture, expected {connections}")
        if self.protocols != {protocol}:
            raise Fail(f"protocols {sorted(self.protocols)}, expected {protocol}")
        return f"{requests} requests on {connections} connection(s), {protocol}"


def url(where, path=""):
    _, addr, _, port = where
    return f"{'https' if where is TLS else 'http'}://{addr}:{port}/{path}"


def setup():
    L.sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")


def check_servers_ready():
    problems = []
    for where, extra in ((PLAIN, ()), (TLS, ("--tls-self-signed",))):
        tun, addr, host, port = where
        try:
            SERVES[tun] = L.serve(tun, addr, host, port, "http", *extra, pcap=False,
                                  label=f"serve-{tun}")
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "2 serves ready"


def check_page_http11_six():
    need("sf0")
    f = Fetch(url(PLAIN), "--page")
    detail = f.expect(PAGE_REQUESTS, 6, "http/1.1")
    if f.most != 6 or f.max_concurrent() > 6:
        raise Fail(f"most open {f.most}, in the capture {f.max_concurrent()}; expected 6")
    if f.reused != PAGE_REQUESTS - 6:
        raise Fail(f"reused {f.reused}, expected {PAGE_REQUESTS - 6}")
    return detail + ", never more than 6 open"


def check_page_pool_of_two():
    need("sf0")
    f = Fetch(url(PLAIN), "--page", "--max-per-host", "2", "--svg", L.ENV.path("w.svg"))
    detail = f.expect(PAGE_REQUESTS, 2, "http/1.1")
    if f.max_concurrent() > 2:
        raise Fail(f"{f.max_concurrent()} open at once in the capture")
    svg = open(L.ENV.path("w.svg")).read()
    if not svg.startswith("<svg") or svg.count("<rect") < PAGE_REQUESTS:
        raise Fail(f"the SVG has {svg.count('<rect')} rects")
    return detail


def check_page_http10():
    need("sf0")
    f = Fetch(url(PLAIN), "--page", "--http1.0")
    detail = f.expect(PAGE_REQUESTS, PAGE_REQUESTS, "http/1.0")
    if f.most > 6 or f.max_concurrent() > 6:
        raise Fail(f"{f.most} open at once, capture {f.max_concurrent()}")
    return detail


def check_page_h2c():
    need("sf0")
    return Fetch(url(PLAIN), "--page", "--http2").expect(PAGE_REQUESTS, 1, "h2c")


def check_page_h2_tls():
    need("sf1")
    return Fetch(url(TLS), "--page", "--insecure").expect(PAGE_REQUESTS, 1, "h2")


def check_page_tls_http11():
    need("sf1")
    f = Fetch(url(TLS), "--page", "--insecure", "--http1.1")
    return f.expect(PAGE_REQUESTS, 6, "http/1.1") + f", tls full {f.tls_full} resumed " \
        f"{f.tls_resumed}"


def check_tls_resumed():
    need("sf1")
    f = Fetch(url(TLS), url(TLS, "style.css"), url(TLS, "img/01.svg"), "--insecure",
              "--http1.0", "--max-per-host", "1")
    f.expect(3, 3, "http/1.0")
    if (f.tls_full, f.tls_resumed) != (1, 2):
        raise Fail(f"tls handshakes full {f.tls_full} resumed {f.tls_resumed}, expected 1 and 2")
    return "3 connections: 1 full handshake, 2 resumed"


def check_tls_verify_refuses_self_signed():
    need("sf1")
    f = Fetch(url(TLS), expect_rc=1)
    if "certificate" not in f.out:
        raise Fail(f"no certificate error in {f.out[-300:]!r}")
    return "without --insecure the self-signed certificate is refused"


def check_bad_url():
    r = L.run([L.ENV.bin, "fetch", "--tun", FETCH_TUN, "--addr", f"{FETCH_ADDR}/24",
               "ftp://10.84.0.2/"], timeout=10)
    err = r.stderr.decode()
    if r.returncode != 2 or "unsupported scheme 'ftp'" not in err:
        raise Fail(f"{L.status(r.returncode)}, stderr {err!r}")
    return "ftp:// refused with exit 2"


def check_refused_exit_1():
    need("sf0")
    f = Fetch("http://10.84.0.2:81/", expect_rc=1)
    if "refused" not in f.out:
        raise Fail(f"no 'refused' in {f.out[-300:]!r}")
    return "a refused connection exits 1"


# ------------------------------------------------------------------- nginx
NGINX_CONF = """
daemon off;
user root root;   # the scratch directory is root's alone
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off;
  types {{ text/html html; text/css css; image/svg+xml svg; }}
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  keepalive_requests 1000;
  server {{ listen {a}:8080; root {d}/site; }}
  server {{ listen {a}:8081 http2; root {d}/site; }}
  server {{ listen {a}:8443 ssl http2; root {d}/site;
           ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem; }}
  # GOAWAY after 10 requests, as every nginx does after 1000 (RFC 9113 §6.8)
  server {{ listen {a}:8082 http2; root {d}/site; keepalive_requests 10; }}
}}
"""


def site_files():
    """The built-in page, as synack serves it."""
    files = {}
    for path in ["", "style.css"] + [f"img/{i:02}.svg" for i in range(1, 31)]:
        r = L.run(["curl", "-s", "-S", "--max-time", "5", url(PLAIN, path)], timeout=10)
        if r.returncode != 0:
            raise Fail(f"curl {path}: {L.status(r.returncode)}")
        files[path or "index.html"] = r.stdout
    return files


def check_nginx_ready():
    need("sf0")
    if not os.path.exists("/usr/sbin/nginx"):
        raise Fail("nginx is not installed (apt-get install nginx-light)")
    d = L.ENV.path("nginx")
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    for name, data in site_files().items():
        os.makedirs(os.path.dirname(os.path.join(d, "site", name)), exist_ok=True)
        with open(os.path.join(d, "site", name), "wb") as f:
            f.write(data)
    L.sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", f"{d}/key.pem", "-out", f"{d}/cert.pem", "-days", "2", "-subj",
         f"/CN={NGINX}", "-addext", f"subjectAltName=IP:{NGINX}", timeout=30)
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(d=d, a=NGINX))
    # nginx listens only on a namespace address of its own, on lo.
    L.sh("ip", "addr", "add", f"{NGINX}/32", "dev", "lo")
    p = L.Proc(["/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-p", d], name="nginx")
    SERVES["nginx"] = p
    ok = L.wait_until(lambda: L.run(["curl", "-s", "-o", "/dev/null", f"http://{NGINX}:8080/"],
                                    timeout=5).returncode == 0 or not p.running(), 5)
    if not ok or not p.running():
        raise Fail(f"nginx did not start: {L.status(p.poll())}{p.tail(3)}")
    return "nginx on 8080 (http/1.1), 8081 (h2c), 8443 (h2 over TLS)"


def check_nginx_http11():
    need("nginx")
    f = Fetch(f"http://{NGINX}:8080/index.html", "--page")
    return f.expect(PAGE_REQUESTS, 6, "http/1.1")


def check_nginx_h2c():
    need("nginx")
    return Fetch(f"http://{NGINX}:8081/index.html", "--page", "--http2").expect(
        PAGE_REQUESTS, 1, "h2c")


def check_nginx_h2_tls():
    need("nginx")
    return Fetch(f"https://{NGINX}:8443/index.html", "--page", "--insecure").expect(
        PAGE_REQUESTS, 1, "h2")


def check_nginx_h2c_goaway_retried():
    """nginx ends an h2c connection with GOAWAY after 10 requests; the streams
    above its last-stream-id are refused (RFC 9113 §6.8, §8.7) and fetch sends
    them again on a new connection: every resource arrives, 10 per connection."""
    need("nginx")
    f = Fetch(f"http://{NGINX}:8082/index.html", "--page", "--http2")
    if f.requests != PAGE_REQUESTS or f.ok != PAGE_REQUESTS:
        raise Fail(f"{f.ok} of {f.requests} ok, expected {PAGE_REQUESTS}: {f.out[-800:]!r}")
    want = -(-PAGE_REQUESTS // 10)
    if f.opened != want or f.syns() != want:
        raise Fail(f"connections opened {f.opened}, SYNs {f.syns()}, expected {want}")
    if f.protocols != {"h2c"}:
        raise Fail(f"protocols {f.protocols}")
    m = re.search(r"^fetch: retried (\d+)", f.out, re.M)
    if not m or int(m.group(1)) == 0:
        raise Fail(f"no retries reported: {f.out[-400:]!r}")
    return f"{PAGE_REQUESTS} of {PAGE_REQUESTS} over {want} connections, {m.group(1)} retried"


# ------------------------------------------------ misbehaving kernel servers
ODD = "10.84.51.1"   # on lo, like nginx


def odd_server(port, serve_conn):
    """A kernel listener on ODD:port whose connections serve_conn handles,
    each in a thread; runs until the test ends."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ODD, port))
    ls.listen(16)

    def loop():
        while True:
            c, _ = ls.accept()
            threading.Thread(target=serve_conn, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def racing_conn(c):
    """Answers the first request with keep-alive; when the second arrives,
    closes without an answer (a keep-alive timer that fired just then)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return c.close()
        data += chunk
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.recv(4096)
    c.close()


def silent_conn(c):
    """Accepts and never answers."""
    time.sleep(60)
    c.close()


def check_odd_servers_ready():
    need("sf0")
    L.sh("ip", "addr", "add", f"{ODD}/32", "dev", "lo")
    odd_server(8090, racing_conn)
    odd_server(8091, silent_conn)
    return f"racing server on {ODD}:8090, silent one on {ODD}:8091"


def check_http11_retry_on_reused_connection():
    """The racing server closes each kept-alive connection as the second
    request arrives: fetch sends that GET once more on a new connection
    (RFC 9112 §9.3.1), as curl and browsers do, and says so."""
    need("sf0")
    f = Fetch(*[f"http://{ODD}:8090/{x}" for x in "abc"], "--max-per-host", "1")
    if f.ok != 3 or f.opened != 3 or f.syns() != 3:
        raise Fail(f"{f.ok} ok on {f.opened} connections: {f.out[-600:]!r}")
    if f.out.count("retried 1x: connection closed before the response") != 2 \
            or not re.search(r"^fetch: retried 2 ", f.out, re.M):
        raise Fail(f"retries not shown: {f.out[-600:]!r}")
    return "3 of 3 on 3 connections, /b and /c retried once each"


def check_timeout():
    """A server that accepts and never answers: --timeout-ms 1000 gives up,
    exit 1 with a message, well before curl-like minutes."""
    need("sf0")
    t0 = time.monotonic()
    f = Fetch(f"http://{ODD}:8091/x", "--timeout-ms", "1000", expect_rc=1, timeout=30)
    dt = time.monotonic() - t0
    if "response timed out (nothing for 1000 ms)" not in f.out \
            or "1 request timed out (--timeout-ms 1000)" not in f.err or dt > 10:
        raise Fail(f"after {dt:.1f} s: stdout {f.out[-300:]!r} stderr {f.err[-200:]!r}")
    return f"gave up after 1 s (run {dt:.1f} s), exit 1"


def check_nginx_tls_resumed():
    need("nginx")
    f = Fetch(f"https://{NGINX}:8443/index.html", f"https://{NGINX}:8443/style.css",
              "--insecure", "--http1.0", "--max-per-host", "1")
    f.expect(2, 2, "http/1.0")
    if (f.tls_full, f.tls_resumed) != (1, 1):
        raise Fail(f"tls handshakes full {f.tls_full} resumed {f.tls_resumed}, expected 1 and 1")
    return "the second connection to nginx resumed"


CHECKS = [
    ("servers-ready", check_servers_ready),
    ("bad-url-exit-2", check_bad_url),
    ("refused-exit-1", check_refused_exit_1),
    ("page-http11-six-connections", check_page_http11_six),
    ("page-pool-of-two-svg", check_page_pool_of_two),
    ("page-http10-one-per-request", check_page_http10),
    ("page-h2c-one-connection", check_page_h2c),
    ("page-h2-tls-one-connection", check_page_h2_tls),
    ("page-tls-http11-six", check_page_tls_http11),
    ("tls-second-connection-resumed", check_tls_resumed),
    ("tls-verify-refuses-self-signed", check_tls_verify_refuses_self_signed),
    ("odd-servers-ready", check_odd_servers_ready),
    ("http1.1-retry-on-reused-connection", check_http11_retry_on_reused_connection),
    ("timeout-ms", check_timeout),
    ("nginx-ready", check_nginx_ready),
    ("nginx-page-http11", check_nginx_http11),
    ("nginx-page-h2c", check_nginx_h2c),
    ("nginx-page-h2-tls", check_nginx_h2_tls),
    ("nginx-tls-resumed", check_nginx_tls_resumed),
    ("nginx-h2c-goaway-retried", check_nginx_h2c_goaway_retried),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-fetch", CHECKS, setup=setup, tools=["curl", "openssl", "tshark"]))
