#!/usr/bin/python3
"""`synack at-modem` driven over its pty with python3-serial, exactly as ESP8266
firmware drives the module, against Linux peers.

    test_at_modem.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py) synack runs as the modem
on TUN skat0: the module is 10.85.0.2, the kernel's side (the "Internet"
with the Linux servers and clients) is 10.85.0.1.  The checks read the
modem's answers byte for byte: the start-up queries, the ESP8266 "TCP client"
sequence (CIPMUX=0, CIPSTART, CIPSEND, +IPD, CIPCLOSE), the error paths, the
multi-connection server (CIPMUX=1, CIPSERVER=1,8080) with three Linux clients
at once, passive receive mode with TCP flow control (1 MiB read in 2 KiB
AT+CIPRECVDATA chunks, the capture showing the window close and reopen),
passthrough with `+++` (and its reconnection when the server closes),
host names resolved through a real dnsmasq (on 10.85.9.53, an address on
the namespace's lo, reached through the TUN; `--dns`) and `DNS Fail` for a
name it does not know, UDP links to a Linux UDP echo server (+IPD with
CIPDINFO=1, AT+CIPSEND to another peer, modes 0, 1 and 2, a datagram to a
closed port: SEND OK and nothing on the serial line, as lwIP does),
--stdio, and SIGTERM (a FIN on every link, exit status 0).
Prints PASS/FAIL per check and `N passed, M failed`.
"""
import os
import re
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

from at_modem_port import (ADDR, HOST, STATE, Server, UdpEcho, cipstatus,  # noqa: E402
                           expect_fin, port, read_exact, start_modem, trace_text)

DNS_SERVER = "10.85.9.53"


# ------------------------------------------------------------------- checks
def check_start():
    """`pty /dev/pts/N` then `ready` on stdout; LINK is a symlink to the pty."""
    return start_modem("--dns", DNS_SERVER, "--wifi", "synack", "--wifi", "lab:password1",
                       # serve's TCP options apply to the links: a SYN nobody
                       # answers gives up after 0.2 + 0.4 + 0.8 s.
                       "--syn-retries", "2", "--rto-initial-ms", "200")


