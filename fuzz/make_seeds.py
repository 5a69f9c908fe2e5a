#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzzer into fuzz/corpus/<target>/.

Each seed is a well-formed (or deliberately borderline) frame in the input
format of its harness; see the comment at the top of each fuzz/*.cpp. Seeds
are named seed-<what>; inputs the fuzzers found and `-merge=1` kept are named
by their SHA-1 and live beside them. Rerunning this script rewrites the seeds
and leaves the other files alone.

    fuzz/make_seeds.py [CORPUS_DIR]   (default: fuzz/corpus next to this file)
"""
import os
import struct
import sys

US = bytes([10, 0, 0, 2])
PEER = bytes([10, 0, 0, 1])
MAC_US = bytes.fromhex("020000000002")
MAC_PEER = bytes.fromhex("020000000001")
BROADCAST = b"\xff" * 6

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


# --- TCP options -----------------------------------------------------------
def opt_mss(v=1460):
    return struct.pack("!BBH", 2, 4, v)


def opt_ws(shift=7):
    return bytes([3, 3, shift])


def opt_sack_ok():
    return bytes([4, 2])


def opt_ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def opt_sack(*blocks):
    return bytes([5, 2 + 8 * len(blocks)]) + b"".join(struct.pack("!II", a, b) for a, b in blocks)


NOP, EOL = b"\x01", b"\x00"


def pad4(opts):
    return opts + EOL * (-len(opts) % 4)


# Linux's SYN option block: MSS, SACK-permitted, timestamps, NOP, window scale.
LINUX_SYN_OPTS = opt_mss() + opt_sack_ok() + opt_ts(1000, 0) + NOP + opt_ws(7)


def tcp(sport, dport, seq, ack, flags, window=65535, opts=b"", payload=b"", urgent=0,
        src=PEER, dst=US, checksum=True):
    opts = pad4(opts)
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4,
                      flags, window, 0, urgent) + opts
    seg = hdr + payload
    if checksum:
        ph = src + dst + struct.pack("!BBH", 0, 6, len(seg))
        c = csum(ph + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return seg


def ipv4(payload, proto=6, src=PEER, dst=US, ttl=64, ident=1, df=True, frag=0, mf=False,
         opts=b""):
    ihl = 5 + len(opts) // 4
    flags_frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | frag
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags_frag,
                      ttl, proto, 0, src, dst) + opts
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def icmp(type_, code, rest=b"\0\0\0\0", data=b""):
    msg = bytes([type_, code, 0, 0]) + rest + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def echo(type_, ident, seq, data):
    return icmp(type_, 0, struct.pack("!HH", ident, seq), data)


def arp(op, smac, sip, tmac, tip, htype=1, ptype=0x0800, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + smac + sip + tmac + tip


def ether(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


# --- per target ------------------------------------------------------------
def seeds_tcp_options():
    return {
        "linux-syn": LINUX_SYN_OPTS,
        "mss-only": opt_mss(1460),
        "mss-ws-sackok": opt_mss(1400) + NOP + opt_ws(14) + NOP + NOP + opt_sack_ok(),
        "nop-nop-ts": NOP + NOP + opt_ts(0x01020304, 0x05060708),
        "sack-1": NOP + NOP + opt_sack((1000, 2000)),
        "sack-3-ts": NOP + NOP + opt_ts(7, 9) + NOP + NOP + opt_sack((1, 2), (3, 4), (5, 6)),
        "sack-4": NOP + NOP + opt_sack((1, 2), (3, 4), (5, 6), (7, 8)),
        "eol-padding": opt_mss(536) + EOL * 4,
        "unknown-kind": bytes([30, 6, 1, 2, 3, 4]) + opt_mss(),
        "ws-too-big": opt_ws(15),
        "bad-len-mss": bytes([2, 3, 5]),
        "truncated-ts": bytes([8, 10, 0, 0]),
        "zero-len": bytes([99, 0]),
        "max-40": NOP * 2 + opt_ts(1, 2) + opt_sack((10, 20), (30, 40), (50, 60)),
    }


def seeds_tcp():
    # Byte 0: bit 0 patches a valid checksum in; bytes 1-8: source and
    # destination addresses; then the segment (already checksummed).
    def s(seg, fix=0, src=PEER, dst=US):
        return bytes([fix]) + src + dst + seg

    return {
        "syn-linux": s(tcp(40000, 80, 1000, 0, SYN, 64240, LINUX_SYN_OPTS)),
        "synack": s(tcp(80, 40000, 5000, 1001, SYN | ACK, 65160, LINUX_SYN_OPTS), src=US,
                    dst=PEER),
        "ack": s(tcp(40000, 80, 1001, 5001, ACK, 502, opt_ts(1001, 2000) + NOP + NOP)),
        "data": s(tcp(40000, 80, 1001, 5001, PSH | ACK, 502, NOP + NOP + opt_ts(1, 2),
                      b"GET / HTTP/1.0\r\n\r\n")),
        "fin": s(tcp(40000, 80, 1019, 5001, FIN | ACK, 502)),
        "rst": s(tcp(40000, 80, 1001, 0, RST, 0)),
        "rst-ack": s(tcp(40000, 80, 1001, 5001, RST | ACK, 0)),
        "sack": s(tcp(40000, 80, 1001, 5001, ACK, 502,
                      NOP + NOP + opt_sack((6001, 7001), (8001, 9001)))),
        "urg": s(tcp(40000, 80, 1001, 5001, URG | ACK | PSH, 502, payload=b"!x", urgent=1)),
        "bad-checksum-fixed": s(tcp(40000, 80, 1, 0, SYN, checksum=False), fix=1),
        "data-offset-15": s(tcp(40000, 80, 1, 0, SYN, opts=NOP * 40)),
    }


def seeds_ipv4():
    # Byte 0: bit 0 patches a valid header checksum in; then the packet.
    syn = tcp(40000, 80, 1000, 0, SYN, 64240, LINUX_SYN_OPTS)
    ping = echo(8, 0x1234, 1, b"abcdefgh")
    return {
        "tcp-syn": b"\0" + ipv4(syn),
        "icmp-echo": b"\0" + ipv4(ping, proto=1),
        "udp": b"\0" + ipv4(struct.pack("!HHHH", 53, 53, 12, 0) + b"abcd", proto=17),
        "options-rr": b"\0" + ipv4(syn, opts=bytes([7, 7, 4, 0, 0, 0, 0, 1])),
        "first-fragment": b"\0" + ipv4(syn, df=False, mf=True),
        "later-fragment": b"\0" + ipv4(syn[:16], df=False, frag=3),
        "ttl-1": b"\0" + ipv4(ping, proto=1, ttl=1),
        "broadcast-dst": b"\0" + ipv4(ping, proto=1, dst=bytes([10, 0, 0, 255])),
        "fix-checksum": b"\1" + ipv4(syn)[:10] + b"\xde\xad" + ipv4(syn)[12:],
        "trailing-bytes": b"\0" + ipv4(ping, proto=1) + b"\0" * 6,
    }


def seeds_icmp():
    # Byte 0: bit 0 patches a valid checksum in; then the message.
    quoted = ipv4(tcp(80, 40000, 1, 0, SYN), src=US, dst=PEER)[:28]
    return {
        "echo-request": b"\0" + echo(8, 1, 1, b"0123456789abcdef"),
        "echo-reply": b"\0" + echo(0, 1, 2, b"pong"),
        "echo-empty": b"\0" + echo(8, 0xFFFF, 0xFFFF, b""),
        "port-unreachable": b"\0" + icmp(3, 3, b"\0\0\0\0", quoted),
        "frag-needed": b"\0" + icmp(3, 4, struct.pack("!HH", 0, 576), quoted),
        "time-exceeded": b"\0" + icmp(11, 0, b"\0\0\0\0", quoted),
        "fix-checksum": b"\1" + bytes([8, 0, 0, 0]) + b"\0\1\0\1" + b"data",
    }


def seeds_arp():
    # Byte 0: bit 0 patches the IPv4-over-Ethernet fixed fields in.
    zero = b"\0" * 6
    return {
        "request": b"\0" + arp(1, MAC_PEER, PEER, zero, US),
        "reply": b"\0" + arp(2, MAC_US, US, MAC_PEER, PEER),
        "gratuitous": b"\0" + arp(1, MAC_PEER, PEER, BROADCAST, PEER),
        "fix-kind": b"\1" + arp(1, MAC_PEER, PEER, zero, US, htype=6, ptype=0x86DD),
        "other-hardware": b"\0" + arp(1, b"\1" * 8, PEER, b"\2" * 8, US, htype=6, hlen=8),
        "padded": b"\0" + arp(2, MAC_US, US, MAC_PEER, PEER) + b"\0" * 18,
    }


def seeds_ethernet():
    syn = ipv4(tcp(40000, 80, 1000, 0, SYN, 64240, LINUX_SYN_OPTS))
    return {
        "arp-request": ether(BROADCAST, MAC_PEER, 0x0806,
                             arp(1, MAC_PEER, PEER, b"\0" * 6, US) + b"\0" * 18),
        "ipv4-syn": ether(MAC_US, MAC_PEER, 0x0800, syn),
        "ipv4-ping": ether(MAC_US, MAC_PEER, 0x0800, ipv4(echo(8, 1, 1, b"ping"), proto=1)),
        "ipv6": ether(bytes.fromhex("333300000001"), MAC_PEER, 0x86DD, b"\x60" + b"\0" * 39),
        "header-only": ether(MAC_US, MAC_PEER, 0x0800, b""),
        "802.3-length": ether(MAC_US, MAC_PEER, 0x0040, b"\xaa" * 64),
    }


# fuzz_segment_input: records [flags][len][bytes]; flags bit 0 raw IPv4 (empty:
# run the timers, up to 8 deadlines; one byte: a user call: 0 write 4000 bytes, 1 write 100,
# 2 shutdown, 3 close), bit 1 to the established connection (peer port 4000,
# client ISN 1000, we queued 14 bytes), else peer port 5000 + bits 2-7;
# bits 2-7 advance 64 ms each. ACK numbers are relative to our SYN-ACK's
# ISN + 1, so 0 acknowledges the SYN and 14 our 14 bytes.
def rec(flags, body):
    assert len(body) < 256
    return bytes([flags, len(body)]) + body


def est(seq_off, ack, flags, window=65535, opts=b"", payload=b"", wait=0):
    """A record to the established connection (seq relative to 1001)."""
    return rec(2 | wait << 2, tcp(0, 0, 1001 + seq_off, ack, flags, window, opts, payload,
                                  checksum=False))


def new(port_off, seq, ack, flags, window=65535, opts=b"", payload=b"", wait=0):
    """A record from peer port 5000 + port_off; the clock moves by `wait` too."""
    assert port_off == wait
    return rec(port_off << 2, tcp(0, 0, seq, ack, flags, window, opts, payload,
                                  checksum=False))


TIMERS = rec(1, b"")
WRITE_4000, WRITE_100, SHUTDOWN, CLOSE = (rec(1, bytes([k])) for k in range(4))
# Our ISN towards 10.0.0.1:4000 (the ISN key and 4-tuple are fixed). SACK
# blocks are absolute, so seeds that SACK our data need it; if the ISN
# function changes these seeds still run, their SACK blocks just miss.
SND = 3321496994 + 1


def sack(*blocks):
    """A SACK option over our data, offsets relative to our first data byte."""
    return NOP + NOP + opt_sack(*((SND + a, SND + b) for a, b in blocks))


def seeds_segment_input():
    hello = b"hello, world\n"
    ts = NOP + NOP + opt_ts(100, 0)
    return {
        "data": est(0, 14, PSH | ACK, payload=hello),
        "data-then-fin": est(0, 14, PSH | ACK, payload=hello) + est(len(hello), 14, FIN | ACK),
        "fin-and-timers": est(0, 14, FIN | ACK) + TIMERS,
        "ack-then-timers": est(0, 14, ACK) + TIMERS,
        "no-ack-timers": TIMERS + TIMERS,
        "rst": est(0, 0, RST),
        "rst-ack-out-of-window": est(100000, 14, RST | ACK),
        "syn-on-established": est(0, 0, SYN, opts=opt_mss()),
        "out-of-order": est(100, 14, PSH | ACK, payload=b"B" * 50) +
        est(0, 14, PSH | ACK, payload=b"A" * 100),
        "dup-acks": est(0, 0, ACK) * 4 + TIMERS,
        "zero-window": est(0, 14, ACK, window=0) + rec(2 | 63 << 2, b"") + TIMERS,
        "partial-ack": est(0, 5, ACK) + est(0, 14, ACK),
        "urgent": est(0, 14, URG | PSH | ACK, payload=b"u!"),
        "sack-ack": est(0, 0, ACK, opts=NOP + NOP + opt_sack((5, 14))),
        "data-timestamps": est(0, 14, PSH | ACK, opts=ts, payload=hello),
        "handshake": new(0, 7000, 0, SYN, opts=LINUX_SYN_OPTS) + new(0, 7001, 0, ACK),
        "handshake-data-fin": new(0, 7000, 0, SYN, opts=opt_mss(536)) + new(0, 7001, 0, ACK) +
        new(0, 7001, 0, PSH | ACK, payload=b"GET /\r\n") + new(0, 7008, 0, FIN | ACK),
        "syn-retransmits": new(0, 7000, 0, SYN, opts=LINUX_SYN_OPTS) + TIMERS,
        "syn-rst": new(0, 7000, 0, SYN) + new(0, 7001, 0, RST),
        "ack-no-listener-state": new(0, 7001, 12345, ACK),
        "syn-flood-cookie": b"".join(new(k, 7000 + k, 0, SYN, opts=opt_mss(), wait=k)
                                     for k in range(6)) + new(5, 7006, 0, ACK, wait=5),
        "time-wait": SHUTDOWN + est(0, 15, ACK) + est(0, 15, FIN | ACK) + TIMERS,
        "simultaneous-close": SHUTDOWN + est(0, 14, FIN | ACK) + est(1, 15, ACK) + TIMERS,
        "last-ack": est(0, 14, FIN | ACK) + CLOSE + est(1, 15, ACK),
        "data-then-close": est(0, 14, PSH | ACK, payload=b"x" * 200) + CLOSE + TIMERS,
        "bulk-acked": WRITE_4000 + est(0, 1474, ACK) + est(0, 2934, ACK) + est(0, 4014, ACK),
        "bulk-sack-recovery": WRITE_4000 + est(0, 14, ACK, opts=sack((1474, 2934))) +
        est(0, 14, ACK, opts=sack((1474, 4014)), wait=3) * 3 + TIMERS + est(0, 4014, ACK),
        "bulk-timeout": WRITE_4000 + TIMERS + est(0, 4014, ACK, wait=20),
        "bulk-zero-window": WRITE_4000 + est(0, 1474, ACK, window=0) + TIMERS +
        est(0, 1474, ACK, window=2000),
        "small-writes": WRITE_100 + WRITE_100 + est(0, 14, ACK) + est(0, 114, ACK) + WRITE_100,
        "raw-ping": rec(1, ipv4(echo(8, 7, 1, b"ping"), proto=1)),
        "raw-syn-bad-checksum": rec(1, ipv4(tcp(5000, 80, 1, 0, SYN)[:16] + b"\0\0\0\0")),
        "slow-data": est(0, 14, PSH | ACK, payload=hello, wait=10) +
        est(len(hello), 14, PSH | ACK, payload=hello, wait=63),
    }


def udp(sport, dport, payload, src=PEER, dst=US):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    c = csum(src + dst + struct.pack("!BBH", 0, 17, 8 + len(payload)) + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def urec(head, body):
    """One fuzz_udp_input record: kind | flags, length, body."""
    return bytes([head, len(body)]) + body


def seeds_udp_input():
    to_server = 0x04          # destination mapped to the bound echo port
    to_client = 0x04 | 0x08   # ... to the connected client's port
    from_peer = 0x10          # source port 53, the client's peer
    return {
        "echo": urec(to_server, struct.pack("!HH", 4000, 0) + b"hello"),
        "echo-no-checksum": urec(to_server | 1, struct.pack("!HH", 4000, 0) + b"hello"),
        "closed-port": urec(0, struct.pack("!HH", 4000, 9) + b"x"),
        "client-from-peer": urec(to_client | from_peer, b"\0\0\0\0answer"),
        "client-from-stranger": urec(to_client, struct.pack("!HH", 54, 0) + b"spoof"),
        "icmp-port-unreachable": urec(2 | 0x04 | 3 << 4, b""),
        "icmp-then-receive": urec(2 | 0x04 | 3 << 4, b"") + urec(to_client | from_peer, b"0000x"),
        "icmp-garbage-quote": urec(2 | 3 << 4, b"\x45" + b"\0" * 27),
        "queue-overflow": urec(to_client | from_peer, b"0000a") * 6,
        "raw-udp": urec(3, ipv4(udp(4000, 7, b"raw"), proto=17)),
        "raw-udp-bad-length": urec(3, ipv4(udp(4000, 7, b"raw")[:4] + b"\0\x63" +
                                           udp(4000, 7, b"raw")[6:], proto=17)),
    }


def dns_rr(rtype, ttl, rdata):
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


SOA = b"\0\0" + struct.pack("!IIIII", 1, 7200, 900, 1209600, 30)


def seeds_dns_response():
    # Byte 0: 0b111 = our ID, our question, QR; then header flags and counts.
    def msg(flags, an, ns, records):
        return bytes([7]) + struct.pack("!HHHHH", flags, 1, an, ns, 0) + records
    return {
        "answer-a": msg(0x8180, 1, 0, dns_rr(1, 60, bytes([10, 9, 0, 1]))),
        "answer-two-a": msg(0x8180, 2, 0, dns_rr(1, 60, bytes([10, 9, 0, 1])) +
                            dns_rr(1, 5, bytes([10, 9, 0, 2]))),
        "nxdomain-soa": msg(0x8183, 0, 1, dns_rr(6, 3600, SOA)),
        "nodata-soa": msg(0x8180, 0, 1, dns_rr(6, 3600, SOA)),
        "servfail": msg(0x8182, 0, 0, b""),
        "truncated": msg(0x8380, 0, 0, b""),
        "short-rdata": msg(0x8180, 1, 0, dns_rr(1, 60, bytes([10, 9, 0, 1]))[:-2]),
        "random": bytes([0]) + b"\x12\x34\x81\x80" + b"\0" * 8,
    }


# fuzz_at_command: records [op][len][bytes]; op % 8: 0-1 a command line
# (CR LF added), 2 raw serial bytes, 3 time passes (bytes[0] ms), 4 data on
# a link (op bit 7: then its FIN), 5 a link's status (bytes[0] % 4:
# Connecting, Open, Failed, Closed), 6 a client of the server, 7 the serial
# side reads output. op / 8 picks the link.
def seeds_at_command():
    def at(op, payload):
        payload = payload.encode() if isinstance(payload, str) else payload
        return bytes([op, len(payload)]) + payload
    start = at(0, 'AT+CIPSTART="TCP","10.91.0.1",80') + at(5, b"\x01")
    return {
        "client": at(0, "AT+CIPMUX=0") + start + at(0, "AT+CIPSEND=5") + at(2, "hello") +
        at(4, "world") + at(0, "AT+CIPCLOSE"),
        "server": at(0, "AT+CIPMUX=1") + at(0, "AT+CIPSERVER=1,8080") + at(6, "ping") +
        at(6, "pong") + at(0, "AT+CIPSTATUS") + at(0, "AT+CIPCLOSE=5"),
        "passive": at(0, "AT+CIPRECVMODE=1") + start + at(4 + 0x80, "abcdef") +
        at(0, "AT+CIPRECVLEN?") + at(0, "AT+CIPRECVDATA=3") + at(0, "AT+CIPRECVDATA=9"),
        "passthrough": at(0, "AT+CIPMODE=1") + start + at(0, "AT+CIPSEND") + at(2, "data") +
        at(3, b"\x19") + at(2, "+++") + at(3, b"\x19") + at(0, "AT"),
        "misc": at(0, "ATE0") + at(0, "AT+GMR") + at(0, "AT+SYSLOG=1") + at(0, "AT+BOGUS") +
        at(0, "AT+SYSMSG=3") + at(0, 'AT+CWJAP="x","y"') + at(0, "AT+CIFSR") +
        at(0, "AT+CIPSENDEX=9") + at(0, "AT+RST"),
    }


def seeds_http_request():
    """Byte 0: piece size - 1; byte 1: limit flags (see fuzz_http_request.cpp)."""
    def req(piece, mode, text):
        return bytes([piece, mode]) + text
    host = b"Host: a\r\n"
    return {
        "get": req(0, 0, b"GET / HTTP/1.1\r\n" + host + b"\r\n"),
        "pipelined": req(7, 0, b"GET /a.txt HTTP/1.1\r\n" + host + b"\r\nHEAD / HTTP/1.1\r\n" +
                         host + b"\r\nGET /x HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n"
                         b"GET / HTTP/1.1\r\n" + host + b"\r\n"),
        "http10": req(3, 0x20, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                      b"GET /a.txt HTTP/1.0\r\n\r\n"),
        "chunked-echo": req(2, 0, b"POST /echo HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked"
                            b"\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n"),
        "expect": req(5, 2, b"POST /echo HTTP/1.1\r\n" + host + b"Content-Length: 20\r\n"
                      b"Expect: 100-continue\r\n\r\n01234567890123456789"),
        "range-etag": req(16, 8, b"GET /a.txt HTTP/1.1\r\n" + host + b"Range: bytes=3-9\r\n\r\n"
                          b"GET /a.txt HTTP/1.1\r\n" + host + b"If-None-Match: \"x\", *\r\n\r\n"
                          b"GET /a.txt HTTP/1.1\r\n" + host + b"Range: bytes=-5\r\n"
                          b"If-Range: \"nope\"\r\n\r\n"),
        "limits": req(1, 0x17, b"GET /aaaaaaaaaaaaaaaa HTTP/1.1\r\n" + host + b"X-Long: " +
                      b"b" * 66 + b"\r\n\r\n"),
        "upgrade": req(64, 0, b"GET / HTTP/1.1\r\n" + host + b"Connection: Upgrade, HTTP2-Settings"
                       b"\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
                       b"GET /a.txt HTTP/1.1\r\n" + host + b"\r\n"),
        "bad": req(0, 0, b"GET / HTTP/1.1\r\n" + host + b"Content-Length: 1\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\nGE T /\r\n"),
    }


# fuzz_dhcp_message: byte 0 flags (bit 0 patch xid and MAC, bit 1 client in
# REQUESTING, bit 2 client in RENEWING, bit 3 deliver twice), then one
# DHCP message.
def dhcp_msg(op, mtype, options=b"", yiaddr=b"\x0a\0\0\x07"):
    fixed = struct.pack("!BBBBIHH", op, 1, 6, 0, 0, 0, 0) + b"\0" * 4 + yiaddr + b"\0" * 8
    fixed += b"\x02\0\0\0\0\x09" + b"\0" * 10 + b"\0" * 192
    return fixed + b"\x63\x82\x53\x63" + bytes([53, 1, mtype]) + options + b"\xff"


def seeds_dhcp_message():
    sid = bytes([54, 4, 10, 0, 0, 1])
    full = (sid + bytes([51, 4, 0, 0, 0, 120, 58, 4, 0, 0, 0, 60, 59, 4, 0, 0, 0, 105,
                         1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1, 6, 8, 10, 0, 0, 1, 8, 8, 8, 8,
                         56, 3]) + b"abc")
    return {
        "offer": bytes([1]) + dhcp_msg(2, 2, full),
        "ack-requesting": bytes([3]) + dhcp_msg(2, 5, full),
        "ack-renewing": bytes([5]) + dhcp_msg(2, 5, full),
        "nak-renewing": bytes([5]) + dhcp_msg(2, 6, sid + bytes([56, 2]) + b"no"),
        "nak-twice": bytes([11]) + dhcp_msg(2, 6, sid),
        "overload": bytes([1]) + dhcp_msg(2, 2, bytes([52, 1, 3])),
        "bad-length": bytes([1]) + dhcp_msg(2, 2, bytes([51, 3, 0, 0, 1])),
        "discover": bytes([0]) + dhcp_msg(1, 1, bytes([55, 3, 1, 3, 6, 61, 7, 1, 2, 0, 0, 0, 0, 9])),
    }


# fuzz_ddns_answer: byte 0 picks key file (0), dyndns2 answer (1: byte 1 is
# the HTTP status - 100, Retry-After after a NUL), RFC 2136 answer (2: an odd
# byte 1 gets the request's id written in).
def seeds_ddns_answer():
    key = (b'key "ddns-key" {\n\talgorithm hmac-sha256;\n'
           b'\tsecret "8MwQUrAp2+HkmPKqpuYkO8sdV8bk/p1ScDcP5q2POHk=";\n};\n')
    return {
        "key": b"\0" + key,
        "key-comments": b"\0# c\n/* x */" + key,
        "good": b"\1\x64good 10.0.0.7\n",
        "nochg": b"\1\x64nochg 10.0.0.7",
        "911": b"\1\x64911",
        "wait": b"\1\x64wait 5m",
        "retry-after": b"\1\xc8\x00120",
        "refused": b"\2\x01\x00\xa8\x05" + b"\0" * 8,
        "truncated": b"\2\x01\x00\xaa\x00" + b"\0" * 8,
        "noerror-unsigned": b"\2\x01\x00\xa8\x00" + b"\0" * 8,
    }


