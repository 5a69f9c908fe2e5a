#!/usr/bin/python3
"""Hand-made TCP segments (scapy) against `synack serve`, through its CLI contract.

    test_probes.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py), synack serves on five
TUN devices it creates itself (the kernel's side 10.84.N.1 is only plumbing):

    sk0  10.84.0.2:80  --app source:4000                      option negotiation, MSS
    sk1  10.84.1.2:80  --app echo --synack-retries 2 --rto-initial-ms 200
                                                              SYN-ACK schedule, RST rules
    sk2  10.84.2.2:80  --app hold --backlog 1 --syn-backlog 4 --rto-initial-ms 300
                                                              accept-queue overflow
    sk3  10.84.3.2:80  --app hold --backlog 8 --syn-backlog 4 --syncookies off
                                                              SYN-queue overflow
    sk4  10.84.4.2:80  --app echo (no --pcap: it gets bad checksums on purpose)
                                                              checksum verification

Segments come from 10.84.N.9, an address on the TUN's subnet that nobody
owns: an AF_PACKET socket bound to the TUN writes them straight to synack
(bypassing the kernel's IP stack) and reads synack's answers (which the kernel
then drops: no forwarding).  An nft rule makes sure the kernel never sends as
10.84.N.9.  Sequence numbers in messages are relative to each side's ISN.
"""
import os
import random
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

M32, ETH_P_ALL, ETH_P_IP, PACKET_OUTGOING = 0xFFFFFFFF, 3, 0x800, 4
OPTS = ("sk0", "10.84.0.2", "10.84.0.1", "10.84.0.9", 80)
RULES = ("sk1", "10.84.1.2", "10.84.1.1", "10.84.1.9", 80)
BACKLOG = ("sk2", "10.84.2.2", "10.84.2.1", "10.84.2.9", 80)
SYNQ = ("sk3", "10.84.3.2", "10.84.3.1", "10.84.3.9", 80)
CKSUM = ("sk4", "10.84.4.2", "10.84.4.1", "10.84.4.9", 80)
CLOSED_PORT = 81
SERVES, PROBES = {}, {}
TOL = 0.08          # real-time tolerance for the SYN-ACK schedule, seconds
OPT_MSS, OPT_WSCALE, OPT_SACKOK, OPT_TS = 2, 3, 4, 8


def ip_tcp():
    from scapy.layers.inet import IP, TCP   # imported late: main() checks scapy first
    from scapy.packet import Raw
    return IP, TCP, Raw


class Probe:
    """Injects IPv4 packets from `me` into a TUN and reads the ones synack sends
    to `me`.  Segments of other flows are kept for later recv() calls."""

    def __init__(self, where):
        self.tun, self.dut, self.host, self.me, self.port = where
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self.sock.bind((self.tun, ETH_P_ALL))
        self.pending = []
        self.used_ports = set()

    def inject(self, raw):
        try:
            self.sock.sendto(raw, (self.tun, ETH_P_IP, 0, 0, b""))
        except OSError as e:
            raise Fail(f"cannot inject into {self.tun}: {e.strerror} (did serve exit?)") from None

    def recv(self, match, timeout):
        """The first Segment from synack to us satisfying match(seg), within `timeout` s."""
        for i, s in enumerate(self.pending):
            if match(s):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                raw, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                return None
            if addr[1] != ETH_P_IP or addr[2] == PACKET_OUTGOING:
                continue
            s = L.parse_tcp(raw, time.monotonic())
            if s is None or not s.src.startswith(self.dut + ":") or s.dst.split(":")[0] != self.me:
                continue
            if match(s):
                return s
            self.pending.append(s)
        return None

    def drain(self):
        """Forget everything received so far."""
        self.pending.clear()
        while True:
            self.sock.settimeout(0.0)
            try:
                self.sock.recvfrom(65536)
            except (BlockingIOError, socket.timeout):
                return

    def flow(self, dport=None):
        while True:
            sport = random.randrange(20000, 60000)
            if sport not in self.used_ports:
                self.used_ports.add(sport)
                return Flow(self, dport or self.port, sport)