def check_startup_queries():
    """What drivers send first: exact answers, echo on until ATE0."""
    s = port()
    s.at("AT", b"AT\r\n\r\nOK\r\n")
    s.at("ATE0", b"ATE0\r\n\r\nOK\r\n")
    s.at("AT+GMR", b"AT version:2.2.1.0(synack - ESP8266 - Jun  7 2021 08:15:24)\r\n"
         b"SDK version:v3.4-22-g967752e2\r\ncompile time(synack):Aug  4 2021 17:20:05\r\n"
         b"Bin version:2.2.1(WROOM-02)\r\n\r\nOK\r\n")
    s.at("AT+SYSMSG=0", b"\r\nOK\r\n")
    s.at("AT+CWMODE=1", b"\r\nOK\r\n")
    s.at("AT+CWMODE?", b"+CWMODE:1\r\n\r\nOK\r\n")
    s.at("AT+CWDHCP?", b"+CWDHCP:3\r\n\r\nOK\r\n")
    s.at("AT+CWLAPOPT=1,2047", b"\r\nOK\r\n")
    s.at("AT+RFPOWER=78", b"\r\nOK\r\n")
    s.at("AT+CIPSTAMAC?", b'+CIPSTAMAC:"02:73:6b:55:00:02"\r\n\r\nOK\r\n')
    s.at('AT+CWJAP="lab","wrong-pass"', b"+CWJAP:2\r\n\r\nERROR\r\n")
    s.at('AT+CWJAP="nowhere","password1"', b"+CWJAP:3\r\n\r\nERROR\r\n")
    s.at('AT+CWJAP="synack",""', b"WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
    s.at("AT+CIFSR", b'+CIFSR:STAIP,"10.85.0.2"\r\n+CIFSR:STAMAC,"02:73:6b:55:00:02"\r\n'
         b"\r\nOK\r\n")
    s.at("AT+CIPSTA?", b'+CIPSTA:ip:"10.85.0.2"\r\n+CIPSTA:gateway:"10.85.0.1"\r\n'
         b'+CIPSTA:netmask:"255.255.255.0"\r\n\r\nOK\r\n')
    s.at("AT+CIPSTATUS", b"STATUS:2\r\n\r\nOK\r\n")
    s.quiet()
    return "AT, ATE0, GMR, SYSMSG, CWMODE, CWDHCP, CWLAPOPT, RFPOWER, CIPSTAMAC, CWJAP, CIFSR, CIPSTA"


def check_tcp_client():
    """The ESP8266 TCP-client sequence against a Linux server; the module's
    close is a FIN."""
    s = port()

    def handler(conn):
        got = read_exact(conn, 5)
        conn.sendall(b"world!")
        return got, expect_fin(conn)
    srv = Server(5000, handler)
    s.at("AT+CIPMUX=0", b"\r\nOK\r\n")
    s.at(f'AT+CIPSTART="TCP","{HOST}",5000', b"CONNECT\r\n\r\nOK\r\n")
    s.at("AT+CIPSEND=5", b"\r\nOK\r\n\r\n>")
    s.write(b"hello")
    s.expect(b"\r\nRecv 5 bytes\r\n\r\nSEND OK\r\n")
    lid, data = s.ipd()
    if (lid, data) != (None, b"world!"):
        raise Fail(f"+IPD gave link {lid} data {data!r}")
    s.write(b"AT+CIPSTATUS\r\n")
    st = s.read_until(lambda b: (b, len(b)) if b.endswith(b"\r\nOK\r\n") else None, 5, "STATUS")
    if not re.fullmatch(rb'STATUS:3\r\n\+CIPSTATUS:0,"TCP","10\.85\.0\.1",5000,\d+,0\r\n\r\nOK\r\n',
                        st):
        raise Fail(f"AT+CIPSTATUS: {st!r}")
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    got, fin = srv.wait()
    if got != b"hello":
        raise Fail(f"the server got {got!r}")
    s.quiet()
    return "CONNECT, SEND OK, +IPD,6:world!, CLOSED; the server saw hello, then a FIN"


def check_peer_close():
    """The Linux server closes first: `CLOSED` arrives unasked."""
    s = port()

    def handler(conn):
        conn.sendall(b"bye")
        return True
    srv = Server(5002, handler)
    s.at(f'AT+CIPSTART="TCP","{HOST}",5002', b"CONNECT\r\n\r\nOK\r\n")
    srv.wait()
    s.expect(b"\r\n+IPD,3:byeCLOSED\r\n")
    s.at("AT+CIPSTATUS", b"STATUS:4\r\n\r\nOK\r\n")
    return "+IPD,3:bye then CLOSED"


def check_error_paths():
    """Refused, unknown host names, a bad UDP mode, SSL, bad and over-long lines:
    ERROR each time, and an open link is not disturbed."""
    s = port()
    s.at(f'AT+CIPSTART="TCP","{HOST}",5999', b"\r\nERROR\r\nCLOSED\r\n")   # refused
    t0 = time.monotonic()
    s.write(b'AT+CIPSTART="TCP","10.85.0.9",80\r\n')    # nobody: timed out
    s.write(b"AT\r\n")
    s.expect(b"\r\nbusy p...\r\n")                     # still trying
    s.expect(b"\r\nERROR\r\nCLOSED\r\n", timeout=10)
    took = time.monotonic() - t0
    if not 1.2 < took < 5:
        raise Fail(f"the SYN gave up after {took:.1f} s, expected 1.4 s (--syn-retries 2, "
                   f"--rto-initial-ms 200)")
    s.at('AT+CIPSTART="TCP","nosuch.test.synack",80', b"DNS Fail\r\n\r\nERROR\r\nCLOSED\r\n")
    s.at(f'AT+CIPSTART="UDP","{HOST}",7,1000,3', b"\r\nERROR\r\n")    # mode 3
    s.at(f'AT+CIPSTART="SSL","{HOST}",443', b"\r\nERROR\r\nCLOSED\r\n")    # refused

    def handler(conn):
        return read_exact(conn, 2), expect_fin(conn)
    srv = Server(5003, handler)
    s.at(f'AT+CIPSTART="TCP","{HOST}",5003', b"CONNECT\r\n\r\nOK\r\n")
    s.at(f'AT+CIPSTART="TCP","{HOST}",5003', b"ALREADY CONNECTED\r\n\r\nERROR\r\n")
    bad = ["AT+BOGUS", "at", "AT+CIPSEND=0", "AT+CIPSEND=2049", "AT+CIPMUX=1", "AT+CIPMUX=2",
           'AT+CIPSTART="TCP"', "AT+CIPSTO=-1", "AT+CIPCLOSE=1", "AT+CIPSERVER=1,80",
           "AT+CIPRECVDATA=10", "AT+" + "X" * 600, "\x00\xff\x01garbage"]
    for line in bad:
        s.write(line.encode("latin-1") + b"\r\n")
        s.expect(b"\r\nERROR\r\n")
    s.at("AT+SYSLOG=1", b"\r\nOK\r\n")
    s.at("AT+NOSUCH", b"ERR CODE:0x01090000\r\n\r\nERROR\r\n")
    s.at("AT+SYSLOG=0", b"\r\nOK\r\n")
    s.at("AT+CIPSEND=2", b"\r\nOK\r\n\r\n>")
    s.write(b"ok")
    s.expect(b"\r\nRecv 2 bytes\r\n\r\nSEND OK\r\n")
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    got, _ = srv.wait()
    if got != b"ok":
        raise Fail(f"the server got {got!r}")
    trace = trace_text()
    for want in ("refused", "timed out", "DNS Fail: nosuch.test.synack: ", "link 0: SSL to"):
        if want not in trace:
            raise Fail(f"--trace has no line about {want!r}")
    return (f"{len(bad) + 5} error paths (a time-out after {took:.1f} s); the open link still "
            f"sent 'ok'; reasons in --trace")


# ------------------------------------------------------------ DNS and UDP
def setup_dnsmasq():
    """dnsmasq on DNS_SERVER (the namespace's lo, there before the TUN):
    echo.test.synack is the kernel's side; other test.synack names do not
    exist (NXDOMAIN)."""
    L.sh("ip", "addr", "add", f"{DNS_SERVER}/32", "dev", "lo")
    hosts = L.ENV.path("hosts")
    with open(hosts, "w") as f:
        f.write(f"{HOST} echo.test.synack\n")
    STATE["dnsmasq"] = d = L.Proc(
        ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
         f"--addn-hosts={hosts}", "--local=/test.synack/", "--local-ttl=60",
         f"--listen-address={DNS_SERVER}", "--bind-interfaces", "--port=53", "--pid-file=",
         "--user=root", "--log-queries", "--log-facility=-"], name="dnsmasq")

    def answers():
        q = bytes.fromhex("123401000001000000000000") + b"\x04echo\x04test\x06synack\x00\x00\x01\x00\x01"
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(1)
        try:
            u.sendto(q, (DNS_SERVER, 53))
            return len(u.recvfrom(512)[0]) > 12
        except OSError:
            return False
        finally:
            u.close()
    if not L.wait_until(lambda: not d.running() or answers(), 10) or not d.running():
        raise Fail(f"dnsmasq not answering on {DNS_SERVER}:53{d.tail(3)}")


