#!/usr/bin/python3
"""`synack connect` against Linux's TCP servers over TUN.

    test_synack_client.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), each check starts one
`synack connect --tun sk0 --addr 10.81.0.2/24 --host-addr 10.81.0.1/24`
(one at a time: the TUN belongs to the process that created it) toward a
server of the kernel's at 10.81.0.1, with its own capture:

  * nc -l receives a 10 MiB --send file (--shutdown-after-send): SHA-256;
  * a Python server sends 10 MiB and closes: the --out file's SHA-256;
  * a Python echo server: --send 1 MiB --shutdown-after-send --out;
  * a closed port: non-zero exit and 'refused';
  * a port whose SYNs an nft rule drops, --syn-retries 1 --rto-initial-ms 200:
    'timed out' after the SYN and one retransmission (0 and 0.2 s);
  * a server that accepts and closes with SO_LINGER {1, 0}: 'reset'.

Every capture is checked with tshark at the end.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

TUN, ME, HOST = "sk0", "10.81.0.2", "10.81.0.1"
NC_PORT, SRC_PORT, ECHO_PORT, CLOSED_PORT, DROP_PORT, RST_PORT = 5001, 5002, 5003, 5004, 5005, 5006
TEN = 10 * MiB


def synack_connect(port, *extra, label):
    return L.connect(TUN, ME, HOST, f"{HOST}:{port}", *extra, label=label)


def finish(p, timeout, what="connect"):
    """Waits for a connect to end; returns (exit status, stdout+stderr text)."""
    rc = p.wait(timeout)
    if rc is None:
        p.stop()
        raise Fail(f"{what} still running after {timeout} s (stopped){p.tail()}")
    return rc, (p.stdout() + p.stderr()).strip()


def listening(port):
    return any(r[1].endswith(f":{port}") for r in L.ss_states("listening"))


class KernelServer:
    """A kernel listening socket on 0.0.0.0:port served by `handler(conn)` in a
    thread (one connection).  The TUN and its address appear only when synack
    starts, so the socket binds to the wildcard address."""

    def __init__(self, port, handler):
        self.srv = socket.create_server(("0.0.0.0", port))
        self.srv.settimeout(15)
        self.result, self.error = None, None
        self.t = threading.Thread(target=self._run, args=(handler,), daemon=True)
        self.t.start()

    def _run(self, handler):
        try:
            conn, _ = self.srv.accept()
            self.result = handler(conn)
        except Exception as e:  # noqa: BLE001 - reported by join()
            self.error = e
        finally:
            self.srv.close()

    def join(self, timeout):
        self.t.join(timeout)
        if self.t.is_alive():
            raise Fail(f"the kernel's server still busy after {timeout} s")
        if self.error:
            raise Fail(f"the kernel's server failed: {self.error!r}")
        return self.result


# ------------------------------------------------------------------- checks
def check_nc_receives_10mib():
    path = L.ENV.path("send-10MiB.bin")
    want = L.random_file(path, TEN, seed=81)
    # -d: nc never reads stdin; it writes what arrives to its stdout (a file
    # Proc keeps) and exits at EOF.
    nc = L.Proc(["nc", "-d", "-l", "-p", str(NC_PORT)], name="nc -l")
    if not L.wait_until(lambda: listening(NC_PORT) or not nc.running(), 5):
        raise Fail(f"nc -l is not listening on {NC_PORT} after 5 s{nc.tail()}")
    t0 = time.monotonic()
    p = synack_connect(NC_PORT, "--send", path, "--shutdown-after-send", label="connect-nc")
    rc, text = finish(p, 30)
    dt = time.monotonic() - t0
    nrc = nc.wait(5)
    if nrc is None:
        nc.stop()
        raise Fail(f"nc still running 5 s after connect ended ({L.status(rc)}: {text[-160:]!r})")
    got = nc.stdout_bytes()
    if rc != 0:
        raise Fail(f"connect: {L.status(rc)}, expected 0 after a clean close; output "
                   f"{text[-160:]!r}; nc got {len(got)} bytes")
    if len(got) != TEN or L.sha256(got) != want:
        raise Fail(f"nc wrote {len(got)} bytes for {TEN} sent"
                   + (", SHA-256 differs" if len(got) == TEN else ""))
    if nrc != 0:
        raise Fail(f"nc: {L.status(nrc)}{nc.tail()}")
    return (f"10 MiB in {dt:.2f} s ({L.mib_per_s(TEN, dt):.1f} MiB/s incl. start-up), SHA-256 "
            f"equal, both exited 0")


def check_python_server_sends_10mib():
    data = os.urandom(TEN)

    def handler(conn):
        with conn:
            conn.sendall(data)
        # close(): a FIN after the data (nothing unread, so no RST)

    srv = KernelServer(SRC_PORT, handler)
    out = L.ENV.path("received-10MiB.bin")
    t0 = time.monotonic()
    p = synack_connect(SRC_PORT, "--out", out, label="connect-pyserver")
    rc, text = finish(p, 30)
    dt = time.monotonic() - t0
    srv.join(5)
    got = open(out, "rb").read() if os.path.exists(out) else b""
    if rc != 0:
        raise Fail(f"connect: {L.status(rc)}, expected 0; output {text[-160:]!r}; "
                   f"--out has {len(got)} bytes")
    if L.sha256(got) != L.sha256(data):
        raise Fail("--out: " + L.describe_mismatch(got, data))
    return f"10 MiB in {dt:.2f} s ({L.mib_per_s(TEN, dt):.1f} MiB/s incl. start-up), SHA-256 equal"


def check_python_echo_server():
    path = L.ENV.path("send-1MiB.bin")
    want = L.random_file(path, MiB, seed=82)

    def handler(conn):
        with conn:
            n = 0
            while chunk := conn.recv(65536):
                conn.sendall(chunk)
                n += len(chunk)
            return n

    srv = KernelServer(ECHO_PORT, handler)
    out = L.ENV.path("echoed-1MiB.bin")
    p = synack_connect(ECHO_PORT, "--send", path, "--shutdown-after-send", "--out", out,
                       label="connect-pyecho")
    rc, text = finish(p, 30)
    n = srv.join(5)
    if rc != 0:
        raise Fail(f"connect: {L.status(rc)}, expected 0; output {text[-160:]!r}")
    if n != MiB:
        raise Fail(f"the server received {n} bytes, expected {MiB}")
    if L.sha256_file(out) != want:
        raise Fail(f"--out has {os.path.getsize(out)} bytes, SHA-256 differs from what was sent")
    return "1 MiB there and back, SHA-256 equal"


def check_refused():
    t0 = time.monotonic()
    p = synack_connect(CLOSED_PORT, label="connect-refused")
    rc, text = finish(p, 10)
    dt = time.monotonic() - t0
    if rc == 0 or "refused" not in text.lower():
        raise Fail(f"{L.status(rc)} with output {text[-160:]!r}; expected non-zero and 'refused'")
    lines = [x for x in text.splitlines() if x.strip()]
    if len(lines) != 1:
        raise Fail(f"{len(lines)} lines of output, expected one naming the reason: {lines[:3]}")
    return f"{L.status(rc)} after {dt:.2f} s: {lines[0]!r}"


def check_timed_out():
    # The kernel silently drops SYNs to DROP_PORT (its own address, so no
    # ICMP, no RST: the SYNs just vanish).
    L.nft(f"add table inet sk_client; add chain inet sk_client in {{ type filter hook input "
          f"priority 0; policy accept; }}; add rule inet sk_client in tcp dport {DROP_PORT} drop")
    try:
        t0 = time.monotonic()
        p = synack_connect(DROP_PORT, "--syn-retries", "1", "--rto-initial-ms", "200",
                           label="connect-timeout")
        rc, text = finish(p, 10)
        dt = time.monotonic() - t0
    finally:
        L.nft("delete table inet sk_client")
    if rc == 0 or "timed out" not in text.lower():
        raise Fail(f"{L.status(rc)} with output {text[-160:]!r} after {dt:.2f} s; expected "
                   f"non-zero and 'timed out'")
    # The SYN at 0, its retransmission at 0.2 s; give up at 0.2 + 0.4 = 0.6 s.
    syns = [s for s in L.pcap_segments(p.pcap) if s.flags == "S" and s.src.startswith(ME)]
    times = [round(s.t - syns[0].t, 3) for s in syns] if syns else []
    if len(syns) != 2 or not 0.15 <= times[1] <= 0.35:
        raise Fail(f"SYNs at {times} s, expected 2: at 0 and about 0.2 s")
    if not 0.5 <= dt <= 3.0:
        raise Fail(f"gave up after {dt:.2f} s, expected about 0.6 s (SYN, retry at 0.2 s, "
                   f"then 0.4 s)")
    return f"'timed out' after {dt:.2f} s; SYNs at {times} s"


def check_reset():
    def handler(conn):
        # SO_LINGER {on, 0 s}: close() sends RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.2)   # let synack reach ESTABLISHED and settle
        conn.close()

    srv = KernelServer(RST_PORT, handler)
    p = synack_connect(RST_PORT, label="connect-reset")
    rc, text = finish(p, 10)
    srv.join(5)
    if rc == 0 or "reset" not in text.lower():
        raise Fail(f"{L.status(rc)} with output {text[-160:]!r}; expected non-zero and 'reset'")
    rsts = [s for s in L.pcap_segments(p.pcap) if "R" in s.flags and s.src.startswith(HOST)]
    if not rsts:
        raise Fail("no RST from the kernel in the capture")
    return f"{L.status(rc)}: {text.splitlines()[-1]!r}"


CHECKS = [
    ("nc-listen-receives-10MiB", check_nc_receives_10mib),
    ("python-server-sends-10MiB", check_python_server_sends_10mib),
    ("python-echo-server-1MiB", check_python_echo_server),
    ("refused", check_refused),
    ("timed-out", check_timed_out),
    ("reset", check_reset),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-client", CHECKS, tools=["nc", "nft", "tshark", "ss"]))