class Flow:
    """One TCP flow me:sport -> dut:dport.  seq/ack given to send() are
    relative (our ISN is 0, our first data byte 1; synack's likewise once its
    SYN-ACK has been seen); ack_abs= gives an absolute acknowledgment number."""

    def __init__(self, probe, dport, sport):
        self.p, self.dport, self.sport = probe, dport, sport
        self.iss, self.irs = random.getrandbits(32), None
        self.snd, self.rcv = 1, 1          # next relative seq: ours, synack's

    def send(self, flags, seq, ack=None, data=b"", opts=(), win=65535, ack_abs=None):
        IP, TCP, Raw = ip_tcp()
        fl = 0
        for c, b in (("F", 0x01), ("S", 0x02), ("R", 0x04), ("P", 0x08), ("A", 0x10)):
            if c in flags:
                fl |= b
        if ack_abs is not None:
            a = ack_abs
        elif fl & 0x10:
            a = ((self.irs or 0) + (ack or 0)) & M32
        else:
            a = 0
        pkt = IP(src=self.p.me, dst=self.p.dut, ttl=64) / TCP(
            sport=self.sport, dport=self.dport, flags=fl, seq=(self.iss + seq) & M32, ack=a,
            window=win, options=list(opts))
        if data:
            pkt = pkt / Raw(data)
        L.log(f"{self.sport}>{self.dport} [{flags}] seq {seq} ack {ack if ack_abs is None else a} "
              f"len {len(data)} opts {list(opts)}")
        self.p.inject(bytes(pkt))

    def mine(self, s):
        return s.src == f"{self.p.dut}:{self.dport}" and s.dst == f"{self.p.me}:{self.sport}"

    def recv(self, timeout, match=None):
        """The next segment of this flow, with .rseq/.rack relative, or None."""
        s = self.p.recv(lambda x: self.mine(x) and (match is None or match(x)), timeout)
        if s is None:
            return None
        if "S" in s.flags and self.irs is None:
            self.irs = s.seq
        s.rseq = (s.seq - (self.irs or 0)) & M32
        s.rack = (s.ack - self.iss) & M32
        L.log(f"{self.sport}<{self.dport} {describe(s)}")
        return s

    def syn(self, opts=(("MSS", 1460),), win=65535):
        self.send("S", 0, opts=opts, win=win)
        s = self.recv(2.0)
        if s is None:
            raise Fail(f"no answer to a SYN (options {list(opts)}) within 2 s")
        if s.flags != "SA" or s.rack != 1:
            raise Fail(f"expected SYN-ACK with ack = our ISN+1 to a SYN, got {describe(s)}")
        return s

    def handshake(self, opts=(("MSS", 1460),), data=b"", win=65535):
        """SYN, SYN-ACK, ACK (carrying `data`, if any).  Returns the SYN-ACK."""
        sa = self.syn(opts, win)
        self.send("PA" if data else "A", 1, 1, data=data, win=win)
        self.snd = 1 + len(data)
        return sa

    def expect_echo(self, data, timeout=2.0):
        """Sends data and reads it back from the echo app, ACKing what arrives."""
        self.send("PA", self.snd, self.rcv, data=data)
        self.snd += len(data)
        got = b""
        deadline = time.monotonic() + timeout
        while len(got) < len(data) and (left := deadline - time.monotonic()) > 0:
            s = self.recv(left)
            if s is None:
                break
            if "R" in s.flags:
                raise Fail(f"reset while waiting for the echo: {describe(s)}")
            off = (self.rcv - s.rseq) & M32
            if s.len and off < s.len:
                got += s.payload[off:]
                self.rcv = (self.rcv + s.len - off) & M32
                self.send("A", self.snd, self.rcv)
        if got != data:
            raise Fail(f"echo: {L.describe_mismatch(got, data)} within {timeout} s")

    def rst(self):
        """An exact RST, to leave nothing behind."""
        self.send("R", self.snd)


def describe(s):
    opts = []
    for k, v in s.opts.items():
        name = {OPT_MSS: "mss", OPT_WSCALE: "wscale", OPT_SACKOK: "sackOK", OPT_TS: "ts"}.get(k, k)
        if k == OPT_MSS and len(v) == 2:
            opts.append(f"mss {int.from_bytes(v, 'big')}")
        elif k == OPT_WSCALE and len(v) == 1:
            opts.append(f"wscale {v[0]}")
        else:
            opts.append(str(name))
    rseq = getattr(s, "rseq", s.seq)
    rack = getattr(s, "rack", s.ack)
    return (f"[{s.flags}] seq {rseq} ack {rack if 'A' in s.flags else '-'} win {s.win} "
            f"len {s.len}" + (f" <{','.join(opts)}>" if opts else ""))


