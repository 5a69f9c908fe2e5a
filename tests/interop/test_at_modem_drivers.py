#!/usr/bin/python3
"""`synack at-modem` against what ESP8266 host drivers (WiFiEspAT, Zephyr's
esp_at, TinyGSM) send at start-up and the formats they parse, byte for byte
as esp-at v2.2 for ESP8266 prints them, over the pty with python3-serial
and against Linux peers in a private namespace (see at_modem_port.py).

    test_at_modem_drivers.py PATH_TO_SYNACK [-v]      (as root)

Checks: the start-up queries (AT+SYSSTORE, AT+CWAUTOCONN, AT+CWSTATE?,
AT+CWHOSTNAME, AT+CWLAPOPT's sort and mask on +CWLAP, AT+SYSTIMESTAMP,
AT+CIPDNS, AT+CIPSSLSIZE, AT+CIPSSLCCONF?, STATUS before a join);
AT+SYSMSG=2 (+LINK_CONN instead of CONNECT, but CLOSED on a close);
AT+CIPRECVLEN? (-1 for ids with no link); AT+CIPSENDEX's escapes as the
Linux server receives them; bytes beyond AT+CIPSEND's <len> (busy p...,
never sent, never run); AT+CIPCLOSEMODE=1 (the server sees a RST); the
multi-link UDP form AT+CIPSEND=<id>,<len>,"ip",port.
Prints PASS/FAIL per check and `N passed, M failed`.
"""
import os
import re
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402
from at_modem_port import (ADDR, HOST, STATE, Server, expect_fin, port,  # noqa: E402
                           read_exact, start_modem, trace_text)

DNS_SERVER = "10.85.9.53"   # not running: only AT+CIPDNS? shows it


def until_ok(s, what):
    """Everything up to and including the next `\r\nOK\r\n` (unsolicited
    lines may follow it in the same read)."""
    def pred(b):
        i = b.find(b"\r\nOK\r\n")
        return (b[:i + 6], i + 6) if i >= 0 else None
    return s.read_until(pred, 5, what)


def check_start():
    return start_modem("--dns", DNS_SERVER, "--wifi", "synack", "--wifi", "lab:password1")


