#!/usr/bin/python3
"""`synack at-modem`'s SSL links (AT+CIPSTART="SSL") against real TLS
servers in a private namespace (see at_modem_port.py), driven over the pty
with python3-serial:

    test_at_modem_ssl.py PATH_TO_SYNACK [-v]      (as root)

A self-signed certificate for 10.85.0.1 is made with `openssl req` at
set-up. Checks: a TLS echo server (Python's ssl) gets 8 KiB in four
AT+CIPSEND writes and returns them plus 100 KiB, byte-exact in +IPD, and
sees the module's close_notify; passive mode over SSL (256 KiB in
AT+CIPRECVDATA chunks, at most 5,760 bytes plus one TLS record waiting); `openssl s_server
-www` answers a GET, then CLOSED; passthrough over SSL, opened again
when the server closes; AT+CIPSSLCCONF=2 refuses the self-signed
certificate (ERROR, CLOSED, the reason in --trace); a server that does not
speak TLS fails the handshake the same way.
Prints PASS/FAIL per check and `N passed, M failed`.
"""
import os
import re
import socket
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402
from at_modem_port import HOST, STATE, Server, port, read_exact, start_modem  # noqa: E402
from at_modem_port import trace_text  # noqa: E402

KiB = 1024


def setup_certificate():
    cert, key = L.ENV.path("cert.pem"), L.ENV.path("key.pem")
    L.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
         "-keyout", key, "-out", cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    STATE["tls"], STATE["cert"], STATE["key"] = ctx, cert, key


class TlsServer(Server):
    """Server, with each connection wrapped in TLS (the handshake included)."""

    def __init__(self, port, handler):
        super().__init__(port, lambda conn: handler(STATE["tls"].wrap_socket(conn, server_side=True)))


def ipd_bytes(s, n, timeout=20):
    """Active-mode +IPD,<len>:<data> until n bytes came."""
    got = b""
    while len(got) < n:
        lid, data = s.ipd(timeout)
        got += data
    return got


def until_closed(s, timeout=10):
    """The data of every +IPD,<len>:<data> up to a `CLOSED` line."""
    frame = re.compile(rb"\r\n\+IPD,(\d+):")

    def pred(b):
        data, at = b"", 0
        while True:
            if b.startswith(b"CLOSED\r\n", at):
                return data, at + len(b"CLOSED\r\n")
            m = frame.match(b, at)
            if not m or len(b) < m.end() + int(m.group(1)):
                if len(b) - at > 16 and not m and not b"CLOSED\r\n".startswith(b[at:at + 8]):
                    raise Fail(f"expected +IPD or CLOSED, got {b[at:at + 60]!r}")
                return None
            data += b[m.end():m.end() + int(m.group(1))]
            at = m.end() + int(m.group(1))
    return s.read_until(pred, timeout, "+IPD ... CLOSED")


def check_start():
    return start_modem("--wifi", "synack")


