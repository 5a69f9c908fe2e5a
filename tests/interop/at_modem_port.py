"""The pieces the AT-modem interop tests share: the modem's pty as firmware
sees it (python3-serial), Linux TCP servers (plain or TLS) and a UDP echo on
the kernel's side of the TUN, and the start of `synack at-modem` in the
namespace.  Imported by test_at_modem.py and test_at_modem_ssl.py."""
import os
import re
import socket
import threading
import time

import interop_lib as L
from interop_lib import Fail

TUN, ADDR, HOST = "skat0", "10.85.0.2", "10.85.0.1"
STATE = {}    # "modem": the Synack, "port": the Port, "sniffer", "trace"


# ------------------------------------------------------------------ the pty
class Port:
    """The modem's serial line, as firmware sees it."""

    def __init__(self, path):
        import serial
        self.ser = serial.Serial(path, 115200, timeout=0.05)
        self.buf = b""

    def write(self, data):
        self.ser.write(data)
        self.ser.flush()

    def _fill(self):
        n = self.ser.in_waiting
        chunk = self.ser.read(n if n else 1)
        self.buf += chunk
        return chunk

    def read_until(self, pred, timeout, what):
        """Reads until pred(buf) gives a value; returns it and keeps the
        bytes after the match (pred returns (value, end))."""
        deadline = time.monotonic() + timeout
        while True:
            r = pred(self.buf)
            if r is not None:
                value, end = r
                self.buf = self.buf[end:]
                return value
            if time.monotonic() >= deadline:
                raise Fail(f"no {what} within {timeout} s; got {self.buf[-300:]!r}")
            self._fill()

    def expect(self, want, timeout=5.0):
        """The next bytes must be exactly `want`."""
        def pred(b):
            if len(b) < len(want):
                return None if want.startswith(b) else (False, 0)
            return (b[:len(want)] == want, len(want))
        ok = self.read_until(pred, timeout, repr(want))
        if not ok:
            raise Fail(f"expected {want!r}, got {self.buf[:len(want) + 40]!r}")

    def quiet(self, t=0.1):
        """Nothing more arrives for t s."""
        end = time.monotonic() + t
        while time.monotonic() < end:
            self._fill()
        if self.buf:
            raise Fail(f"unexpected bytes from the modem: {self.buf[:200]!r}")

    def at(self, line, want, timeout=5.0):
        """Sends one command line; the answer must be exactly `want`."""
        self.write(line.encode() + b"\r\n")
        self.expect(want, timeout)

    def ipd(self, timeout=5.0):
        """One active-mode `+IPD,[<id>,]<len>:<data>`: returns (id, data)."""
        rx = re.compile(rb"\r\n\+IPD,(?:(\d),)?(\d+):")

        def pred(b):
            m = rx.match(b)
            if not m:
                if len(b) >= 16 and not b"\r\n+IPD,".startswith(b[:7]):
                    raise Fail(f"expected +IPD, got {b[:80]!r}")
                return None
            n = int(m.group(2))
            if len(b) < m.end() + n:
                return None
            lid = int(m.group(1)) if m.group(1) is not None else None
            return ((lid, b[m.end():m.end() + n]), m.end() + n)
        return self.read_until(pred, timeout, "+IPD")

    def close(self):
        self.ser.close()


def port():
    p = STATE.get("port")
    m = STATE.get("modem")
    if p is None or m is None:
        raise Fail("not run: the modem did not start")
    if not m.running():
        raise Fail(f"not run: the modem ended: {L.status(m.poll())}{m.tail()}")
    return p


# ------------------------------------------------------ kernel-side peers
class Server:
    """A Linux TCP server on the kernel's side; `handler(conn)` runs per
    connection in a thread and its result or exception is kept."""

    def __init__(self, port, handler, backlog=8):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, port))
        self.sock.listen(backlog)
        self.sock.settimeout(10)
        self.results, self.errors = [], []
        self.t = threading.Thread(target=self._run, args=(handler,), daemon=True)
        self.t.start()

    def _run(self, handler):
        try:
            conn, _ = self.sock.accept()
        except OSError as e:
            self.errors.append(e)
            return
        try:
            conn.settimeout(30)
            self.results.append(handler(conn))
        except Exception as e:  # noqa: BLE001 - reported by the check
            self.errors.append(e)
        finally:
            conn.close()

    def wait(self, timeout=30):
        self.t.join(timeout)
        self.sock.close()
        if self.t.is_alive():
            raise Fail(f"the Linux server still running after {timeout} s")
        if self.errors:
            raise Fail(f"the Linux server: {self.errors[0].__class__.__name__}: {self.errors[0]}")
        return self.results[0] if self.results else None


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise Fail(f"EOF after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def expect_fin(conn):
    """The next thing from the modem is a FIN (not a RST, not data)."""
    try:
        rest = conn.recv(100)
    except ConnectionResetError:
        raise Fail("the modem reset the connection instead of closing it") from None
    if rest:
        raise Fail(f"data instead of the FIN: {rest!r}")
    return "FIN"


class UdpEcho:
    """A Linux UDP echo server on the kernel's side."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, port))
        self.sock.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            self.sock.sendto(data, peer)

    def close(self):
        self.stop = True
        self.t.join(2)
        self.sock.close()


def cipstatus(s):
    s.write(b"AT+CIPSTATUS\r\n")
    return s.read_until(lambda b: (b, len(b)) if b.endswith(b"\r\nOK\r\n") else None, 5,
                        "AT+CIPSTATUS")




def start_modem(*extra):
    """`synack at-modem` on TUN with a pty, a pcap and a trace; checks that
    stdout is `pty /dev/pts/N` then `ready` and that LINK points to it."""
    link = L.ENV.path("modem")
    cap = L.ENV.path("at-modem.pcap")
    trace = L.ENV.path("at-modem.trace")
    STATE["trace"] = trace
    p = L.Synack(["at-modem", "--tun", TUN, "--addr", f"{ADDR}/24", "--host-addr", f"{HOST}/24",
                  "--pty", link, "--pcap", cap, "--trace", trace, *extra],
                 pcap=cap, label="at-modem", kernel_addr=HOST)
    STATE["modem"] = p
    L.wait_until(lambda: "ready" in p.stdout_lines() or not p.running(), 5)
    lines = p.stdout_lines()
    if lines[-1:] != ["ready"] or len(lines) != 2 or not re.fullmatch(r"pty /dev/pts/\d+", lines[0]):
        p.stop()
        raise Fail(f"stdout {lines!r}, expected ['pty /dev/pts/N', 'ready']{p.tail()}")
    target = os.readlink(link)
    if target != lines[0][4:]:
        raise Fail(f"{link} points to {target}, not {lines[0][4:]}")
    STATE["port"] = Port(link)
    STATE["sniffer"] = L.Sniffer(TUN)
    return f"{lines[0]}, {link} -> {target}"


def trace_text():
    return open(STATE["trace"], errors="replace").read()