def check_startup():
    """The queries and settings drivers send before they join a network."""
    s = port()
    s.at("ATE0", b"ATE0\r\n\r\nOK\r\n")
    s.at("AT+CIPSTATUS", b"STATUS:1\r\n\r\nOK\r\n")           # no join tried yet
    s.at("AT+CWSTATE?", b'+CWSTATE:0,""\r\n\r\nOK\r\n')
    s.at("AT+SYSSTORE?", b"+SYSSTORE:1\r\n\r\nOK\r\n")
    s.at("AT+SYSSTORE=0", b"\r\nOK\r\n")
    s.at("AT+SYSSTORE?", b"+SYSSTORE:0\r\n\r\nOK\r\n")
    s.at("AT+CWAUTOCONN?", b"+CWAUTOCONN:1\r\n\r\nOK\r\n")
    s.at("AT+CWAUTOCONN=0", b"\r\nOK\r\n")
    s.at("AT+CWAUTOCONN?", b"+CWAUTOCONN:0\r\n\r\nOK\r\n")
    s.at("AT+CWHOSTNAME?", b"+CWHOSTNAME:espressif\r\n\r\nOK\r\n")
    s.at('AT+CWHOSTNAME="esp-lab"', b"\r\nOK\r\n")
    s.at("AT+CWHOSTNAME?", b"+CWHOSTNAME:esp-lab\r\n\r\nOK\r\n")
    # +CWLAP: all eleven fields by default; sorted by RSSI with mask 31;
    # <ssid>,<rssi> of networks at -60 dBm or better with mask 6.
    s.at("AT+CWLAP", b'+CWLAP:(0,"synack",-44,"06:73:6b:55:00:01",1,0,0,0,0,7,0)\r\n'
         b'+CWLAP:(3,"lab",-74,"06:73:6b:55:00:02",2,0,0,4,4,7,0)\r\n\r\nOK\r\n')
    s.at("AT+CWLAPOPT=1,31", b"\r\nOK\r\n")
    s.at("AT+CWLAP", b'+CWLAP:(0,"synack",-44,"06:73:6b:55:00:01",1)\r\n'
         b'+CWLAP:(3,"lab",-74,"06:73:6b:55:00:02",2)\r\n\r\nOK\r\n')
    s.at("AT+CWLAPOPT=0,6,-60", b"\r\nOK\r\n")
    s.at("AT+CWLAP", b'+CWLAP:("synack",-44)\r\n\r\nOK\r\n')
    s.at("AT+SYSTIMESTAMP?", b"+SYSTIMESTAMP:0\r\n\r\nOK\r\n")
    s.at("AT+SYSTIMESTAMP=1700000000", b"\r\nOK\r\n")
    s.write(b"AT+SYSTIMESTAMP?\r\n")
    ts = until_ok(s, "+SYSTIMESTAMP")
    if not re.fullmatch(rb"\+SYSTIMESTAMP:170000000\d\r\n\r\nOK\r\n", ts):
        raise Fail(f"AT+SYSTIMESTAMP?: {ts!r}")
    s.at("AT+CIPDNS?", f'+CIPDNS:0,"{DNS_SERVER}"\r\n\r\nOK\r\n'.encode())
    s.at('AT+CIPDNS=1,"10.85.9.54","10.85.9.55"', b"\r\nOK\r\n")
    s.at("AT+CIPDNS?", b'+CIPDNS:1,"10.85.9.54","10.85.9.55"\r\n\r\nOK\r\n')
    s.at("AT+CIPDNS=0", b"\r\nOK\r\n")
    s.at("AT+CIPSSLSIZE=4096", b"\r\nOK\r\n")
    s.at("AT+CIPSSLCCONF?", b"+CIPSSLCCONF:0,0,0,0\r\n\r\nOK\r\n")
    s.at("AT+CIPDINFO?", b"+CIPDINFO:false\r\n\r\nOK\r\n")
    s.at("AT+CIPRECVLEN?", b"+CIPRECVLEN:-1,-1,-1,-1,-1\r\n\r\nOK\r\n")
    s.at("AT+SYSLOG=1", b"\r\nOK\r\n")
    s.at("AT+NOSUCH", b"ERR CODE:0x01090000\r\n\r\nERROR\r\n")
    s.at("AT+SYSLOG=0", b"\r\nOK\r\n")
    s.at('AT+CWJAP="synack",""', b"WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
    s.at("AT+CWSTATE?", b'+CWSTATE:2,"synack"\r\n\r\nOK\r\n')
    s.at("AT+CIPSTATUS", b"STATUS:2\r\n\r\nOK\r\n")
    s.quiet()
    return "SYSSTORE, CWAUTOCONN, CWSTATE, CWHOSTNAME, CWLAPOPT/CWLAP, SYSTIMESTAMP, CIPDNS, ..."


def check_sysmsg_and_send_forms():
    """AT+SYSMSG=2 with CIPMUX=1: +LINK_CONN, then CIPSENDEX escapes, bytes
    beyond <len>, CIPRECVLEN and CIPCLOSEMODE=1 as a Linux server sees them;
    a peer's close is `<id>,CLOSED`."""
    s = port()

    def handler(conn):
        ex = read_exact(conn, 6)
        over = read_exact(conn, 3)
        conn.sendall(b"0123456789")
        try:
            rest = conn.recv(100)
        except ConnectionResetError:
            return ex, over, "RST"
        return ex, over, f"not a RST: {rest!r}"
    srv = Server(5020, handler)
    s.at("AT+SYSMSG=2", b"\r\nOK\r\n")
    s.at("AT+CIPMUX=1", b"\r\nOK\r\n")
    s.at("AT+CIPRECVMODE=1", b"\r\nOK\r\n")
    s.write(f'AT+CIPSTART=1,"TCP","{HOST}",5020\r\n'.encode())
    got = until_ok(s, "AT+CIPSTART's OK")
    if not re.fullmatch(rb'\+LINK_CONN:0,1,"TCP",0,"10\.85\.0\.1",5020,\d+\r\n\r\nOK\r\n', got):
        raise Fail(f"AT+CIPSTART with AT+SYSMSG=2: {got!r}")
    # `\0` ends the data; `\\0` sends `\0`; `\b` stays `\b`.
    s.at("AT+CIPSENDEX=1,20", b"\r\nOK\r\n\r\n>")
    s.write(b"a\\b\\\\0c\\0")
    s.expect(b"\r\nRecv 6 bytes\r\n\r\nSEND OK\r\n")
    # "xyz" is the data; the line after it arrives while the module sends.
    s.at("AT+CIPSEND=1,3", b"\r\nOK\r\n\r\n>")
    s.write(b"xyzAT+CIPCLOSE=1\r\n")
    s.expect(b"\r\nRecv 3 bytes\r\n\r\nbusy p...\r\n\r\nSEND OK\r\n")
    s.expect(b"\r\n+IPD,1,10\r\n")
    s.at("AT+CIPRECVLEN?", b"+CIPRECVLEN:-1,10,-1,-1,-1\r\n\r\nOK\r\n")
    s.at("AT+CIPCLOSEMODE=1,1", b"\r\nOK\r\n")
    s.at("AT+CIPCLOSE=1", b"1,CLOSED\r\n\r\nOK\r\n")
    ex, over, how = srv.wait()
    if (ex, over, how) != (b"a\\b\\0c", b"xyz", "RST"):
        raise Fail(f"the server got {ex!r} then {over!r}, then {how}")
    if "bytes after AT+CIPSEND's data dropped" not in trace_text():
        raise Fail("--trace does not say the extra bytes were dropped")

    def closer(conn):
        conn.sendall(b"bye")
        return True
    srv = Server(5021, closer)
    s.write(f'AT+CIPSTART=3,"TCP","{HOST}",5021\r\n'.encode())
    until_ok(s, "AT+CIPSTART's OK")
    srv.wait()
    s.expect(b"\r\n+IPD,3,3\r\n")
    s.at("AT+CIPRECVDATA=3,10", b"+CIPRECVDATA:3,bye\r\nOK\r\n3,CLOSED\r\n")
    s.at("AT+CIPRECVMODE=0", b"\r\nOK\r\n")
    s.at("AT+SYSMSG=0", b"\r\nOK\r\n")
    s.quiet()
    return "+LINK_CONN; CIPSENDEX sent a\\b\\0c; busy p... dropped the extra line; RST; 3,CLOSED"


def check_udp_mux_send_to():
    """AT+CIPSEND=<id>,<len>,"ip",port on a multi-link UDP link: one
    datagram to that peer."""
    s = port()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((HOST, 5022))
    peer.settimeout(5)
    try:
        s.at(f'AT+CIPSTART=2,"UDP","{HOST}",5023,4100,0', b"2,CONNECT\r\n\r\nOK\r\n")
        s.at(f'AT+CIPSEND=2,5,"{HOST}",5022', b"\r\nOK\r\n\r\n>")
        s.write(b"hello")
        s.expect(b"\r\nRecv 5 bytes\r\n\r\nSEND OK\r\n")
        data, src = peer.recvfrom(100)
        if (data, src) != (b"hello", (ADDR, 4100)):
            raise Fail(f"the peer got {data!r} from {src}")
        s.at("AT+CIPCLOSE=2", b"2,CLOSED\r\n\r\nOK\r\n")
    finally:
        peer.close()
    return f"one datagram 'hello' from {ADDR}:4100 to {HOST}:5022"


def check_sigterm():
    """SIGTERM with a link open: a FIN to the peer, exit status 0."""
    s = port()
    srv = Server(5024, expect_fin)
    s.at(f'AT+CIPSTART=0,"TCP","{HOST}",5024', b"0,CONNECT\r\n\r\nOK\r\n")
    s.close()
    L.stop_serve(STATE["modem"], "at-modem")
    srv.wait(10)
    STATE["sniffer"].close()
    return "exit status 0; a FIN to the open link"


CHECKS = [
    ("start-pty-ready", check_start),
    ("startup-queries", check_startup),
    ("sysmsg-sendex-busy-closemode", check_sysmsg_and_send_forms),
    ("udp-mux-send-to", check_udp_mux_send_to),
    ("sigterm-fin-exit-0", check_sigterm),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-atdrv", CHECKS, modules=["serial"]))