def need(where):
    tun = where[0]
    p = SERVES.get(tun)
    if p is None:
        raise Fail(f"not run: the serve on {tun} did not start")
    if not p.running():
        raise Fail(f"not run: the serve on {tun} ended: {L.status(p.poll())}{p.tail()}")
    PROBES[tun].drain()
    return p, PROBES[tun]


# ------------------------------------------------------------------ set-up
def setup():
    # The guard: the kernel must never speak as one of our spoofed addresses.
    mes = ", ".join(w[3] for w in (OPTS, RULES, BACKLOG, SYNQ, CKSUM))
    L.nft(f"add table inet sk_probe; add chain inet sk_probe out {{ type filter hook output "
          f"priority 0; policy accept; }}; add rule inet sk_probe out ip saddr {{ {mes} }} drop")


def check_serves_ready():
    problems = []
    for where, app, extra in (
            # --no-offload: the probe reads frames as synack hands them to the
            # TUN, where a GSO frame is still whole (the kernel cuts it at the
            # MSS only on its way out of a device), and it counts segment sizes.
            (OPTS, "source:4000", ["--no-offload"]),
            (RULES, "echo", ["--synack-retries", 2, "--rto-initial-ms", 200]),
            (BACKLOG, "hold", ["--backlog", 1, "--syn-backlog", 4, "--rto-initial-ms", 300]),
            (SYNQ, "hold", ["--backlog", 8, "--syn-backlog", 4, "--syncookies", "off"]),
            (CKSUM, "echo", [])):
        tun, addr, host, _, port = where
        try:
            SERVES[tun] = L.serve(tun, addr, host, port, app, *extra, pcap=where is not CKSUM)
            PROBES[tun] = Probe(where)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "5 serves ready"


# ------------------------------------------------------ option negotiation
def opt_mss(s):
    v = s.opts.get(OPT_MSS)
    return int.from_bytes(v, "big") if v and len(v) == 2 else None


def read_source(f, n, timeout=3.0):
    """Reads --app source data to the FIN, ACKing as it goes (a window of
    65535 is enough for 4000 bytes); returns (data, data segment sizes)."""
    got, sizes = b"", []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        s = f.recv(left)
        if s is None:
            break
        if "R" in s.flags:
            raise Fail(f"reset after {len(got)} bytes: {describe(s)}")
        off = (f.rcv - s.rseq) & M32
        if s.len:
            sizes.append(s.len)
            if off < s.len:
                got += s.payload[off:]
                f.rcv = (f.rcv + s.len - off) & M32
        if "F" in s.flags and (s.rseq + s.len) & M32 == f.rcv:
            f.rcv = (f.rcv + 1) & M32
            f.send("A", f.snd, f.rcv)
            f.send("FA", f.snd, f.rcv)          # and close our side: synack's TIME-WAIT
            f.snd += 1
            last = f.recv(2.0)
            if last is None or "A" not in last.flags or last.rack != f.snd:
                raise Fail(f"our FIN not ACKed: {describe(last) if last else 'nothing'}")
            return got, sizes
        f.send("A", f.snd, f.rcv)
    raise Fail(f"no FIN after {len(got)} of {n} bytes within {timeout} s")


def check_syn_mss1200_wscale7():
    """SYN with MSS 1200 and WScale 7: the SYN-ACK carries MSS and WScale (RFC
    7323 §2.2: both SYNs have it), and data segments are at most 1200 bytes."""
    _, probe = need(OPTS)
    f = probe.flow()
    sa = f.handshake(opts=(("MSS", 1200), ("NOP", None), ("WScale", 7)), data=b"request\r\n")
    problems = []
    if opt_mss(sa) is None:
        problems.append("no MSS option")
    elif not 536 <= opt_mss(sa) <= 1460:
        problems.append(f"MSS {opt_mss(sa)} outside 536..1460 (MTU 1500)")
    if OPT_WSCALE not in sa.opts or len(sa.opts[OPT_WSCALE]) != 1:
        problems.append("no WScale option")
    elif sa.opts[OPT_WSCALE][0] > 14:
        problems.append(f"WScale {sa.opts[OPT_WSCALE][0]} > 14")
    if OPT_SACKOK in sa.opts or OPT_TS in sa.opts:
        problems.append("SACK-permitted or timestamps offered though our SYN had neither")
    if problems:
        raise Fail(f"SYN-ACK {describe(sa)}: " + "; ".join(problems))
    data, sizes = read_source(f, 4000)
    if data != L.pattern(4000):
        raise Fail("source:4000 data: " + L.describe_mismatch(data, L.pattern(4000)))
    if max(sizes) > 1200:
        raise Fail(f"data segments of {sorted(set(sizes))} bytes, MSS was 1200")
    return (f"SYN-ACK {describe(sa)}; 4000 bytes in segments of {sorted(set(sizes))} bytes "
            f"(MSS 1200)")


