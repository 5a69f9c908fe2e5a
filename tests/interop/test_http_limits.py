#!/usr/bin/python3
"""`synack serve --app http` against RFC 9110/9112/9113 and its own bounds,
over TUN with real clients (issue 13, the spec review's findings).

    test_http_limits.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), two serves of DIR:

    sl0  10.88.0.2:80   --app http:DIR --http-idle-timeout-ms 1000
    sl1  10.88.1.2:80   --app http:DIR --http-max-requests 5

DIR holds small files, a directory `sub/` and a 5 MB `big.bin`.  Checks:
Date on every response (curl, HTTP/1.1 and h2c); exact answers to raw
requests (HEAD ignores Range, If-Match's 412, 501, 301 to `sub/`,
absolute-form, HTTP/1.0 with Transfer-Encoding closes, no content in an
error answer to HEAD); three h2c connections of 100 streams each whose
window is held at zero get GOAWAY after the timeout while the server's
memory stays bounded (no copy of the file per stream); an HTTP/1.1 client
that stops reading is reset; nghttp sees GOAWAY after 5 streams.
"""
import email.utils
import os
import re
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

SRV = ("sl0", "10.88.0.2", "10.88.0.1", 80)
SRV5 = ("sl1", "10.88.1.2", "10.88.1.1", 80)
ADDR, PORT = SRV[1], SRV[3]
SERVES = {}
BIG_N = 5_000_000
FILES = {"index.html": b"<!DOCTYPE html><title>dir</title>\n", "style.css": b"body{}\n",
         "sub/index.html": b"<p>sub</p>\n", "sub/data.txt": b"".join(b"%03d," % i for i in range(100))}
IMF = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
                 r"|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$")


def need(tun="sl0"):
    p = SERVES.get(tun)
    if p is None:
        raise Fail("not run: the serve did not start")
    if not p.running():
        raise Fail(f"not run: the serve ended: {L.status(p.poll())}{p.tail()}")
    return p


def setup():
    site = L.ENV.path("site")
    for name, content in FILES.items():
        os.makedirs(os.path.dirname(os.path.join(site, name)), exist_ok=True)
        with open(os.path.join(site, name), "wb") as f:
            f.write(content)
    L.random_file(os.path.join(site, "big.bin"), BIG_N, seed=7)


def rss_kb(p):
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Fail("no VmRSS")


def exchange(data, timeout=5.0):
    """Sends `data`, reads until the server closes; (bytes, closed)."""
    s = socket.create_connection((ADDR, PORT), timeout=timeout)
    try:
        s.sendall(data)
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


def check_ready():
    site = "http:" + L.ENV.path("site")
    SERVES["sl0"] = L.serve(*SRV, site, "--http-idle-timeout-ms", "1000", label="serve-sl0-http",
                            pcap=False)
    SERVES["sl1"] = L.serve(*SRV5, site, "--http-max-requests", "5", label="serve-sl1-http",
                            pcap=False)
    return "2 serves ready"


def check_date():
    """Date in IMF-fixdate, close to the clock, over HTTP/1.1 and h2c, on 200
    and 404 alike (RFC 9110 §6.6.1)."""
    need()
    seen = []
    for proto in ("--http1.1", "--http2-prior-knowledge"):
        for path, code in (("style.css", "200"), ("nope", "404")):
            r = L.run(["curl", "-s", "-S", "-o", "/dev/null", "-D", "-", proto,
                       f"http://{ADDR}/{path}"], timeout=20)
            head = r.stdout.decode(errors="replace")
            if r.returncode != 0 or f" {code}" not in head.splitlines()[0]:
                raise Fail(f"curl {proto} /{path}: {L.status(r.returncode)} {head[:80]!r}")
            m = re.search(r"^date: (.*?)\r?$", head, re.M | re.I)
            if not m or not IMF.match(m.group(1)):
                raise Fail(f"{proto} /{path}: no IMF-fixdate Date in {head!r}")
            t = email.utils.parsedate_to_datetime(m.group(1)).timestamp()
            if abs(t - time.time()) > 5:
                raise Fail(f"Date {m.group(1)} is {t - time.time():.0f} s off")
            seen.append(m.group(1))
    return f"Date on 4 responses, e.g. {seen[-1]}"


