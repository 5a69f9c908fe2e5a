#!/usr/bin/python3
"""Real HTTP clients against `synack serve --app http` over TUN (issue 13).

    test_http.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), synack serves on three
TUN devices it creates itself, each with its own /24 and its own capture:

    sk0  10.83.0.2:80   --app http                     (HTTP/1.0, 1.1, h2c)
    sk1  10.83.1.2:443  --app http --tls-self-signed   (h2 and http/1.1 by ALPN)
    sk2  10.83.2.2:80   --app http:DIR --http-max-requests 5 --http-idle-timeout-ms 500

The kernel's side of each TUN is 10.83.N.1.  Connections are counted twice:
SYNs seen on the TUN (an AF_PACKET sniffer), and synack's own per-connection
report (`http: conn ID PEER PROTOCOL [tls] requests N ...`, printed on
SIGUSR1).  Clients: curl, h2load, wrk, openssl s_client, headless Chromium and
raw sockets.  Prints PASS/FAIL per check and `N passed, M failed`.
"""
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

PLAIN = ("sk0", "10.83.0.2", "10.83.0.1", 80)
TLS = ("sk1", "10.83.1.2", "10.83.1.1", 443)
DIR = ("sk2", "10.83.2.2", "10.83.2.1", 80)
SERVES, SNIFF = {}, {}
IMAGES = [f"img/{i:02}.svg" for i in range(1, 31)]