def check_syn_without_wscale():
    """SYN without WScale: the SYN-ACK must not carry WScale (RFC 7323 §2.2)."""
    _, probe = need(OPTS)
    f = probe.flow()
    sa = f.syn(opts=(("MSS", 1460),))
    f.rst()      # an exact RST removes the half-open entry (RFC 9293 §3.10.7.4)
    if OPT_WSCALE in sa.opts:
        raise Fail(f"SYN-ACK carries WScale: {describe(sa)}")
    if opt_mss(sa) is None:
        raise Fail(f"SYN-ACK without MSS: {describe(sa)}")
    return f"SYN-ACK {describe(sa)}"


def check_syn_without_mss():
    """SYN without any option: synack must assume MSS 536 (RFC 9293 §3.7.1):
    every data segment of --app source:4000 is at most 536 bytes."""
    _, probe = need(OPTS)
    f = probe.flow()
    sa = f.handshake(opts=(), data=b"request\r\n")
    if OPT_WSCALE in sa.opts:
        raise Fail(f"SYN-ACK carries WScale though our SYN did not: {describe(sa)}")
    data, sizes = read_source(f, 4000)
    if data != L.pattern(4000):
        raise Fail("source:4000 data: " + L.describe_mismatch(data, L.pattern(4000)))
    if max(sizes) > 536:
        raise Fail(f"data segments of {sorted(set(sizes))} bytes, expected at most 536 "
                   f"(no MSS option in our SYN)")
    return f"4000 bytes in segments of {sorted(set(sizes))} bytes"


def check_peer_window():
    """Flow control with window scaling: our SYN says WScale 7, then every ACK
    advertises a window field of 8, i.e. 8 << 7 = 1024 bytes (RFC 7323 §2.3;
    the SYN's own window is never scaled).  synack must never send beyond the
    right edge (ack + 1024), must use the scaled window (segments larger than
    8 bytes), and, after a window of 0 for one second (only zero-window probes
    without data may come), must finish the 4000 bytes once it opens again."""
    _, probe = need(OPTS)
    f = probe.flow()
    f.handshake(opts=(("MSS", 1460), ("NOP", None), ("WScale", 7)), data=b"request\r\n",
                win=8)
    got, sizes, problems = b"", [], []
    edge = f.rcv + 1024               # relative right edge we advertised
    zero_done = False
    deadline = time.monotonic() + 6
    while (left := deadline - time.monotonic()) > 0:
        s = f.recv(left)
        if s is None:
            break
        if "R" in s.flags:
            raise Fail(f"reset after {len(got)} bytes: {describe(s)}")
        end = (s.rseq + s.len) & M32
        if s.len and ((end - edge) & M32) < 0x80000000 and end != edge:
            problems.append(f"segment seq {s.rseq} len {s.len} ends beyond our right edge {edge}")
        off = (f.rcv - s.rseq) & M32
        if s.len:
            sizes.append(s.len)
            if off < s.len:
                got += s.payload[off:]
                f.rcv = (f.rcv + s.len - off) & M32
        if "F" in s.flags and end == f.rcv:
            f.rcv = (f.rcv + 1) & M32
            f.send("A", f.snd, f.rcv, win=8)
            break
        if len(got) >= 2048 and not zero_done:
            # Close the window for a second: nothing but probes may come.
            f.send("A", f.snd, f.rcv, win=0)
            edge = f.rcv
            t_zero = time.monotonic()
            while (z := t_zero + 1.0 - time.monotonic()) > 0:
                q = f.recv(z)
                if q is None:
                    break
                if q.len > 0:
                    problems.append(f"{q.len} bytes sent into a zero window: {describe(q)}")
            zero_done = True
        f.send("A", f.snd, f.rcv, win=8)
        edge = f.rcv + 1024
    f.rst()
    if got != L.pattern(4000):
        problems.append("data: " + L.describe_mismatch(got, L.pattern(4000)) + " within 6 s")
    if sizes and max(sizes) <= 8:
        problems.append(f"segments of at most {max(sizes)} bytes: the window was not scaled")
    if problems:
        raise Fail("; ".join(problems[:3]))
    return (f"4000 bytes in segments of {sorted(set(sizes))} bytes, never beyond the scaled "
            f"window of 1024; nothing sent into a zero window for 1 s")