def check_ssl_echo():
    """8 KiB up in four AT+CIPSEND writes, echoed back with 100 KiB more,
    byte-exact; AT+CIPCLOSE sends close_notify, then a FIN."""
    s = port()
    up = L.pattern(8 * KiB, start=7)
    extra = L.pattern(100 * KiB, start=99)

    def handler(tls):
        got = read_exact(tls, len(up))
        tls.sendall(got + extra)
        return got, tls.recv(100)     # b"": close_notify (a clean TLS close)
    srv = TlsServer(4433, handler)
    s.at("ATE0", b"ATE0\r\n\r\nOK\r\n")
    s.at('AT+CWJAP="synack",""', b"WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
    s.at(f'AT+CIPSTART="SSL","{HOST}",4433', b"CONNECT\r\n\r\nOK\r\n", timeout=10)
    s.write(b"AT+CIPSTATUS\r\n")
    st = s.read_until(lambda b: (b, len(b)) if b.endswith(b"\r\nOK\r\n") else None, 5, "STATUS")
    if not re.fullmatch(rb'STATUS:3\r\n\+CIPSTATUS:0,"SSL","10\.85\.0\.1",4433,\d+,0\r\n\r\nOK\r\n',
                        st):
        raise Fail(f"AT+CIPSTATUS: {st!r}")
    for i in range(0, len(up), 2048):
        s.at("AT+CIPSEND=2048", b"\r\nOK\r\n\r\n>")
        s.write(up[i:i + 2048])
        s.expect(b"\r\nRecv 2048 bytes\r\n\r\nSEND OK\r\n")
    back = ipd_bytes(s, len(up) + len(extra))
    if back != up + extra:
        raise Fail("echo: " + L.describe_mismatch(back, up + extra))
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    got, after = srv.wait()
    if got != up:
        raise Fail("the server got " + L.describe_mismatch(got, up))
    if after != b"":
        raise Fail(f"after the data the server read {after!r}, not close_notify")
    s.quiet()
    return f"{len(up)} bytes up, {len(back)} back byte-exact; close_notify on AT+CIPCLOSE"


def check_ssl_passive():
    """Passive mode over SSL: 256 KiB read in 2 KiB AT+CIPRECVDATA chunks,
    byte-exact, never more than 5,760 bytes plus one TLS record waiting;
    CLOSED after the last."""
    s = port()
    data = L.pattern(256 * KiB, start=3)

    def handler(tls):
        tls.sendall(data)
        tls.unwrap()                  # close_notify
        return True
    srv = TlsServer(4435, handler)
    s.at("AT+CIPRECVMODE=1", b"\r\nOK\r\n")
    s.at(f'AT+CIPSTART="SSL","{HOST}",4435', b"CONNECT\r\n\r\nOK\r\n", timeout=10)
    time.sleep(0.3)
    got, most = bytearray(), 0
    rx = re.compile(rb"(?:\r\n\+IPD,\d+\r\n)*\+CIPRECVLEN:(-?\d+),-1,-1,-1,-1\r\n\r\nOK\r\n")
    data_rx = re.compile(rb"(?:\r\n\+IPD,\d+\r\n)*\+CIPRECVDATA:(\d+),")
    while len(got) < len(data):
        s.write(b"AT+CIPRECVLEN?\r\n")
        n = s.read_until(lambda b: (int(m.group(1)), m.end()) if (m := rx.match(b)) else None,
                         5, "+CIPRECVLEN")
        most = max(most, n)
        if n <= 0:
            time.sleep(0.01)
            continue
        s.write(b"AT+CIPRECVDATA=2048\r\n")

        def pred(b):
            m = data_rx.match(b)
            if not m:
                return None
            k = int(m.group(1))
            end = m.end() + k + len(b"\r\nOK\r\n")
            return (b[m.end():m.end() + k], end) if len(b) >= end else None
        got += s.read_until(pred, 5, "+CIPRECVDATA")
    s.expect(b"CLOSED\r\n")
    srv.wait()
    if bytes(got) != data:
        raise Fail("256 KiB: " + L.describe_mismatch(bytes(got), data))
    # TLS decrypts whole records: past the 5,760-byte window, at most one
    # record (16 KiB) more.
    if most > 5760 + 16 * KiB:
        raise Fail(f"{most} bytes waited in the module, above 5760 + one 16 KiB record")
    s.at("AT+CIPRECVMODE=0", b"\r\nOK\r\n")
    return f"256 KiB byte-exact; at most {most} bytes waiting"


def check_openssl_s_server():
    """`openssl s_server -www`: a GET over the SSL link gets its page, then
    CLOSED."""
    s = port()
    srv = L.Proc(["openssl", "s_server", "-accept", f"{HOST}:4434", "-cert", STATE["cert"],
                  "-key", STATE["key"], "-www", "-quiet"], name="s_server")
    try:
        def listening():
            try:
                socket.create_connection((HOST, 4434), timeout=0.5).close()
                return True
            except OSError:
                return False
        if not L.wait_until(lambda: not srv.running() or listening(), 10) or not srv.running():
            raise Fail(f"openssl s_server did not start{srv.tail(3)}")
        s.at(f'AT+CIPSTART="SSL","{HOST}",4434', b"CONNECT\r\n\r\nOK\r\n", timeout=10)
        get = b"GET / HTTP/1.0\r\n\r\n"
        s.at(f"AT+CIPSEND={len(get)}", b"\r\nOK\r\n\r\n>")
        s.write(get)
        s.expect(f"\r\nRecv {len(get)} bytes\r\n\r\nSEND OK\r\n".encode())
        page = until_closed(s)
    finally:
        srv.stop()
    if not page.startswith(b"HTTP/1.0 200 ok\r\n"):
        raise Fail(f"the page starts {page[:60]!r}")
    return f"HTTP/1.0 200 ok, {len(page)} bytes, then CLOSED"


def check_ssl_passthrough():
    """Passthrough over SSL: raw bytes both ways; when the server closes,
    the module opens a new SSL link to it; `+++` ends passthrough."""
    s = port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 4439))
    sock.listen(2)
    sock.settimeout(10)
    seen, errors = [], []

    def server():
        try:
            for word in (b"hello", b"again"):
                conn, _ = sock.accept()
                tls = STATE["tls"].wrap_socket(conn, server_side=True)
                tls.settimeout(10)
                got = read_exact(tls, len(word))
                tls.sendall(got.upper())
                seen.append(got)
                if word == b"hello":
                    tls.unwrap()
                else:
                    # Held open until AT+CIPCLOSE: a close here would start
                    # another reconnect racing the test's AT+CIPCLOSE.
                    try:
                        while tls.recv(4096):
                            pass
                    except (ssl.SSLError, OSError):
                        pass
                tls.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    t = threading.Thread(target=server, daemon=True)
    t.start()
    s.at("AT+CIPMODE=1", b"\r\nOK\r\n")
    s.at(f'AT+CIPSTART="SSL","{HOST}",4439', b"CONNECT\r\n\r\nOK\r\n", timeout=10)
    s.at("AT+CIPSEND", b"\r\nOK\r\n\r\n>")
    s.write(b"hello")
    s.expect(b"HELLO")
    time.sleep(1.0)            # the server closed; the module reconnects
    s.write(b"again")
    s.expect(b"AGAIN", timeout=5)
    time.sleep(0.1)
    s.write(b"+++")
    time.sleep(0.1)
    s.at("AT+CIPMODE=0", b"\r\nOK\r\n")
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    t.join(10)
    sock.close()
    if errors:
        raise Fail(f"the TLS server: {errors[0].__class__.__name__}: {errors[0]}")
    if seen != [b"hello", b"again"]:
        raise Fail(f"the TLS server saw {seen!r}")
    if "passthrough: reconnecting" not in trace_text():
        raise Fail("no reconnection in --trace")
    return "HELLO, then a new SSL link after the server closed: AGAIN; +++ left passthrough"