def png(width, height):
    """A valid grey PNG (so that tshark's PNG dissector finds nothing wrong)."""
    def chunk(kind, data):
        return (struct.pack("!I", len(data)) + kind + data
                + struct.pack("!I", zlib.crc32(kind + data) & 0xffffffff))
    rows = b"".join(b"\x00" + bytes((x * 7 + y) & 0xff for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 0, 0,
                                                                 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


DIR_FILES = {"index.html": b"<!DOCTYPE html><title>dir</title>\n",
             "style.css": b"body{}\n", "app.js": b"console.log(1)\n",
             "pic.png": png(40, 40), "sub/data.txt": b"".join(b"%03d," % i for i in range(100))}


def need(tun):
    p = SERVES.get(tun)
    if p is None:
        raise Fail(f"not run: the serve on {tun} did not start")
    if not p.running():
        raise Fail(f"not run: the serve on {tun} ended: {L.status(p.poll())}{p.tail()}")
    return p


def url(where, path=""):
    _, addr, _, port = where
    scheme = "https" if where is TLS else "http"
    return f"{scheme}://{addr}:{port}/{path}"


def curl(args, timeout=60):
    """curl with one `CODE SIZE CONNECTS VERSION` line per transfer."""
    r = L.run(["curl", "-s", "-S", "--max-time", str(timeout - 5), "-w",
               "%{http_code} %{size_download} %{num_connects} %{http_version}\\n"] + args,
              timeout=timeout)
    if r.returncode != 0:
        raise Fail(f"curl {' '.join(args[:4])}...: {L.status(r.returncode)}; "
                   f"stderr {r.stderr.decode(errors='replace').strip()[:200]!r}")
    return [line.split() for line in r.stdout.decode(errors="replace").splitlines()
            if re.fullmatch(r"\d{3} \d+ \d+ [\d.]+", line)]


def outputs(n):
    """`-o /dev/null` once per URL (curl writes every body to stdout otherwise)."""
    return ["-o", "/dev/null"] * n


class Report:
    """synack's per-connection report, read through SIGUSR1."""

    def __init__(self, p):
        p.connection_table()
        text = p.last_table_text
        m = re.search(r"^http: connections (\d+) \(open (\d+)\) requests (\d+) errors (\d+);",
                      text, re.M)
        if not m:
            raise Fail(f"no `http: connections` line after SIGUSR1: {text[-300:]!r}")
        self.total, self.open, self.requests, self.errors = map(int, m.groups())
        self.conns = {}
        for c in re.finditer(r"^http: conn (\d+) (\S+) (\S+)( tls)? requests (\d+) errors (\d+) "
                             r"(open|closed|reset \(stalled\))$", text, re.M):
            self.conns[int(c.group(1))] = (c.group(3), int(c.group(5)), int(c.group(6)))

    def since(self, before):
        """Connections opened after the report `before`."""
        return {k: v for k, v in self.conns.items() if k not in before.conns}


def syns(tun, t0):
    """SYNs the kernel sent toward synack on `tun` since monotonic time t0."""
    return sum(1 for s in SNIFF[tun].segments() if s.out and s.flags == "S" and s.t >= t0)


def settle():
    time.sleep(0.3)   # the last FINs and the report catch up


def raw_exchange(where, data, timeout=5.0, shut=False):
    """Sends `data` on a kernel socket and reads until the server closes."""
    _, addr, _, port = where
    s = socket.create_connection((addr, port), timeout=timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        got, t_end = b"", time.monotonic() + timeout
        while time.monotonic() < t_end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return got, True
            got += chunk
        return got, False
    finally:
        s.close()


def split_responses(data):
    """HTTP/1.1 responses (status, headers dict, body) from a byte stream."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise Fail(f"a truncated response: {data[:80]!r}")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        data = rest[n:]
    return out


# ------------------------------------------------------------------- checks
BIG_N = 5_000_000


def setup():
    site = L.ENV.path("site")
    for name, content in DIR_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(site, name)), exist_ok=True)
        with open(os.path.join(site, name), "wb") as f:
            f.write(content)
    L.ENV.state["big_sha"] = L.random_file(os.path.join(site, "big.bin"), BIG_N, seed=13)


def check_serves_ready():
    problems = []
    for where, app, extra in ((PLAIN, "http", ()), (TLS, "http", ("--tls-self-signed",)),
                              (DIR, "http:" + L.ENV.path("site"),
                               ("--http-max-requests", "5", "--http-idle-timeout-ms", "500"))):
        tun, addr, host, port = where
        try:
            SERVES[tun] = L.serve(tun, addr, host, port, app, *extra,
                                  label=f"serve-{tun}-http")
            SNIFF[tun] = L.Sniffer(tun)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "3 serves ready"


def check_keepalive_100():
    """HTTP/1.1 keep-alive: curl fetches 100 URLs over one connection."""
    p = need("sk0")
    before, t0 = Report(p), time.monotonic()
    paths = (["", "style.css"] + IMAGES) * 4
    paths = paths[:100]
    rows = curl(["--http1.1"] + outputs(100) + [url(PLAIN, x) for x in paths])
    settle()
    if len(rows) != 100 or any(r[0] != "200" for r in rows):
        raise Fail(f"{len(rows)} transfers, codes {sorted(set(r[0] for r in rows))}")
    new, n_syn = Report(p).since(before), syns("sk0", t0)
    if n_syn != 1 or len(new) != 1:
        raise Fail(f"{n_syn} SYNs and {len(new)} connections on synack's side, expected 1 "
                   f"({new})")
    proto, reqs, _ = next(iter(new.values()))
    if (proto, reqs) != ("http/1.1", 100):
        raise Fail(f"synack counted {reqs} requests as {proto}, expected 100 as http/1.1")
    return "100 requests, 1 SYN, 1 connection carrying 100 requests"


def check_http10_100():
    """HTTP/1.0 closes after each response: 100 requests, 100 connections."""
    p = need("sk0")
    before, t0 = Report(p), time.monotonic()
    rows = curl(["--http1.0"] + outputs(100) + [url(PLAIN, "img/07.svg")] * 100)
    settle()
    if len(rows) != 100 or any(r[0] != "200" or r[1] != rows[0][1] for r in rows):
        raise Fail(f"{len(rows)} transfers: {rows[:3]}")
    # The sniffer thread may still be reading the SYNs: wait for them.
    n_syn = L.wait_until(lambda: syns("sk0", t0) >= 100 and syns("sk0", t0), 3) or syns("sk0", t0)
    new = Report(p).since(before)
    if n_syn != 100 or len(new) != 100:
        raise Fail(f"{n_syn} SYNs and {len(new)} connections, expected 100 of each")
    bad = {k: v for k, v in new.items() if v[:2] != ("http/1.0", 1)}
    if bad:
        raise Fail(f"connections not (http/1.0, 1 request): {list(bad.items())[:3]}")
    return "100 SYNs, 100 connections of 1 request each"


def check_connection_close():
    """RFC 9112 §9.6: the answer to `Connection: close` is the last; synack closes."""
    need("sk0")
    got, closed = raw_exchange(PLAIN, b"GET /img/01.svg HTTP/1.1\r\nHost: a\r\nConnection: close"
                               b"\r\n\r\nGET /img/02.svg HTTP/1.1\r\nHost: a\r\n\r\n")
    if not closed:
        raise Fail("synack did not close within 5 s")
    resp = split_responses(got)
    if len(resp) != 1:
        raise Fail(f"{len(resp)} responses, expected 1")
    status, hdrs, body = resp[0]
    if status != 200 or hdrs.get("connection") != "close" or b">1</text>" not in body:
        raise Fail(f"status {status}, headers {hdrs}")
    return f"one response ({len(got)} bytes) with Connection: close, then FIN"


def check_pipelining():
    """Ten pipelined requests in one write come back in order."""
    need("sk0")
    req = b"".join(b"GET /img/%02d.svg HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(1, 11))
    got, closed = raw_exchange(PLAIN, req + b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    resp = split_responses(got)
    if len(resp) != 11 or not closed:
        raise Fail(f"{len(resp)} responses, closed {closed}")
    for i, (status, _, body) in enumerate(resp[:10], start=1):
        if status != 200 or f">{i}</text>".encode() not in body:
            raise Fail(f"response {i} is not img/{i:02}.svg: {body[-40:]!r}")
    return "11 responses in request order"


def check_bad_requests():
    """Malformed, oversized, and trickled requests get their status and a close."""
    need("sk0")
    cases = [(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
             (b"GET / HTTP/1.1\r\n\r\n", 400),                      # no Host
             (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
             (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999\r\n\r\n", 413),
             (b"GET / HTTP/7.1\r\nHost: a\r\n\r\n", 505)]
    for data, want in cases:
        got, closed = raw_exchange(PLAIN, data)
        if not got.startswith(f"HTTP/1.1 {want} ".encode()) or not closed:
            raise Fail(f"{data[:30]!r}: got {got[:40]!r}, closed {closed}; expected {want}")
    # POST /echo, chunked: the body comes back chunked.
    got, _ = raw_exchange(PLAIN, b"POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    if not got.endswith(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n"):
        raise Fail(f"chunked echo: {got!r}")
    return "400, 400, 431, 413, 505, each followed by a close; chunked echo"


def check_h2c_prior_knowledge():
    """curl --http2-prior-knowledge, and h2load multiplexing 100 requests on one connection."""
    p = need("sk0")
    rows = curl(["--http2-prior-knowledge", "-o", "/dev/null", url(PLAIN)])
    if rows != [["200", rows[0][1], "1", "2"]]:
        raise Fail(f"curl: {rows}")
    before, t0 = Report(p), time.monotonic()
    r = L.run(["h2load", "-n", "100", "-c", "1", "-m", "10", url(PLAIN, "img/03.svg")],
              timeout=30)
    out = r.stdout.decode(errors="replace")
    if "100 succeeded" not in out:
        raise Fail(f"h2load: {out[-400:]!r}")
    settle()
    new, n_syn = Report(p).since(before), syns("sk0", t0)
    if n_syn != 1 or list(new.values()) != [("h2c", 100, 0)]:
        raise Fail(f"{n_syn} SYNs, connections {new}")
    return "curl got HTTP/2; h2load: 100 requests, 1 SYN, 1 h2c connection"


def check_h2c_upgrade():
    """curl --http2 on http://: `Upgrade: h2c`, 101, then HTTP/2 on the same
    connection for the first request and the four after it."""
    p = need("sk0")
    before, t0 = Report(p), time.monotonic()
    paths = IMAGES[:5]
    rows = curl(["--http2"] + outputs(5) + [url(PLAIN, x) for x in paths])
    settle()
    if [(r[0], r[3]) for r in rows] != [("200", "2")] * 5:
        raise Fail(f"curl: {rows}")
    new, n_syn = Report(p).since(before), syns("sk0", t0)
    if n_syn != 1 or list(new.values()) != [("h2c", 5, 0)]:
        raise Fail(f"{n_syn} SYNs, connections {new}")
    return "101 Switching Protocols, then 5 requests over h2c on 1 connection"


def chromium(target, *extra):
    """Headless Chromium loads `target` and its resources; returns the DOM."""
    profile = L.ENV.path(f"chromium-{time.monotonic_ns()}")
    r = L.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
               "--no-first-run", f"--user-data-dir={profile}", *extra, "--dump-dom", target],
              timeout=90)
    dom = r.stdout.decode(errors="replace")
    if r.returncode != 0 or dom.count("<img") != 30:
        raise Fail(f"chromium: {L.status(r.returncode)}, {dom.count('<img')} images in the DOM; "
                   f"stderr {r.stderr.decode(errors='replace').strip()[-200:]!r}")
    return dom


def check_chromium_http11():
    """A browser over HTTP/1.1 opens at most 6 connections to the host (Chromium's
    limit) and spreads the page's 32 requests (and its favicon) over them."""
    p = need("sk0")
    before, t0 = Report(p), time.monotonic()
    chromium(url(PLAIN))
    settle()
    new, n_syn = Report(p).since(before), syns("sk0", t0)
    reqs = sum(v[1] for v in new.values())
    if not (1 < len(new) <= 6) or n_syn != len(new) or reqs < 32:
        raise Fail(f"{n_syn} SYNs, {len(new)} connections, {reqs} requests: {new}")
    if any(v[0] != "http/1.1" for v in new.values()):
        raise Fail(f"not all http/1.1: {new}")
    return (f"{len(new)} connections (= SYNs), {reqs} requests: "
            + " + ".join(str(v[1]) for v in new.values()))


def check_chromium_h2():
    """Over HTTPS Chromium speaks h2: one connection carries every request (it
    may open one spare connection before it knows, which carries none)."""
    p = need("sk1")
    before, t0 = Report(p), time.monotonic()
    chromium(url(TLS), "--ignore-certificate-errors")
    settle()
    new, n_syn = Report(p).since(before), syns("sk1", t0)
    busy = [v for v in new.values() if v[1] > 0]
    if len(busy) != 1 or busy[0][0] != "h2" or busy[0][1] < 32 or len(new) > 2:
        raise Fail(f"{n_syn} SYNs, connections {new}")
    return (f"1 h2 connection carrying {busy[0][1]} requests"
            + (f", {len(new) - 1} spare with none" if len(new) > 1 else ""))


def check_tls_h2():
    """curl --http2 -k over TLS: the page and its 30 images on one connection."""
    p = need("sk1")
    before, t0 = Report(p), time.monotonic()
    paths = ["", "style.css"] + IMAGES
    rows = curl(["--http2", "-k"] + outputs(len(paths)) + [url(TLS, x) for x in paths])
    settle()
    if len(rows) != 32 or any(r[0] != "200" or r[3] != "2" for r in rows):
        raise Fail(f"{len(rows)} transfers: {rows[:3]}")
    new, n_syn = Report(p).since(before), syns("sk1", t0)
    if n_syn != 1 or list(new.values()) != [("h2", 32, 0)]:
        raise Fail(f"{n_syn} SYNs, connections {new}")
    return "32 requests over h2 (ALPN), 1 SYN, 1 connection"


def check_tls_http11_and_fingerprint():
    """ALPN http/1.1 over TLS; the certificate is the one whose fingerprint was printed."""
    p = need("sk1")
    rows = curl(["--http1.1", "-k"] + outputs(3) + [url(TLS, x) for x in ("", "style.css", "x")])
    if [(r[0], r[3]) for r in rows] != [("200", "1.1"), ("200", "1.1"), ("404", "1.1")]:
        raise Fail(f"curl: {rows}")
    m = re.search(r"SHA-256 fingerprint ([0-9A-F:]{95})", p.stderr())
    if not m:
        raise Fail("no fingerprint on stderr")
    _, addr, _, port = TLS
    r = L.run(["openssl", "s_client", "-connect", f"{addr}:{port}", "-alpn", "h2"], timeout=20,
              input=b"")
    pem = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", r.stdout, re.S)
    if not pem:
        raise Fail(f"openssl s_client: no certificate ({r.stderr[-200:]!r})")
    der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=pem.group(0),
                         capture_output=True).stdout
    fp = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    if fp != m.group(1):
        raise Fail(f"served certificate {fp} != printed {m.group(1)}")
    if b"ALPN protocol: h2" not in r.stdout:
        raise Fail("openssl s_client did not get ALPN h2")
    return "http/1.1 by ALPN; fingerprint matches the served certificate"


def check_tls_resumption():
    """A second connection resumes the first's session from its ticket (no full
    handshake), as openssl s_client reports it."""
    need("sk1")
    _, addr, _, port = TLS
    sess, said = L.ENV.path("tls.sess"), []
    req = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    for opt in ("-sess_out", "-sess_in"):
        r = L.run(["openssl", "s_client", "-connect", f"{addr}:{port}", "-alpn", "http/1.1",
                   "-ign_eof", opt, sess], timeout=20, input=req)
        out = r.stdout.decode(errors="replace")
        m = re.search(r"^(New|Reused), TLSv[\d.]+", out, re.M)
        if not m or "HTTP/1.1 200 OK" not in out:
            raise Fail(f"s_client {opt}: {out[-300:]!r}")
        said.append(m.group(0))
    if not said[0].startswith("New") or not said[1].startswith("Reused"):
        raise Fail(f"first {said[0]!r}, second {said[1]!r}")
    return f"first {said[0]}, second {said[1]}"


def check_h2load_tls():
    p = need("sk1")
    before, t0 = Report(p), time.monotonic()
    r = L.run(["h2load", "-n", "200", "-c", "2", "-m", "10", url(TLS, "img/05.svg")], timeout=30)
    out = r.stdout.decode(errors="replace")
    if "200 succeeded" not in out or "TLS Protocol" not in out:
        raise Fail(f"h2load: {out[-400:]!r}")
    settle()
    new, n_syn = Report(p).since(before), syns("sk1", t0)
    if n_syn != 2 or sorted(new.values()) != [("h2", 100, 0), ("h2", 100, 0)]:
        raise Fail(f"{n_syn} SYNs, connections {new}")
    return "200 requests on 2 connections of 100 h2 streams each"


def check_tls_garbage():
    """A TLS handshake of garbage and an h2 preface followed by garbage: closed,
    counted as errors, and the servers still serve."""
    p0, p1 = need("sk0"), need("sk1")
    b1 = Report(p1)
    _, closed = raw_exchange(TLS, b"\x16\x03\x01\x00\x05hello, this is not TLS" * 10)
    if not closed:
        raise Fail("garbage TLS: not closed within 5 s")
    b0 = Report(p0)
    got, closed = raw_exchange(PLAIN, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 64)
    if not closed or b"\x07" not in got[:200]:   # a GOAWAY frame (type 7)
        raise Fail(f"h2 garbage: closed {closed}, got {got[:60]!r}")
    settle()
    e1 = Report(p1).since(b1)
    e0 = Report(p0).since(b0)
    if [v[2] for v in e1.values()] != [1] or [v[2] for v in e0.values()] != [1]:
        raise Fail(f"errors not counted: tls {e1}, h2c {e0}")
    rows = curl(["-k", "--http2", "-o", "/dev/null", url(TLS)]) + curl(["-o", "/dev/null",
                                                                         url(PLAIN)])
    if [r[0] for r in rows] != ["200", "200"]:
        raise Fail(f"not serving afterwards: {rows}")
    return "both closed and counted as errors; both serves still answer"


def check_dir_types_etag_range():
    need("sk2")
    got = {}
    for name, ctype in (("", "text/html; charset=utf-8"), ("style.css", "text/css"),
                        ("app.js", "application/javascript"), ("pic.png", "image/png"),
                        ("sub/data.txt", "text/plain; charset=utf-8")):
        r = L.run(["curl", "-s", "-S", "-D", "-", "-o", L.ENV.path("f.out"), url(DIR, name)],
                  timeout=20)
        head = r.stdout.decode(errors="replace")
        body = open(L.ENV.path("f.out"), "rb").read()
        want = DIR_FILES[name or "index.html"]
        if f"Content-Type: {ctype}\r\n" not in head or body != want:
            raise Fail(f"/{name}: {head[:200]!r}, {len(body)} bytes")
        got[name] = re.search(r"ETag: (\"[0-9a-f]+\")", head).group(1)
    rows = curl(["-o", "/dev/null", "-H", f"If-None-Match: {got['style.css']}",
                 url(DIR, "style.css")])
    if rows[0][:2] != ["304", "0"]:
        raise Fail(f"If-None-Match: {rows}")
    r = L.run(["curl", "-s", "-r", "10-19", "-w", "%{http_code}", url(DIR, "sub/data.txt")],
              timeout=20)
    if r.stdout != DIR_FILES["sub/data.txt"][10:20] + b"206":
        raise Fail(f"Range: {r.stdout!r}")
    rows = curl(["-o", "/dev/null", "-r", "50000-", url(DIR, "sub/data.txt")])
    if rows[0][0] != "416":
        raise Fail(f"unsatisfiable Range: {rows}")
    rows = curl(["-o", "/dev/null", url(DIR, "../../etc/passwd"), "--path-as-is"])
    if rows[0][0] != "404":
        raise Fail(f"traversal: {rows}")
    return "Content-Type by extension, 304, 206 with the right bytes, 416, no traversal"


def check_big_file():
    """5 MB byte-exact over HTTP/1.1 and over h2c (HTTP/2 flow control: far more
    than the 64 KiB initial window)."""
    need("sk2")
    out, done = L.ENV.path("big.out"), []
    for proto in ("--http1.1", "--http2-prior-knowledge"):
        rows = curl([proto, "-o", out, url(DIR, "big.bin")])
        if rows[0][:2] != ["200", str(BIG_N)] or L.sha256_file(out) != L.ENV.state["big_sha"]:
            raise Fail(f"{proto}: {rows}, sha256 differs")
        done.append(f"HTTP/{rows[0][3]}")
    return f"{BIG_N} bytes byte-exact over " + " and ".join(done)


def check_max_requests():
    """--http-max-requests 5: 12 requests need 3 connections (5 + 5 + 2)."""
    p = need("sk2")
    before, t0 = Report(p), time.monotonic()
    rows = curl(["--http1.1"] + outputs(12) + [url(DIR, "style.css")] * 12)
    settle()
    new, n_syn = Report(p).since(before), syns("sk2", t0)
    if len(rows) != 12 or n_syn != 3 or sorted(v[1] for v in new.values()) != [2, 5, 5]:
        raise Fail(f"{len(rows)} transfers, {n_syn} SYNs, connections {new}")
    return "3 SYNs; connections of 5, 5 and 2 requests"


def check_idle_timeout():
    """--http-idle-timeout-ms 500: an idle keep-alive connection is closed;
    a request trickled slower than that gets 408."""
    need("sk2")
    _, addr, _, port = DIR
    s = socket.create_connection((addr, port), timeout=5)
    try:
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: a\r\n\r\n")
        t0, got = time.monotonic(), b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        dt = time.monotonic() - t0
    finally:
        s.close()
    if not got.startswith(b"HTTP/1.1 200") or not (0.4 < dt < 3.0):
        raise Fail(f"closed after {dt:.2f} s with {got[:30]!r}")
    s = socket.create_connection((addr, port), timeout=5)
    try:
        for ch in b"GET / HTTP/1.1\r\n":
            s.send(bytes([ch]))
            time.sleep(0.05)
        got = s.recv(4096)
    finally:
        s.close()
    if not got.startswith(b"HTTP/1.1 408 "):
        raise Fail(f"trickled request: {got[:40]!r}")
    return f"idle connection closed after {dt:.2f} s; trickled request got 408"


def check_wrk():
    """wrk: keep-alive load on 4 connections; synack counts every request.  A
    connection carries at most 1000 (--http-max-requests' default), then
    closes, and wrk opens another: every connection but the 4 last has 1000."""
    p = need("sk0")
    before, t0 = Report(p), time.monotonic()
    r = L.run(["wrk", "-t1", "-c4", "-d1s", url(PLAIN, "img/01.svg")], timeout=30)
    out = r.stdout.decode(errors="replace")
    m = re.search(r"(\d+) requests in", out)
    if r.returncode != 0 or not m or "Non-2xx" in out or "Socket errors" in out:
        raise Fail(f"wrk: {out[-300:]!r}")
    settle()
    new, n_syn = Report(p).since(before), syns("sk0", t0)
    served = sum(v[1] for v in new.values())
    # (The sniffer may miss segments at this rate: SYNs seen are a lower bound.)
    short = [v[1] for v in new.values() if v[1] != 1000]
    if (n_syn > len(new) or len(short) > 8 or max(short, default=0) > 1000
            or served < int(m.group(1)) or len(new) < 4):
        raise Fail(f"{n_syn} SYNs, {len(new)} connections ({short} not of 1000 "
                   f"requests), {served} requests counted, wrk completed {m.group(1)}")
    return (f"{m.group(1)} requests in 1 s; {len(new)} connections, all but "
            f"{len(short)} carrying 1000 requests")


def check_sigterm_report():
    problems = []
    for tun in ("sk0", "sk1", "sk2"):
        p = SERVES.get(tun)
        try:
            L.stop_serve(need(tun), f"serve on {tun}")
            if not re.search(r"^http: connections \d+ \(open 0\)", p.stderr(), re.M):
                problems.append(f"{tun}: no final report")
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "every serve exited 0 and printed its connections"


CHECKS = [
    ("serves-ready", check_serves_ready),
    ("http1.1-keepalive-100-requests-1-connection", check_keepalive_100),
    ("http1.0-100-requests-100-connections", check_http10_100),
    ("connection-close-ends-after-answer", check_connection_close),
    ("pipelined-in-order", check_pipelining),
    ("bad-requests", check_bad_requests),
    ("h2c-prior-knowledge", check_h2c_prior_knowledge),
    ("h2c-upgrade", check_h2c_upgrade),
    ("tls-h2-one-connection", check_tls_h2),
    ("tls-http1.1-and-fingerprint", check_tls_http11_and_fingerprint),
    ("tls-resumption", check_tls_resumption),
    ("chromium-http1.1-at-most-6-connections", check_chromium_http11),
    ("chromium-h2-one-connection", check_chromium_h2),
    ("h2load-tls", check_h2load_tls),
    ("garbage-tls-and-h2", check_tls_garbage),
    ("dir-types-etag-range", check_dir_types_etag_range),
    ("big-file", check_big_file),
    ("max-requests", check_max_requests),
    ("idle-timeout", check_idle_timeout),
    ("wrk-keepalive", check_wrk),
    ("sigterm-exit-0-with-report", check_sigterm_report),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-http", CHECKS, setup=setup,
                    tools=["curl", "h2load", "wrk", "openssl", "chromium", "tshark"]))