# ------------------------------------------------------- SYN-ACK schedule
def check_synack_schedule():
    """--synack-retries 2 --rto-initial-ms 200: SYN-ACKs at 0, 0.2 and 0.6 s,
    then nothing; the entry dies at 0.6 + 0.8 = 1.4 s, so a late ACK (at 1.7 s)
    finds no connection and gets <SEQ=SEG.ACK><CTL=RST>."""
    _, probe = need(RULES)
    f = probe.flow()
    t0 = time.monotonic()
    f.send("S", 0, opts=(("MSS", 1460),))
    seen = []
    while (left := t0 + 1.7 - time.monotonic()) > 0:
        s = f.recv(left)
        if s is None:
            break
        seen.append(s)
    times = [round(s.t - t0, 3) for s in seen]
    want = [0.0, 0.2, 0.6]
    bad = [describe(s) for s in seen if s.flags != "SA" or s.rack != 1 or s.seq != seen[0].seq]
    if bad:
        raise Fail(f"expected only SYN-ACKs (same ISN, ack ISN+1), got {bad[:2]}")
    if len(times) != 3 or any(abs(a - b) > TOL for a, b in zip(times, want)):
        raise Fail(f"SYN-ACKs at {times} s, expected 3 at {want} s (+-{TOL * 1000:.0f} ms) "
                   f"then nothing until 1.7 s")
    # The late ACK of the (now forgotten) SYN-ACK.
    ack_abs = (seen[0].seq + 1) & M32
    f.send("A", 1, ack_abs=ack_abs)
    r = f.recv(1.0)
    if r is None:
        raise Fail(f"SYN-ACKs at {times} s ok, but no RST for the late ACK within 1 s")
    if r.flags != "R" or r.seq != ack_abs:
        raise Fail(f"SYN-ACKs at {times} s ok; the late ACK got {describe(r)}, expected "
                   f"[R] with seq = the ACK's ack (absolute {ack_abs}, got {r.seq})")
    return f"SYN-ACKs at {times} s, then silence; the late ACK at 1.7 s got a RST"


# ------------------------------------------------------------- RST rules
def established(probe):
    f = probe.flow()
    f.handshake()
    f.expect_echo(b"hello")
    return f


def check_exact_rst():
    """An RST with exactly the expected sequence number ends an established
    connection (RFC 5961 §3.2): later data gets a RST, the table has no entry."""
    p, probe = need(RULES)
    f = established(probe)
    f.send("R", f.snd)
    time.sleep(0.1)
    table = p.connection_table()
    me = f"{probe.me}:{f.sport}"
    rows = [r for r in table if r[2] == me]
    f.send("PA", f.snd, f.rcv, data=b"after the reset")
    r = f.recv(1.0)
    if rows:
        raise Fail(f"connection still in synack's table after an exact RST: {rows}")
    if r is None or r.flags != "R" or r.seq != (f.irs + f.rcv) & M32:
        raise Fail(f"data after the RST got {describe(r) if r else 'nothing'}, expected [R] "
                   f"with seq = our ack ({f.rcv})")
    return "connection gone from the table; later data got [R] seq = our ack"


def check_inwindow_rst():
    """An in-window RST that is not exact gets a challenge ACK (RFC 5961 §3.2)
    with ack = synack's next expected byte; the connection lives on."""
    _, probe = need(RULES)
    f = established(probe)
    f.send("R", f.snd + 1000)
    r = f.recv(1.0)
    if r is None:
        raise Fail("no challenge ACK within 1 s for an in-window RST (seq next+1000)")
    if r.flags != "A" or r.rack != f.snd or r.rseq != f.rcv or r.len:
        raise Fail(f"got {describe(r)}, expected a challenge ACK [A] seq {f.rcv} ack {f.snd}")
    f.expect_echo(b"still alive")
    f.rst()
    return f"challenge ACK {describe(r)}; the connection still echoes"


