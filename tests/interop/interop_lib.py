"""Shared code for synack's interop tests (tests/interop/test_*.py).

Each test script runs as `/usr/bin/python3 SCRIPT PATH_TO_SYNACK [-v]`, as root,
and calls `main()` below with its list of checks.  `main()`:

  * fails (never skips) when the test cannot run: not root, no /dev/net/tun,
    a missing tool or Python module, a missing synack binary — every check is
    then reported as FAIL with the reason;
  * creates a private network namespace `<prefix>-<pid>` and moves this
    process into it (setns on the main thread: every socket, thread and child
    process opened afterwards lives there too), and deletes it at the end —
    also after a failure, an exception, SIGINT or SIGTERM.  Processes we start
    are stopped by PID (and die with us through PR_SET_PDEATHSIG);
  * runs the checks in order, printing `PASS name[: detail]` or
    `FAIL name: reason` for each, then `N passed, M failed`; the exit status
    is 0 only if M is 0.

Only addresses inside the namespace are used (10.8x.y.0/24, given to the TUN
devices synack creates itself with --tun/--host-addr).
"""
import contextlib
import errno
import ctypes
import ctypes.util
import glob
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
MiB = 1 << 20

# The one line tshark prints on stderr when run as root; anything else is a problem.
TSHARK_ROOT_LINE = re.compile(
    r'^Running as user "root" and group "root"\. This could be dangerous\.$')
FFFF_MESSAGE = "TCP Checksum 0xffff instead of 0x0000 (see RFC 1624)"
# Extra tshark arguments for every capture check, e.g. ["-d", "udp.port==5399,dns"]
# for DNS sent to a port tshark does not know: otherwise the random source
# port may name some other protocol (RTCP, MANOLITO), which then calls the
# query malformed (one run in a few hundred).
TSHARK_DECODE_AS = []
TSHARK_BAD = ('ip.checksum.status==Bad || tcp.checksum.status==Bad || _ws.malformed || '
              '_ws.expert.group=="Malformed" || _ws.expert.group=="Checksum"')


class Fail(Exception):
    """A check failed; the message says why."""


class Env:
    """What the checks share: the synack binary, a scratch directory, the
    processes we started and the pcap files written so far."""

    def __init__(self, binary, tmp, verbose):
        self.bin, self.tmp, self.verbose = binary, tmp, verbose
        self.procs = []
        self.pcaps = []       # (label, path, kernel address) of every capture synack wrote
        self.state = {}       # free-form, for checks that depend on earlier ones

    def log(self, msg):
        if self.verbose:
            print(f"  # {msg}", flush=True)

    def path(self, name):
        return os.path.join(self.tmp, name)


ENV = None   # set by main()


def log(msg):
    if ENV is not None:
        ENV.log(msg)


# ---------------------------------------------------------------- utilities
def status(rc):
    return f"killed by signal {-rc}" if rc is not None and rc < 0 else f"exit status {rc}"


def sh(*args, check=True, timeout=30, input=None):
    """Runs a helper (ip, nft, ss, sysctl) in our namespace; returns its stdout."""
    log("sh: " + " ".join(args))
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {status(r.returncode)}: {r.stderr.strip()[:300]}")
    return r.stdout