# fuzz_nat_pmp: records [client][length][datagram]; client low 3 bits pick
# 10.0.1.1+n (7: an outsider), bit 3 another port, top 4 bits seconds passing.
def pmp_rec(client, body):
    return bytes([client, len(body)]) + body


def seeds_nat_pmp():
    addr = b"\0\0"
    def mapreq(op, internal, suggested, life):
        return struct.pack("!BBHHHI", 0, op, 0, internal, suggested, life)
    return {
        "external-address": pmp_rec(0x01, addr),
        "map-udp-tcp": pmp_rec(0x01, mapreq(1, 5000, 5000, 3600)) +
                       pmp_rec(0x02, mapreq(2, 22, 2222, 60)) +
                       pmp_rec(0x12, mapreq(2, 22, 2222, 60)),
        "map-collide-delete": pmp_rec(0x01, mapreq(1, 6000, 7000, 10)) +
                              pmp_rec(0x03, mapreq(1, 6000, 7000, 10)) +
                              pmp_rec(0xf1, mapreq(1, 6000, 0, 0)) +
                              pmp_rec(0x03, mapreq(1, 0, 0, 0)),
        "errors": pmp_rec(0x01, b"\x01\x00") + pmp_rec(0x01, b"\x00\x03\x00\x00") +
                  pmp_rec(0x01, b"\x00\x81" + b"\0" * 14) + pmp_rec(0x01, b"\x00\x01\x00") +
                  pmp_rec(0x07, addr) + pmp_rec(0x00, addr),
        "lease-expiry": pmp_rec(0x01, mapreq(1, 5000, 5000, 5)) + pmp_rec(0xf1, addr),
    }