def check_syn_on_established():
    """A SYN on an established connection gets a challenge ACK (RFC 5961 §4.2),
    not a RST; the connection lives on."""
    _, probe = need(RULES)
    f = established(probe)
    f.send("S", f.snd + 10, opts=(("MSS", 1460),))
    r = f.recv(1.0)
    if r is None:
        raise Fail("no answer within 1 s to an in-window SYN on an established connection")
    if r.flags != "A" or r.rack != f.snd or r.rseq != f.rcv:
        raise Fail(f"got {describe(r)}, expected a challenge ACK [A] seq {f.rcv} ack {f.snd}")
    f.expect_echo(b"still alive")
    f.rst()
    return f"challenge ACK {describe(r)}; the connection still echoes"


# ---------------------------------------------------------------- backlogs
def check_accept_queue_overflow():
    """--app hold --backlog 1: with two SYN-ACKs out, the first final ACK fills
    the accept queue; the second is dropped silently and that SYN-ACK is
    retransmitted (after --rto-initial-ms 300).  A third SYN, with the queue
    full, is dropped (Linux)."""
    p, probe = need(BACKLOG)
    a, b = probe.flow(), probe.flow()
    sa_a = a.syn()
    sa_b = b.syn()
    t_b = sa_b.t
    a.send("A", 1, 1)
    time.sleep(0.05)
    b.send("A", 1, 1)
    problems = []
    ra = a.recv(0.2)
    if ra is not None:
        problems.append(f"A's final ACK got {describe(ra)}, expected nothing")
    rb = b.recv(1.0)
    if rb is None:
        problems.append("B's SYN-ACK was not retransmitted within 1 s after its ACK was dropped")
    elif rb.flags != "SA" or rb.seq != sa_b.seq or rb.rack != 1:
        problems.append(f"B got {describe(rb)}, expected its SYN-ACK again")
    else:
        wait = rb.t - t_b
        if not 0.3 - TOL <= wait <= 0.3 + 0.2:
            problems.append(f"B's SYN-ACK retransmitted {wait:.3f} s after the first, expected "
                            f"about 0.3 s (--rto-initial-ms 300)")
    c = probe.flow()
    c.send("S", 0, opts=(("MSS", 1460),))
    rc = c.recv(0.5)
    if rc is not None:
        problems.append(f"a SYN with the accept queue full got {describe(rc)}, expected nothing")
    rows = [r for r in p.connection_table() if r[2] == f"{probe.me}:{a.sport}"]
    if [r[0] for r in rows] != ["ESTABLISHED"]:
        problems.append(f"A in synack's table: {rows}, expected ESTABLISHED")
    if problems:
        raise Fail("; ".join(problems))
    del sa_a
    return (f"A established (queue 1/1); B's ACK dropped, its SYN-ACK again after "
            f"{rb.t - t_b:.3f} s; a third SYN dropped")


def check_syn_queue_overflow():
    """--app hold --syn-backlog 4 --syncookies off: four SYNs get SYN-ACKs, the
    fifth is dropped (with cookies, synack's default, it would get a cookie)."""
    _, probe = need(SYNQ)
    flows = [probe.flow() for _ in range(5)]
    answers = []
    for f in flows:
        f.send("S", 0, opts=(("MSS", 1460),))
        answers.append(f.recv(0.5))
    got = ["SA" if r is not None and r.flags == "SA" else (describe(r) if r else "-")
           for r in answers]
    for f in flows[:4]:
        f.rst()
    if got != ["SA"] * 4 + ["-"]:
        raise Fail(f"answers to 5 SYNs: {got}, expected 4 SYN-ACKs and silence")
    return "4 SYN-ACKs, the fifth SYN dropped"


# ------------------------------------------------------------ closed ports
def check_syn_to_closed_port():
    """RFC 9293 §3.10.7.1: a SYN to a closed port gets
    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>."""
    _, probe = need(OPTS)
    f = probe.flow(CLOSED_PORT)
    f.send("S", 0, opts=(("MSS", 1460),))
    r = f.recv(1.0)
    if r is None:
        raise Fail("no answer within 1 s")
    if r.flags != "RA" or r.rack != 1 or r.seq != 0:
        raise Fail(f"got {describe(r)} (absolute seq {r.seq}), expected [RA] seq 0 ack ISN+1")
    return "[RA] seq 0 ack ISN+1"