def status_of(data):
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def check_raw_rfc():
    """Exact answers to requests the review found mishandled."""
    need()
    out = []
    # HEAD ignores Range (RFC 9110 §14.2): the whole length, no content.
    got, _ = exchange(b"HEAD /sub/data.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=10-19\r\n"
                      b"Connection: close\r\n\r\n")
    if status_of(got) != "HTTP/1.1 200 OK" or b"\r\nContent-Length: 400\r\n" not in got \
            or not got.endswith(b"\r\n\r\n"):
        raise Fail(f"HEAD with Range: {got!r}")
    out.append("HEAD+Range 200")
    # If-Match that fails: 412 (§13.1.1).
    got, _ = exchange(b"GET /style.css HTTP/1.1\r\nHost: a\r\nIf-Match: \"nomatch\"\r\n"
                      b"Connection: close\r\n\r\n")
    if status_of(got) != "HTTP/1.1 412 Precondition Failed" or b"body{}" in got:
        raise Fail(f"If-Match: {got!r}")
    out.append("412")
    # An unknown method and an unknown transfer coding: 501.
    got, closed = exchange(b"FOO / HTTP/1.1\r\nHost: a\r\n\r\n")
    if status_of(got) != "HTTP/1.1 501 Not Implemented" or not closed:
        raise Fail(f"FOO: {got!r} closed={closed}")
    got, _ = exchange(b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                      b"5\r\nhello\r\n0\r\n\r\n")
    if status_of(got) != "HTTP/1.1 501 Not Implemented":
        raise Fail(f"gzip, chunked: {got!r}")
    out.append("501 x2")
    # A directory without its slash: 301 to it.
    got, _ = exchange(b"GET /sub HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    if status_of(got) != "HTTP/1.1 301 Moved Permanently" or b"\r\nLocation: /sub/\r\n" not in got:
        raise Fail(f"/sub: {got!r}")
    out.append("301")
    # absolute-form (RFC 9112 §3.2.2).
    got, _ = exchange(b"GET http://a/style.css HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    if status_of(got) != "HTTP/1.1 200 OK" or not got.endswith(b"\r\n\r\nbody{}\n"):
        raise Fail(f"absolute-form: {got!r}")
    out.append("absolute-form 200")
    # HTTP/1.0 with Transfer-Encoding: answered, then closed (RFC 9112 §6.1).
    t0 = time.monotonic()
    got, closed = exchange(b"POST /style.css HTTP/1.0\r\nConnection: keep-alive\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    dt = time.monotonic() - t0
    if not closed or dt > 0.9 or b"\r\nConnection: close\r\n" not in got:
        raise Fail(f"1.0 + Transfer-Encoding: closed={closed} after {dt:.2f} s: {got!r}")
    out.append("1.0+TE closed")
    # An error answer to HEAD has no content (RFC 9110 §9.3.2).
    got, closed = exchange(b"HEAD / HTTP/1.1\r\n\r\n")
    if status_of(got) != "HTTP/1.1 400 Bad Request" or not got.endswith(b"\r\n\r\n") \
            or b"\r\nContent-Length: 16\r\n" not in got:
        raise Fail(f"HEAD without Host: {got!r}")
    out.append("HEAD 400 bodiless")
    return ", ".join(out)


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) \
        + payload


def h2_get(stream, path):
    """HEADERS (END_STREAM, END_HEADERS) for GET path, HPACK from the static
    table: :method GET, :scheme http, and literal :path and :authority."""
    p = path.encode()
    block = b"\x82\x86" + bytes([0x04, len(p)]) + p + b"\x01\x01a"
    return h2_frame(1, 0x5, stream, block)


def h2_frames(data):
    out = []
    while len(data) >= 9:
        n = int.from_bytes(data[:3], "big")
        if len(data) < 9 + n:
            break
        out.append((data[3], data[4], int.from_bytes(data[5:9], "big") & 0x7fffffff,
                    data[9:9 + n]))
        data = data[9 + n:]
    return out


def check_h2_stall_memory():
    """3 h2c connections, each SETTINGS_INITIAL_WINDOW_SIZE=0 and 100 streams
    GET /big.bin (5 MB): nothing can be sent.  The server holds no copy of
    the file per stream (its RSS grows by far less than 3 x 100 x 5 MB), and
    after --http-idle-timeout-ms each connection gets GOAWAY(NO_ERROR) and
    ends; the stalls count as errors."""
    p = need()
    before_rss, before = rss_kb(p), Report(p)
    socks = []
    for _ in range(3):
        s = socket.create_connection((ADDR, PORT), timeout=10)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, struct.pack("!HI", 4, 0))
                  + b"".join(h2_get(1 + 2 * i, "/big.bin") for i in range(100)))
        socks.append(s)
    time.sleep(0.5)
    peak = rss_kb(p) - before_rss
    results = []
    for s in socks:
        data, t_end = b"", time.monotonic() + 8
        try:
            while time.monotonic() < t_end:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        frames = h2_frames(data)
        goaway = [f for f in frames if f[0] == 7]
        heads = sum(1 for f in frames if f[0] == 1)
        if not goaway or int.from_bytes(goaway[0][3][4:8], "big") != 0:
            raise Fail(f"no GOAWAY(NO_ERROR): {len(frames)} frames, {heads} HEADERS")
        results.append(heads)
    if peak > 60_000:
        raise Fail(f"server RSS grew {peak} kB with 300 stalled streams")
    time.sleep(0.3)
    new = Report(p).since(before)
    errors = sum(v[2] for v in new.values())
    if len(new) != 3 or errors < 3:
        raise Fail(f"report: {new}")
    return f"RSS +{peak} kB with 300 stalled 5 MB streams; GOAWAY on 3 connections " \
        f"({results} responses begun), {errors} errors counted"