# fuzz_nat_translate: records [flags][length / 4][packet]; flags bit 0 from
# outside, bit 1 fix the header, bits 2-3 known addresses, top 4 bits seconds.
def nat_rec(flags, pkt):
    pkt = pkt + b"\0" * (-len(pkt) % 4)
    return bytes([flags, len(pkt) // 4]) + pkt


def seeds_nat_translate():
    inside, out, remote = bytes([10, 0, 1, 201]), bytes([203, 0, 113, 2]), bytes([198, 51, 100, 7])
    def t(src, dst, sport, dport, flags, seq=1, ack=0):
        return ipv4(tcp(sport, dport, seq, ack, flags, src=src, dst=dst), 6, src, dst)
    def u(src, dst, sport, dport, body=b"q"):
        return ipv4(udp(sport, dport, body, src=src, dst=dst), 17, src, dst)
    syn = t(inside, remote, 40000, 80, SYN, 100)
    return {
        "tcp-life": nat_rec(0, syn) + nat_rec(1, t(remote, out, 80, 40000, SYN | ACK, 500, 101)) +
                    nat_rec(0, t(inside, remote, 40000, 80, ACK | FIN, 101, 501)) +
                    nat_rec(1, t(remote, out, 80, 40000, ACK | FIN, 501, 102)) +
                    nat_rec(0x10, t(inside, remote, 40000, 80, ACK, 102, 502)),
        "forward-hairpin": nat_rec(1, t(remote, out, 5000, 3390, SYN)) +
                           nat_rec(0, t(bytes([10, 0, 1, 50]), out, 5555, 3390, SYN)) +
                           nat_rec(1, u(remote, out, 9, 6005)),
        "icmp-error": nat_rec(0, u(inside, remote, 5000, 53)) +
                      nat_rec(1, ipv4(icmp(3, 3, data=u(out, remote, 5000, 53)[:28]), 1, remote,
                                      out)),
        "echo": nat_rec(0, ipv4(echo(8, 7, 1, b"abcd"), 1, inside, remote)) +
                nat_rec(1, ipv4(echo(0, 7, 1, b"abcd"), 1, remote, out)),
    }


TARGETS = {
    "fuzz_dns_response": seeds_dns_response,
    "fuzz_dhcp_message": seeds_dhcp_message,
    "fuzz_ddns_answer": seeds_ddns_answer,
    "fuzz_udp_input": seeds_udp_input,
    "fuzz_arp": seeds_arp,
    "fuzz_ethernet": seeds_ethernet,
    "fuzz_icmp": seeds_icmp,
    "fuzz_ipv4": seeds_ipv4,
    "fuzz_segment_input": seeds_segment_input,
    "fuzz_tcp": seeds_tcp,
    "fuzz_tcp_options": seeds_tcp_options,
    "fuzz_at_command": seeds_at_command,
    "fuzz_http_request": seeds_http_request,
    "fuzz_nat_pmp": seeds_nat_pmp,
    "fuzz_nat_translate": seeds_nat_translate,
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for target, make in TARGETS.items():
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in make().items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