def check_ack_to_closed_port():
    """RFC 9293 §3.10.7.1: an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>."""
    _, probe = need(OPTS)
    f = probe.flow(CLOSED_PORT)
    ack_abs = random.getrandbits(32)
    f.send("A", 1, ack_abs=ack_abs)
    r = f.recv(1.0)
    if r is None:
        raise Fail("no answer within 1 s")
    if r.flags != "R" or r.seq != ack_abs:
        raise Fail(f"got [{r.flags}] seq {r.seq}, expected [R] seq {ack_abs} (the ACK's ack)")
    # And a RST to a closed port gets nothing.
    f.send("R", 1)
    q = f.recv(0.3)
    if q is not None:
        raise Fail(f"a RST to a closed port got {describe(q)}, expected nothing")
    return "[R] seq = the ACK's ack; a RST got no answer"


# --------------------------------------------------------------- checksums
def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def syn_bytes(f, window, chksum):
    IP, TCP, _ = ip_tcp()
    return bytes(IP(src=f.p.me, dst=f.p.dut, ttl=64) / TCP(
        sport=f.sport, dport=f.dport, flags="S", seq=f.iss, window=window,
        options=[("MSS", 1460)], chksum=chksum))


def zero_checksum_syn(f):
    """A SYN of flow f whose TCP checksum computes to 0x0000: the window is
    chosen to make the one's-complement sum 0xFFFF (the ISN is redrawn until
    that window is a sensible one).  Returns the window."""
    while True:
        raw = syn_bytes(f, 0, 0)
        ihl = (raw[0] & 15) * 4
        tcp = raw[ihl:]
        pseudo = raw[12:20] + b"\0\x06" + len(tcp).to_bytes(2, "big")
        s0 = ones_sum(pseudo + tcp)          # window and checksum fields zero
        window = 0xFFFF - s0
        if 1024 <= window <= 0xFFFF:
            return window
        f.iss = random.getrandbits(32)


def check_checksums():
    """A SYN with a wrong TCP checksum is dropped; one whose checksum is zero is
    accepted both as 0x0000 and as 0xFFFF (-0; RFC 1624 section 3: Linux
    itself writes 0xFFFF into such segments on a TUN, see interop_lib)."""
    _, probe = need(CKSUM)
    results = {}
    for what, pick in (("wrong", lambda c: (c + 0x1234) & 0xFFFF or 1), ("0x0000", lambda c: 0),
                       ("0xFFFF", lambda c: 0xFFFF)):
        f = probe.flow()
        window = zero_checksum_syn(f)
        raw = syn_bytes(f, window, 0)
        ck = pick(0)
        raw = raw[:20 + 16] + ck.to_bytes(2, "big") + raw[20 + 18:]
        L.log(f"{f.sport}>{f.dport} [S] win {window} checksum {ck:#06x} ({what})")
        probe.inject(raw)
        r = f.recv(0.5)
        results[what] = describe(r) if r else None
        if r is not None:
            f.rst()
    problems = []
    if results["wrong"] is not None:
        problems.append(f"a SYN with a wrong checksum got {results['wrong']}, expected nothing")
    for what in ("0x0000", "0xFFFF"):
        if results[what] is None or not results[what].startswith("[SA]"):
            problems.append(f"a SYN whose checksum is zero, written as {what}, got "
                            f"{results[what] or 'nothing'}, expected a SYN-ACK")
    if problems:
        raise Fail("; ".join(problems))
    return "wrong checksum dropped; zero checksum accepted as 0x0000 and as 0xFFFF"


CHECKS = [
    ("serves-ready", check_serves_ready),
    ("syn-mss1200-wscale7", check_syn_mss1200_wscale7),
    ("syn-without-wscale", check_syn_without_wscale),
    ("syn-without-mss-536", check_syn_without_mss),
    ("peer-window-respected", check_peer_window),
    ("synack-schedule", check_synack_schedule),
    ("exact-rst-ends-connection", check_exact_rst),
    ("inwindow-rst-challenge-ack", check_inwindow_rst),
    ("syn-on-established-challenge-ack", check_syn_on_established),
    ("accept-queue-overflow", check_accept_queue_overflow),
    ("syn-queue-overflow", check_syn_queue_overflow),
    ("syn-to-closed-port", check_syn_to_closed_port),
    ("ack-to-closed-port", check_ack_to_closed_port),
    ("checksums", check_checksums),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-probes", CHECKS, tools=["nft", "tshark"], modules=["scapy"], setup=setup))