def pattern(n, start=0):
    """The source app's bytes: byte i is i mod 256."""
    block = bytes(range(256))
    first = start % 256
    out = bytearray(block[first:])
    while len(out) < n:
        out += block * max(1, (n - len(out)) // 256 + 1)
    return bytes(out[:n])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def pattern_sha256(n):
    """SHA-256 of the first n pattern bytes, computed in 1 MiB blocks."""
    h, block = hashlib.sha256(), pattern(MiB)
    full, rest = divmod(n, MiB)
    for _ in range(full):
        h.update(block)
    h.update(block[:rest])
    return h.hexdigest()


def random_file(path, n, seed):
    """Writes n pseudo-random bytes (fixed by seed) to path; returns their SHA-256."""
    import random
    rnd, h = random.Random(seed), hashlib.sha256()
    with open(path, "wb") as f:
        left = n
        while left > 0:
            chunk = rnd.randbytes(min(left, MiB))
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def mib_per_s(nbytes, seconds):
    return nbytes / MiB / max(seconds, 1e-9)


def describe_mismatch(got, want, what="bytes"):
    """A short description of how two byte strings differ."""
    if len(got) != len(want):
        return f"{len(got)} {what} received, {len(want)} expected"
    for i in range(0, len(got), 4096):
        if got[i:i + 4096] != want[i:i + 4096]:
            j = next(k for k in range(i, min(i + 4096, len(got))) if got[k] != want[k])
            return (f"content differs first at offset {j} "
                    f"(got {got[j]:#04x}, expected {want[j]:#04x})")
    return "identical"


def wait_until(pred, timeout, interval=0.02):
    """Polls pred() until it is true or `timeout` s pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def run_threads(fns, timeout):
    """Runs each fn() in its own thread; returns (results, errors) lists, one per fn.
    A thread still running after `timeout` s reports a timeout error."""
    results, errors = [None] * len(fns), [None] * len(fns)

    def wrap(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - reported to the caller
            errors[i] = e

    threads = [threading.Thread(target=wrap, args=(i, fn), daemon=True) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for i, t in enumerate(threads):
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            errors[i] = TimeoutError(f"still running after {timeout} s")
    return results, errors


# ---------------------------------------------------------------- processes
class Proc:
    """A process we started; stdout and stderr go to files.  It dies with us
    (PR_SET_PDEATHSIG) and is stopped by PID."""

    def __init__(self, args, stdin=None, name=None):
        self.args, self.name = [str(a) for a in args], name or os.path.basename(str(args[0]))
        log("run: " + " ".join(self.args))
        self.out = tempfile.TemporaryFile(dir=ENV.tmp)
        self.err = tempfile.TemporaryFile(dir=ENV.tmp)
        self.p = subprocess.Popen(
            self.args, stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=self.out, stderr=self.err,
            preexec_fn=lambda: LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))
        self.pid = self.p.pid
        ENV.procs.append(self)

    @staticmethod
    def _text(f):   # pread: never moves the offset the child writes at
        return os.pread(f.fileno(), os.fstat(f.fileno()).st_size, 0).decode(errors="replace")

    def stdout(self):
        return self._text(self.out)

    def stderr(self):
        return self._text(self.err)

    def stdout_bytes(self):
        return os.pread(self.out.fileno(), os.fstat(self.out.fileno()).st_size, 0)

    def stdout_lines(self):
        return self.stdout().split("\n")[:-1]     # complete lines only

    def poll(self):
        return self.p.poll()

    def running(self):
        return self.p.poll() is None

    def wait(self, timeout):
        """Exit status, or None if still running after `timeout` s."""
        try:
            return self.p.wait(max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.pid, sig)

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` s; by PID.  Returns the exit status."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, sig)
                self.wait(grace)
        return self.p.poll()

    def tail(self, n=1):
        last = self.stderr().strip().splitlines()[-n:]
        return f" (stderr: {' | '.join(x[:200] for x in last)!r})" if last else ""


class Synack(Proc):
    """A `synack serve` or `synack connect` we started."""

    def __init__(self, args, pcap=None, label=None, kernel_addr=None):
        super().__init__([ENV.bin] + args, name=label or args[0])
        self.pcap = pcap
        if pcap:
            ENV.pcaps.append((label or args[0], pcap, kernel_addr))
        self._err_seen = 0

    def connection_table(self, timeout=2.0):
        """SIGUSR1 to `synack serve`: the connection table it prints on stderr,
        as a list of (STATE, local, remote) tuples (LISTEN included)."""
        start = len(self.stderr())
        self.signal(signal.SIGUSR1)
        # One dump = one fputs; wait until new text ends with a newline and
        # stops growing.
        def complete():
            t = self.stderr()
            return len(t) > start and t.endswith("\n") and t
        last = wait_until(complete, timeout)
        if not last:
            raise Fail(f"{self.name}: no connection table on stderr within {timeout} s after "
                       f"SIGUSR1 ({'running' if self.running() else status(self.poll())})")
        time.sleep(0.05)
        text = self.stderr()[start:]
        self.last_table_text = text   # with the listener's counters line
        rows = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and re.fullmatch(r"[A-Z][A-Z0-9-]*", parts[0]):
                rows.append(tuple(parts))
        return rows


def serve(tun, addr, host, port, app, *extra, pcap=True, label=None, ready_timeout=5.0):
    """Starts `synack serve` on TUN `tun` (synack at addr/24, the kernel at
    host/24) and waits for its `ready ADDR:PORT` line.  Returns the Synack."""
    label = label or f"serve-{tun}-{app.replace(':', '-')}"
    cap = ENV.path(f"{label}.pcap") if pcap else None
    args = ["serve", "--tun", tun, "--addr", f"{addr}/24", "--host-addr", f"{host}/24",
            "--port", str(port), "--app", app]
    if cap:
        args += ["--pcap", cap]
    p = Synack(args + [str(x) for x in extra], pcap=cap, label=label, kernel_addr=host)
    want = f"ready {addr}:{port}"
    wait_until(lambda: want in p.stdout_lines() or not p.running(), ready_timeout)
    if want not in p.stdout_lines():
        rc = p.poll()
        p.stop()
        raise Fail(f"{label}: " + ("still running" if rc is None else status(rc))
                   + f" without printing {want!r} within {ready_timeout} s{p.tail()}")
    if p.stdout_lines()[0] != want:
        p.stop()
        raise Fail(f"{label}: stdout before the ready line: {p.stdout_lines()[:3]}")
    return p


def connect(tun, addr, host, to, *extra, pcap=True, label=None):
    """Starts `synack connect` on TUN `tun` (synack at addr/24, the kernel at
    host/24) toward `to` (IP:PORT).  Returns the Synack; it runs on its own."""
    label = label or f"connect-{tun}"
    cap = ENV.path(f"{label}.pcap") if pcap else None
    args = ["connect", "--tun", tun, "--addr", f"{addr}/24", "--host-addr", f"{host}/24",
            "--to", to]
    if cap:
        args += ["--pcap", cap]
    return Synack(args + [str(x) for x in extra], pcap=cap, label=label, kernel_addr=host)


def stop_serve(p, what="serve"):
    """SIGTERM to a serve: it must exit 0 within 5 s (the contract)."""
    if p.poll() is not None:
        raise Fail(f"{what} had already ended: {status(p.poll())}{p.tail()}")
    p.signal(signal.SIGTERM)
    rc = p.wait(5)
    if rc is None:
        p.stop()
        raise Fail(f"{what} still running 5 s after SIGTERM")
    if rc != 0:
        raise Fail(f"{what}: {status(rc)} after SIGTERM, expected 0{p.tail()}")


def run(args, timeout, input=None):
    """Runs a kernel-side tool (nc, curl, ...) to completion in our namespace;
    it is killed by PID after `timeout` s.  Returns CompletedProcess (bytes)."""
    log("run: " + " ".join(str(a) for a in args))
    try:
        return subprocess.run([str(a) for a in args], input=input, capture_output=True,
                              timeout=timeout,
                              preexec_fn=lambda: LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL,
                                                            0, 0, 0))
    except subprocess.TimeoutExpired as e:
        raise Fail(f"{args[0]} still running after {timeout} s (killed); "
                   f"{len(e.stdout or b'')} bytes on stdout") from None


# ------------------------------------------------------- kernel-side helpers
def kernel_connect(addr, port, timeout=5.0):
    try:
        return socket.create_connection((addr, port), timeout=timeout)
    except OSError as e:
        raise Fail(f"the kernel's connect to {addr}:{port} failed: {e}") from None


def recv_all(s, limit=None, deadline=None):
    """Reads until EOF (or `limit` bytes, or the deadline); returns bytes."""
    buf = bytearray()
    while limit is None or len(buf) < limit:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
        try:
            chunk = s.recv(1 << 18)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def ss_states(state=None):
    """The kernel's TCP sockets in our namespace, from `ss -tanH`: a list of
    (STATE, local, peer).  `state` filters like `ss state time-wait`."""
    args = ["ss", "-tanH"] + (["state", state] if state else [])
    rows = []
    for line in sh(*args).splitlines():
        parts = line.split()
        if not parts:
            continue
        if state:   # with a state filter ss omits the State column
            # Recv-Q Send-Q Local Peer
            if len(parts) >= 4:
                rows.append((state.upper(), parts[2], parts[3]))
        elif len(parts) >= 5:
            rows.append((parts[0].upper(), parts[3], parts[4]))
    return rows


def nft(script):
    sh("nft", script)


# --------------------------------------------------------------- pcap checks
def pcap_frame_count(path):
    """The number of records in a classic pcap file (no tshark needed)."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise Fail(f"{path}: {len(hdr)} bytes, not a pcap file")
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            endian = "<"
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            endian = ">"
        else:
            raise Fail(f"{path}: bad pcap magic {magic:#x}")
        n, size = 0, os.fstat(f.fileno()).st_size
        pos = 24
        while pos + 16 <= size:
            f.seek(pos)
            incl = struct.unpack(endian + "IIII", f.read(16))[2]
            pos += 16 + incl
            n += 1
        if pos != size:
            raise Fail(f"{path}: truncated last record ({size - (pos - incl - 16)} bytes of "
                       f"{incl + 16})")
        return n


class Segment:
    """One TCP segment from a capture: .t (s), .src/.dst ("ip:port"), .flags
    (string of S F R P A), .seq, .ack, .win, .opts (dict kind -> raw bytes), .len."""

    def __repr__(self):
        return (f"{self.t:.3f} {self.src}>{self.dst} [{self.flags}] seq {self.seq} ack {self.ack} "
                f"win {self.win} len {self.len}")


def pcap_records(path):
    """(timestamp, frame bytes) for each record of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        yield sec + frac / (1e9 if nano else 1e6), data[pos + 16:pos + 16 + incl]
        pos += 16 + incl


def parse_tcp(frame, t=0.0):
    """A Segment from a raw IPv4 packet, or None if it is not IPv4/TCP."""
    if len(frame) < 20 or frame[0] >> 4 != 4 or frame[9] != 6:
        return None
    ihl = (frame[0] & 15) * 4
    tcp = frame[ihl:]
    if len(tcp) < 20:
        return None
    total = struct.unpack("!H", frame[2:4])[0]
    sport, dport, seq, ack, off, fl, win = struct.unpack("!HHIIBBH", tcp[:16])
    doff = (off >> 4) * 4
    s = Segment()
    s.t = t
    s.src = f"{socket.inet_ntoa(frame[12:16])}:{sport}"
    s.dst = f"{socket.inet_ntoa(frame[16:20])}:{dport}"
    s.seq, s.ack, s.win = seq, ack, win
    s.flags = "".join(c for c, b in (("S", 2), ("F", 1), ("R", 4), ("P", 8), ("A", 16)) if fl & b)
    s.len = total - ihl - doff
    s.payload = bytes(tcp[doff:doff + s.len])
    s.opts, i, raw = {}, 0, tcp[20:doff]
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            break
        s.opts[kind] = bytes(raw[i + 2:i + raw[i + 1]])
        i += raw[i + 1]
    return s


def pcap_segments(path):
    """Every TCP segment in a capture, as Segments."""
    out = []
    for t, frame in pcap_records(path):
        s = parse_tcp(frame, t)
        if s is not None:
            out.append(s)
    return out


class Sniffer:
    """Records every TCP segment on one interface of our namespace, both
    directions, with an AF_PACKET socket: .segments() gives Segments with .t
    (time.monotonic()) and .out (True: sent by the kernel into the TUN, i.e.
    toward synack; False: written by synack, arriving at the kernel)."""
    ETH_P_ALL, PACKET_OUTGOING = 3, 4

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(self.ETH_P_ALL))
        self.sock.bind((ifname, self.ETH_P_ALL))
        # 8 MiB of backlog (SO_RCVBUFFORCE: we are root): this Python thread
        # parses every frame, and without offloads a bulk check sends tens
        # of thousands; the default ~200 KB dropped SYNs on a loaded machine.
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        self.sock.settimeout(0.05)
        self._segs, self._stop = [], threading.Event()
        self._lock = threading.Lock()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                raw, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError as e:
                # The device went away (a serve exiting): the socket reports
                # ENETDOWN once, then still gives what it had queued, e.g.
                # the RSTs sent just before the exit.
                if e.errno == errno.ENETDOWN:
                    continue
                break
            seg = parse_tcp(raw, time.monotonic())
            if seg is not None:
                seg.out = addr[2] == self.PACKET_OUTGOING
                with self._lock:
                    self._segs.append(seg)

    def segments(self, between=None):
        """Segments so far; `between` = (a, b) keeps those of one connection."""
        with self._lock:
            segs = list(self._segs)
        if between:
            a, b = between
            segs = [s for s in segs if {s.src, s.dst} == {a, b}]
        return segs

    def close(self):
        self._stop.set()
        self.t.join(1)
        self.sock.close()


def check_pcap(path, kernel_addr=None, timeout=240):
    """tshark must find no bad checksum and nothing malformed, and say nothing
    on stderr but the running-as-root line.  Returns a short summary.

    One exception, for frames the kernel wrote (source kernel_addr): a TCP
    checksum field of 0xFFFF where the computed checksum is 0x0000.  Linux
    resolves checksum offload for a TUN in skb_checksum_help(), which writes
    CSUM_MANGLED_0 (0xFFFF) for a checksum that folds to zero, about once in
    65536 segments.  0xFFFF is -0 in one's complement and verifies like 0x0000
    (RFC 1624 section 3), but Wireshark flags it (tcp.checksum.ffff, status Bad).
    Such frames are counted and reported, not failed; the same value from
    synack would fail."""
    if not os.path.exists(path):
        raise Fail(f"no capture {path}")
    frames = pcap_frame_count(path)
    if frames == 0:
        raise Fail(f"{os.path.basename(path)}: no frames")
    # One pass with the filter; each frame it matches is printed as fields so
    # that the one tolerated case can be recognised exactly.
    fields = ["frame.number", "ip.src", "tcp.checksum", "ip.checksum.status",
              "tcp.checksum.status", "_ws.malformed", "_ws.expert.message", "_ws.col.Info"]
    r = run(["tshark", "-n", "-r", path] + TSHARK_DECODE_AS
            + ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y", TSHARK_BAD,
               "-T", "fields", "-E", "separator=/t", "-E", "aggregator=|", "-E", "occurrence=a"]
            + [x for f in fields for x in ("-e", f)], timeout=timeout)
    bad, tolerated = [], 0
    for line in r.stdout.decode(errors="replace").splitlines():
        if not line.strip():
            continue
        v = dict(zip(fields, line.split("\t")))
        if (kernel_addr and v.get("ip.src") == kernel_addr and v.get("tcp.checksum") == "0xffff"
                and v.get("ip.checksum.status") == "1" and not v.get("_ws.malformed")
                and FFFF_MESSAGE in v.get("_ws.expert.message", "").split("|")):
            # (HTTP traffic adds chat-level expert messages, like the request
            # line, to the same frame's list.)
            tolerated += 1
        else:
            info, expert = v.get("_ws.col.Info", ""), v.get("_ws.expert.message", "")
            bad.append(f"frame {v.get('frame.number')} {v.get('ip.src')}: {info[:120]} "
                       f"({expert[:80]})")
    err = [x for x in r.stderr.decode(errors="replace").strip().splitlines()
           if x.strip() and not TSHARK_ROOT_LINE.match(x.strip())]
    problems = []
    if r.returncode != 0:
        problems.append(f"tshark {status(r.returncode)}")
    if bad:
        problems.append(f"{len(bad)} bad frame(s), first: {bad[0]!r}")
    if err:
        problems.append(f"tshark stderr: {err[0][:160]!r}")
    if problems:
        raise Fail(f"{os.path.basename(path)} ({frames} frames): " + "; ".join(problems))
    note = (f"; {tolerated} frame(s) from the kernel with TCP checksum 0xFFFF (-0, Linux's "
            f"CSUM_MANGLED_0) tolerated" if tolerated else "")
    return f"{frames} frames, {os.path.getsize(path) / MiB:.1f} MiB, clean{note}"


def pcap_checks():
    """One check per capture written so far (call at the end of a script)."""
    return [(f"pcap-{label}", (lambda p=path, k=kaddr: check_pcap(p, k)))
            for label, path, kaddr in ENV.pcaps]


# ----------------------------------------------------------------- namespace
def _setns(fd):
    err = ctypes.get_errno() if LIBC.setns(fd, CLONE_NEWNET) != 0 else 0
    os.close(fd)
    if err:
        raise OSError(err, f"setns: {os.strerror(err)}")


class Netns:
    """Creates network namespace `<prefix>-<pid>` and moves this process's main
    thread into it; on exit stops every process we started (by PID), moves
    back and deletes the namespace and the scratch directory."""

    def __init__(self, prefix):
        self.prefix, self.name = prefix, f"{prefix}-{os.getpid()}"
        self.orig = None
        self.created = False

    def _remove_stale(self):
        # Namespaces left by runs that were SIGKILLed: their pid is gone.
        for name in sh("ip", "netns", "list", check=False).split():
            m = re.fullmatch(re.escape(self.prefix) + r"-(\d+)", name)
            if m and not os.path.exists(f"/proc/{m.group(1)}"):
                sh("ip", "netns", "del", name, check=False)
                for d in glob.glob(os.path.join(tempfile.gettempdir(), f"{name}-*")):
                    shutil.rmtree(d, ignore_errors=True)

    def __enter__(self):
        try:
            self._remove_stale()
            sh("ip", "netns", "add", self.name)
            self.created = True
            self.orig = os.open("/proc/self/ns/net", os.O_RDONLY)
            _setns(os.open(f"/run/netns/{self.name}", os.O_RDONLY))
            sh("ip", "link", "set", "lo", "up")
            # No forwarding: a packet for an address nobody owns is dropped
            # silently.  No IPv6: TUN devices created later stay quiet (no
            # router solicitations in the captures).
            sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=0")
            sh("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1", check=False)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for p in reversed(ENV.procs if ENV else []):
                with contextlib.suppress(Exception):
                    p.stop()
            if self.orig is not None:
                _setns(self.orig)
                self.orig = None
            if self.created:
                sh("ip", "netns", "del", self.name, check=False)
                self.created = False
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        return False


# ---------------------------------------------------------------------- main
def _preconditions(binary, tools, modules):
    problems = []
    if os.geteuid() != 0:
        problems.append("not root (network namespaces and TUN devices need root)")
    if not os.path.exists("/dev/net/tun"):
        problems.append("/dev/net/tun is missing")
    for t in ["ip", "sysctl"] + list(tools):
        if shutil.which(t) is None:
            problems.append(f"{t} is not installed")
    for m in modules:
        try:
            __import__(m)
        except Exception as e:  # noqa: BLE001
            problems.append(f"python module {m} missing ({e.__class__.__name__}; "
                            f"apt-get install python3-{m})")
    if binary is None:
        problems.append("usage: SCRIPT PATH_TO_SYNACK [-v]")
    elif not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        problems.append(f"synack binary {binary} " + (
            "not found" if not os.path.exists(binary) else "is not an executable file"))
    return problems


def main(prefix, checks, tools=(), modules=(), setup=None):
    """Runs `checks`, a list of (name, fn): fn() returns an optional detail
    string or raises Fail.  An entry whose fn is None is a marker after which
    the pcap checks of every capture written so far are appended."""
    global ENV
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = len(args) < len(sys.argv) - 1
    binary = os.path.abspath(args[0]) if len(args) == 1 else None
    names = [n for n, fn in checks if fn is not None]
    problems = _preconditions(binary, tools, modules)
    if problems:
        why = "cannot run: " + "; ".join(problems)
        for n in names:
            print(f"FAIL {n}: {why}", flush=True)
        print(f"0 passed, {max(1, len(names))} failed", flush=True)
        return 1

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # unwinds through Netns.__exit__
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    tmp = tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-")
    ENV = Env(binary, tmp, verbose)
    passed = failed = 0
    t_start = time.monotonic()

    def report(name, fn):
        nonlocal passed, failed
        t0 = time.monotonic()
        try:
            detail = fn()
            passed += 1
            took = time.monotonic() - t0
            print(f"PASS {name}" + (f": {detail}" if detail else "")
                  + (f" [{took:.1f} s]" if verbose else ""), flush=True)
        except Fail as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - an unexpected error fails this check only
            failed += 1
            print(f"FAIL {name}: unexpected {e.__class__.__name__}: {e}", flush=True)

    try:
        with Netns(prefix):
            if setup is not None:
                try:
                    setup()
                except Exception as e:  # noqa: BLE001
                    why = e if isinstance(e, Fail) else f"{e.__class__.__name__}: {e}"
                    for n in names:
                        print(f"FAIL {n}: set-up failed: {why}", flush=True)
                    print(f"0 passed, {len(names)} failed", flush=True)
                    return 1
            for name, fn in checks:
                if fn is None:
                    for p in ENV.procs:          # captures are complete once synack exits
                        if p.running() and isinstance(p, Synack):
                            p.stop()
                    for pname, pfn in pcap_checks():
                        report(pname, pfn)
                else:
                    report(name, fn)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr, flush=True)
        return 130
    except SystemExit as e:
        print(f"{prefix}: terminated", file=sys.stderr, flush=True)
        return e.code if isinstance(e.code, int) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if verbose:
        print(f"  # total {time.monotonic() - t_start:.1f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1