def check_dns():
    """Host names through dnsmasq: AT+CIPDOMAIN, a TCP link to a name, and
    `DNS Fail` for a name the server does not know."""
    s = port()
    s.at('AT+CIPDOMAIN="echo.test.synack"', f'+CIPDOMAIN:"{HOST}"\r\n\r\nOK\r\n'.encode())
    s.at('AT+CIPDOMAIN="nosuch.test.synack"', b"DNS Fail\r\n\r\nERROR\r\n")

    def handler(conn):
        got = read_exact(conn, 4)
        return got, expect_fin(conn)
    srv = Server(5010, handler)
    s.at('AT+CIPSTART="TCP","echo.test.synack",5010', b"CONNECT\r\n\r\nOK\r\n")
    s.at("AT+CIPSEND=4", b"\r\nOK\r\n\r\n>")
    s.write(b"name")
    s.expect(b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n")
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    got, _ = srv.wait()
    if got != b"name":
        raise Fail(f"the server got {got!r}")
    s.at('AT+CIPSTART="UDP","nosuch.test.synack",7', b"DNS Fail\r\n\r\nERROR\r\nCLOSED\r\n")
    s.quiet()
    log = STATE["dnsmasq"].stdout() + STATE["dnsmasq"].stderr()
    if f"query[A] echo.test.synack from {ADDR}" not in log:
        raise Fail(f"dnsmasq did not see the modem's query: {log[-300:]!r}")
    return f"echo.test.synack -> {HOST} (CIPDOMAIN and CIPSTART), nosuch.test.synack: DNS Fail"


def check_udp():
    """UDP links to a Linux echo server: SEND OK, the echo as one +IPD with
    the sender (CIPDINFO=1), a datagram from another Linux peer, AT+CIPSEND
    to that peer; mode 0 keeps the remote, mode 2 follows the last sender,
    mode 1 only the first other one;
    a datagram to a closed port: SEND OK and nothing more."""
    s = port()
    echo = UdpEcho(5007)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((HOST, 5008))
    other.settimeout(5)
    third = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    third.bind((HOST, 5009))
    try:
        s.at("AT+CIPDINFO=1", b"\r\nOK\r\n")
        s.at(f'AT+CIPSTART="UDP","{HOST}",5007,4000,0', b"CONNECT\r\n\r\nOK\r\n")
        s.at("AT+CIPSEND=5", b"\r\nOK\r\n\r\n>")
        s.write(b"hello")
        s.expect(b'\r\nRecv 5 bytes\r\n\r\nSEND OK\r\n\r\n+IPD,5,"10.85.0.1",5007:hello')
        big = bytes(range(256)) * 5 + b"0123456789"          # 1290 bytes, one datagram
        s.at(f"AT+CIPSEND={len(big)}", b"\r\nOK\r\n\r\n>")
        s.write(big)
        s.expect(f"\r\nRecv {len(big)} bytes\r\n\r\nSEND OK\r\n\r\n+IPD,{len(big)},"
                 f'"10.85.0.1",5007:'.encode() + big)
        other.sendto(b"other", (ADDR, 4000))
        s.expect(b'\r\n+IPD,5,"10.85.0.1",5008:other')
        st = cipstatus(s)
        if st != b'STATUS:3\r\n+CIPSTATUS:0,"UDP","10.85.0.1",5007,4000,0\r\n\r\nOK\r\n':
            raise Fail(f"mode 0: AT+CIPSTATUS {st!r}")
        s.at(f'AT+CIPSEND=3,"{HOST}",5008', b"\r\nOK\r\n\r\n>")
        s.write(b"xyz")
        s.expect(b"\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n")
        data, peer = other.recvfrom(100)
        if (data, peer) != (b"xyz", (ADDR, 4000)):
            raise Fail(f"the other peer got {data!r} from {peer}")
        # A closed port answers with ICMP port unreachable: the module says nothing.
        s.at(f'AT+CIPSEND=4,"{HOST}",5999', b"\r\nOK\r\n\r\n>")
        s.write(b"lost")
        s.expect(b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n")
        s.quiet(0.3)
        s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
        # Mode 2: the remote follows the last peer that sent.
        s.at(f'AT+CIPSTART="UDP","{HOST}",5007,4001,2', b"CONNECT\r\n\r\nOK\r\n")
        other.sendto(b"hey", (ADDR, 4001))
        s.expect(b'\r\n+IPD,3,"10.85.0.1",5008:hey')
        st = cipstatus(s)
        if st != b'STATUS:3\r\n+CIPSTATUS:0,"UDP","10.85.0.1",5008,4001,0\r\n\r\nOK\r\n':
            raise Fail(f"mode 2: AT+CIPSTATUS {st!r}")
        s.at("AT+CIPSEND=2", b"\r\nOK\r\n\r\n>")
        s.write(b"yo")
        s.expect(b"\r\nRecv 2 bytes\r\n\r\nSEND OK\r\n")
        data, peer = other.recvfrom(100)
        if (data, peer) != (b"yo", (ADDR, 4001)):
            raise Fail(f"mode 2: the last sender got {data!r} from {peer}")
        s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
        # Mode 1: the remote changes once, to the first other peer.
        s.at(f'AT+CIPSTART="UDP","{HOST}",5007,4002,1', b"CONNECT\r\n\r\nOK\r\n")
        other.sendto(b"one", (ADDR, 4002))
        s.expect(b'\r\n+IPD,3,"10.85.0.1",5008:one')
        third.sendto(b"two", (ADDR, 4002))
        s.expect(b'\r\n+IPD,3,"10.85.0.1",5009:two')
        st = cipstatus(s)
        if st != b'STATUS:3\r\n+CIPSTATUS:0,"UDP","10.85.0.1",5008,4002,0\r\n\r\nOK\r\n':
            raise Fail(f"mode 1: AT+CIPSTATUS {st!r}")
        s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
        s.at("AT+CIPDINFO=0", b"\r\nOK\r\n")
        s.quiet()
    finally:
        echo.close()
        other.close()
        third.close()
    return ("echo of 5 and 1290 bytes as one +IPD each; CIPSEND to 5008; closed port quiet; "
            "mode 2 follows every sender, mode 1 the first only")


def check_server_three_clients():
    """CIPMUX=1, CIPSERVER=1,8080 and three Linux clients at once."""
    s = port()
    s.at("AT+CIPMUX=1", b"\r\nOK\r\n")
    s.at("AT+CIPSERVER=1,8080", b"\r\nOK\r\n")
    s.at("AT+CIPSERVER?", b'+CIPSERVER:1,8080,"TCP"\r\n\r\nOK\r\n')
    clients = [L.kernel_connect(ADDR, 8080) for _ in range(3)]
    s.expect(b"0,CONNECT\r\n1,CONNECT\r\n2,CONNECT\r\n")
    by_port = {c.getsockname()[1]: i for i, c in enumerate(clients)}
    for i, c in enumerate(clients):
        c.sendall(f"client-{i}".encode())
    ids = {}
    for _ in range(3):
        lid, data = s.ipd()
        m = re.fullmatch(rb"client-(\d)", data)
        if lid is None or not m:
            raise Fail(f"+IPD link {lid}: {data!r}")
        ids[int(m.group(1))] = lid
    s.write(b"AT+CIPSTATE?\r\n")
    st = s.read_until(lambda b: (b, len(b)) if b.endswith(b"\r\nOK\r\n") else None, 5, "CIPSTATE")
    rows = re.findall(rb'\+CIPSTATE:(\d),"TCP","10\.85\.0\.1",(\d+),8080,1\r\n', st)
    if len(rows) != 3 or {by_port.get(int(p)) for _, p in rows} != {0, 1, 2}:
        raise Fail(f"AT+CIPSTATE?: {st!r}")
    for i, c in enumerate(clients):
        reply = f"reply-{i}".encode()
        s.at(f"AT+CIPSEND={ids[i]},{len(reply)}", b"\r\nOK\r\n\r\n>")
        s.write(reply)
        s.expect(f"\r\nRecv {len(reply)} bytes\r\n\r\nSEND OK\r\n".encode())
        c.settimeout(5)
        got = read_exact(c, len(reply))
        if got != reply:
            raise Fail(f"client {i} got {got!r}")
    s.at("AT+CIPCLOSE=5", b"0,CLOSED\r\n1,CLOSED\r\n2,CLOSED\r\n\r\nOK\r\n")
    for c in clients:
        expect_fin(c)
        c.close()
    s.at("AT+CIPSERVER=0", b"\r\nOK\r\n")
    return "three clients: CONNECT, +IPD, CIPSEND replies, CIPCLOSE=5 with a FIN each"


def check_passive_1mib():
    """Passive mode: 1 MiB from a Linux server read in 2 KiB CIPRECVDATA
    chunks, byte-exact; at most 5,760 bytes ever wait in the module, and the
    capture shows synack's window closing to 0 and reopening."""
    s = port()
    data = L.pattern(MiB)

    def handler(conn):
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        return expect_fin(conn)
    srv = Server(5004, handler)
    s.at("AT+CIPRECVMODE=1", b"\r\nOK\r\n")
    s.at("AT+CIPRECVMODE?", b"+CIPRECVMODE:1\r\n\r\nOK\r\n")
    s.at(f'AT+CIPSTART=0,"TCP","{HOST}",5004', b"0,CONNECT\r\n\r\nOK\r\n")
    # The window fills and closes; on a loaded machine that may take a while.
    fill_deadline = time.monotonic() + 10
    while True:
        time.sleep(0.1)
        s.write(b"AT+CIPRECVLEN?\r\n")
        ln = s.read_until(lambda b: (b, len(b)) if b.endswith(b"\r\nOK\r\n") else None, 5, "CIPRECVLEN")
        m = re.search(rb"\+CIPRECVLEN:(\d+),-1,-1,-1,-1\r\n\r\nOK\r\n$", ln)
        if not m:
            raise Fail(f"AT+CIPRECVLEN?: {ln!r}")
        held_first = int(m.group(1))
        if held_first > 5760:
            raise Fail(f"{held_first} bytes waiting, more than the 5760-byte window")
        if held_first == 5760 or time.monotonic() > fill_deadline:
            break
    if held_first != 5760:
        raise Fail(f"{held_first} bytes waiting after 10 s, expected the full 5760-byte window")
    got = bytearray()
    rx = re.compile(rb"\+CIPRECVDATA:(\d+),")
    notice = re.compile(rb"\r\n\+IPD,0,(\d+)\r\n")
    t0 = time.monotonic()
    most = 0
    empty_answers = 0
    while len(got) < len(data):
        s.write(b"AT+CIPRECVDATA=0,2048\r\n")

        def pred(b):
            # +IPD notices may come before the answer; drop them.
            skipped = 0
            while True:
                n = notice.match(b)
                if not n:
                    break
                b = b[n.end():]
                skipped += n.end()
            if b.startswith(b"\r\nERROR\r\n"):
                # Nothing buffered yet (the server has not refilled the
                # reopened window): the module says ERROR; ask again.
                return (None, skipped + len(b"\r\nERROR\r\n"))
            m = rx.match(b)
            if not m:
                if len(b) > 40:
                    raise Fail(f"expected +CIPRECVDATA, got {b[:80]!r}")
                return None
            k = int(m.group(1))
            end = m.end() + k + len(b"\r\nOK\r\n")
            if len(b) < end:
                return None
            if b[m.end() + k:end] != b"\r\nOK\r\n":
                raise Fail(f"no OK after {k} data bytes: {b[m.end() + k:end + 10]!r}")
            return (b[m.end():m.end() + k], skipped + end)
        chunk = s.read_until(pred, 10, "+CIPRECVDATA")
        if chunk is None:
            empty_answers += 1
            if empty_answers > 2000:
                raise Fail(f"CIPRECVDATA found nothing {empty_answers} times at {len(got)} bytes")
            time.sleep(0.005)
            continue
        if not chunk or len(chunk) > 2048:
            raise Fail(f"a CIPRECVDATA chunk of {len(chunk)} bytes")
        most = max(most, len(chunk))
        got += chunk
        if time.monotonic() - t0 > 120:
            raise Fail(f"only {len(got)} bytes after 120 s")
    dt = time.monotonic() - t0
    s.expect(b"0,CLOSED\r\n")   # held back until the last byte was read
    if bytes(got) != data:
        raise Fail("1 MiB: " + L.describe_mismatch(bytes(got), data))
    srv.wait()
    s.at("AT+CIPRECVMODE=0", b"\r\nOK\r\n")
    # The window, from synack's ACKs to the server in the capture.
    segs = STATE["sniffer"].segments()
    acks = [x for x in segs if x.src == f"{ADDR}:{x.src.split(':')[1]}" and x.dst == f"{HOST}:5004"]
    zero = [x for x in acks if x.win == 0 and "S" not in x.flags]
    if not zero:
        raise Fail(f"no zero window in {len(acks)} segments from synack")
    reopened = [x for x in acks if x.win > 0 and x.t > zero[0].t]
    if not reopened:
        raise Fail("the window never reopened after closing")
    over = [x for x in acks if x.win > 5760]
    if over:
        raise Fail(f"a window of {over[0].win} bytes, above 5760")
    return (f"1 MiB byte-exact in {dt:.1f} s ({L.mib_per_s(MiB, dt):.2f} MiB/s), chunks <= "
            f"{most}; 5760 bytes waiting with the window shut; {len(zero)} zero-window ACKs, "
            f"reopened {len(reopened)} times")


def check_passthrough():
    """AT+CIPMODE=1 and a bare AT+CIPSEND: bytes go through raw both ways;
    when the Linux server closes, the module connects again by itself;
    `+++` alone with guard times returns to command mode."""
    s = port()
    s.at("AT+CIPMUX=0", b"\r\nOK\r\n")
    s.at("AT+CIPMODE=1", b"\r\nOK\r\n")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 5005))
    sock.listen(2)
    sock.settimeout(10)
    result, errors = {}, []

    def server():
        try:
            # First connection: upper-case echo until "bye", then close.
            conn, _ = sock.accept()
            conn.settimeout(20)
            seen = b""
            while not seen.endswith(b"bye"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                seen += chunk
                conn.sendall(chunk.upper())
            conn.close()
            result["first"] = seen
            # The module comes back on its own; echo until "END".
            conn, _ = sock.accept()
            conn.settimeout(20)
            seen = b""
            while not seen.endswith(b"END"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                seen += chunk
                conn.sendall(chunk.upper())
            result["second"] = seen
            result["fin"] = expect_fin(conn)
            conn.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    t = threading.Thread(target=server, daemon=True)
    t.start()
    s.at(f'AT+CIPSTART="TCP","{HOST}",5005', b"CONNECT\r\n\r\nOK\r\n")
    s.at("AT+CIPSEND", b"\r\nOK\r\n\r\n>")
    s.write(b"hello AT\r\n")
    s.expect(b"HELLO AT\r\n")
    big = bytes(range(97, 123)) * 200
    s.write(big)
    s.expect(big.upper(), timeout=10)
    s.write(b"bye")
    s.expect(b"BYE")
    time.sleep(0.5)            # the server closed; the module reconnects
    s.write(b"again")
    s.expect(b"AGAIN", timeout=5)
    time.sleep(0.1)
    s.write(b"+++")
    time.sleep(0.1)
    s.at("AT", b"\r\nOK\r\n")   # command mode again; the link stays
    s.at("AT+CIPMODE=0", b"\r\nOK\r\n")
    s.at("AT+CIPSEND=3", b"\r\nOK\r\n\r\n>")
    s.write(b"END")
    s.expect(b"\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n")
    lid, up = s.ipd()
    if up != b"END":
        raise Fail(f"+IPD after passthrough: {up!r}")
    s.at("AT+CIPCLOSE", b"CLOSED\r\n\r\nOK\r\n")
    t.join(10)
    sock.close()
    if errors:
        raise Fail(f"the Linux server: {errors[0].__class__.__name__}: {errors[0]}")
    if result.get("first") != b"hello AT\r\n" + big + b"bye" or result.get("second") != b"againEND":
        raise Fail(f"the server saw {len(result.get('first', b''))} then "
                   f"{result.get('second', b'')!r}")
    trace = trace_text()
    if "passthrough: reconnecting" not in trace:
        raise Fail("no reconnection in --trace")
    return (f"{len(result['first'])} bytes through raw, echoed upper-case; the server closed "
            f"and the module connected again; +++ left passthrough")


def check_sigterm():
    """SIGTERM with a link open: a FIN to the peer, exit status 0, the
    symlink removed."""
    s = port()
    fin = {}

    def handler(conn):
        fin["how"] = expect_fin(conn)
        return True
    srv = Server(5006, handler)
    s.at(f'AT+CIPSTART="TCP","{HOST}",5006', b"CONNECT\r\n\r\nOK\r\n")
    s.close()
    L.stop_serve(STATE["modem"], "at-modem")
    srv.wait(10)
    if os.path.lexists(L.ENV.path("modem")):
        raise Fail("the pty symlink is still there")
    STATE["sniffer"].close()
    return "exit status 0; the Linux server saw a FIN; the symlink is gone"


def check_stdio():
    """--stdio: AT commands on stdin, answers on stdout, `ready` on stderr;
    the end of stdin ends the session with exit status 0."""
    import subprocess
    p = L.Proc([L.ENV.bin, "at-modem", "--tun", "skat1", "--addr", "10.85.1.2/24",
                "--host-addr", "10.85.1.1/24", "--stdio"], stdin=subprocess.PIPE, name="at-modem-stdio")
    L.wait_until(lambda: "ready" in p.stderr() or not p.running(), 5)
    if p.stderr() != "ready\n":
        p.stop()
        raise Fail(f"stderr {p.stderr()!r}, expected 'ready'")
    p.p.stdin.write(b"AT\r\nATE0\r\nAT+CIPSTATUS\r\n")
    p.p.stdin.flush()
    want = b"AT\r\n\r\nOK\r\nATE0\r\n\r\nOK\r\nSTATUS:1\r\n\r\nOK\r\n"
    L.wait_until(lambda: len(p.stdout_bytes()) >= len(want), 5)
    p.p.stdin.close()
    rc = p.wait(5)
    if rc != 0:
        p.stop()
        raise Fail(f"{L.status(rc)} after the end of stdin, expected 0{p.tail()}")
    if p.stdout_bytes() != want:
        raise Fail(f"stdout {p.stdout_bytes()!r}")
    return "AT, ATE0, AT+CIPSTATUS answered on stdout; exit 0 at the end of stdin"


CHECKS = [
    ("start-pty-ready", check_start),
    ("startup-queries", check_startup_queries),
    ("tcp-client-sequence", check_tcp_client),
    ("peer-close", check_peer_close),
    ("error-paths", check_error_paths),
    ("dns-dnsmasq", check_dns),
    ("udp-echo", check_udp),
    ("server-three-clients", check_server_three_clients),
    ("passive-1MiB-flow-control", check_passive_1mib),
    ("passthrough-plus-plus-plus", check_passthrough),
    ("sigterm-fin-exit-0", check_sigterm),
    ("stdio", check_stdio),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-atmodem", CHECKS, tools=["dnsmasq", "tshark"], modules=["serial"],
                    setup=setup_dnsmasq))