class Report:
    """synack's per-connection report, read through SIGUSR1."""

    def __init__(self, p):
        p.connection_table()
        self.conns = {}
        for c in re.finditer(r"^http: conn (\d+) (\S+) (\S+)( tls)? requests (\d+) errors (\d+) "
                             r"(open|closed|reset \(stalled\))$", p.last_table_text, re.M):
            self.conns[int(c.group(1))] = (c.group(3), int(c.group(5)), int(c.group(6)),
                                           c.group(7))

    def since(self, before):
        return {k: v for k, v in self.conns.items() if k not in before.conns}


def check_http11_reader_stops():
    """A client that asks for big.bin and reads nothing: after the idle
    timeout (1 s) without progress the server resets the connection rather
    than hold it and its output (like nginx's send_timeout)."""
    p = need()
    before = Report(p)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((ADDR, PORT))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(3.0)
    got, how = 0, "timeout"
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                how = "EOF"
                break
            got += len(chunk)
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        pass
    finally:
        s.close()
    if how != "reset" or got >= BIG_N:
        raise Fail(f"after {got} bytes: {how}")
    time.sleep(0.3)
    new = Report(p).since(before)
    if [v[3] for v in new.values()] != ["reset (stalled)"]:
        raise Fail(f"report: {new}")
    return f"reset after {got} of {BIG_N} bytes; the report says reset (stalled)"


def check_h2_max_requests():
    """--http-max-requests 5 over h2c: nghttp asks for 8 on one connection;
    5 are answered and GOAWAY(NO_ERROR) names the 5th request's stream (nghttp
    numbers its requests after a few PRIORITY-only streams)."""
    need("sl1")
    r = L.run(["nghttp", "-nv", "-m", "8", f"http://{SRV5[1]}/style.css"], timeout=30)
    text = r.stdout.decode(errors="replace")
    answered = [int(x) for x in re.findall(r"recv \(stream_id=(\d+)\) :status: 200", text)]
    m = re.search(r"recv GOAWAY frame.*?last_stream_id=(\d+).*?error_code=(\w+)", text, re.S)
    if len(answered) != 5 or not m or int(m.group(1)) != max(answered) \
            or m.group(2) != "NO_ERROR":
        raise Fail(f"answered {answered}, GOAWAY {m.groups() if m else None}: {text[-600:]!r}")
    return f"streams {answered} answered, then GOAWAY last_stream_id={m.group(1)} NO_ERROR"


CHECKS = [
    ("serve-ready", check_ready),
    ("date-header", check_date),
    ("raw-rfc-answers", check_raw_rfc),
    ("h2-stalled-streams-bounded-and-goaway", check_h2_stall_memory),
    ("http1.1-reader-stops-reset", check_http11_reader_stops),
    ("h2-max-requests-goaway", check_h2_max_requests),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-httpl", CHECKS, setup=setup, tools=["curl", "nghttp"]))