def check_ssl_failures():
    """AT+CIPSSLCCONF=2 refuses the self-signed certificate; a server that
    does not speak TLS fails the handshake: ERROR, CLOSED each time, the
    reason in --trace."""
    s = port()
    srv = TlsServer(4436, lambda tls: True)
    s.at("AT+CIPSSLCCONF=2", b"\r\nOK\r\n")
    s.at("AT+CIPSSLCCONF?", b"+CIPSSLCCONF:0,2,0,0\r\n\r\nOK\r\n")
    s.at(f'AT+CIPSTART="SSL","{HOST}",4436', b"\r\nERROR\r\nCLOSED\r\n", timeout=10)
    try:
        srv.wait(10)
    except Fail:
        pass                          # the server's handshake fails too: expected
    s.at("AT+CIPSSLCCONF=0", b"\r\nOK\r\n")
    if "certificate" not in trace_text():
        raise Fail("--trace does not say the certificate was refused")

    def not_tls(conn):
        conn.recv(100)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        return True
    srv = Server(4437, not_tls)
    s.at(f'AT+CIPSTART="SSL","{HOST}",4437', b"\r\nERROR\r\nCLOSED\r\n", timeout=10)
    srv.wait()
    s.at("AT+CIPSTATUS", b"STATUS:4\r\n\r\nOK\r\n")
    s.quiet()
    return "certificate refused with auth mode 2; plain HTTP: handshake failed"


def check_sigterm():
    """SIGTERM with an SSL link open: close_notify and a FIN, exit 0."""
    s = port()
    seen = {}

    def handler(tls):
        seen["after"] = tls.recv(100)
        return True
    srv = TlsServer(4438, handler)
    s.at(f'AT+CIPSTART="SSL","{HOST}",4438', b"CONNECT\r\n\r\nOK\r\n", timeout=10)
    s.close()
    L.stop_serve(STATE["modem"], "at-modem")
    srv.wait(10)
    STATE["sniffer"].close()
    if seen.get("after") != b"":
        raise Fail(f"the server read {seen.get('after')!r}, not close_notify")
    return "close_notify, exit status 0"


CHECKS = [
    ("start-pty-ready", check_start),
    ("ssl-echo-byte-exact", check_ssl_echo),
    ("ssl-passive-256KiB", check_ssl_passive),
    ("ssl-openssl-s_server-www", check_openssl_s_server),
    ("ssl-passthrough", check_ssl_passthrough),
    ("ssl-failures", check_ssl_failures),
    ("sigterm-close-notify", check_sigterm),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-atssl", CHECKS, tools=["openssl"], modules=["serial"],
                    setup=setup_certificate))
