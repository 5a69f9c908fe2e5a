#!/usr/bin/env python3
"""Strict command-line arguments (issue 12): a table of bad arguments for every
subcommand of `synack`, each of which must end with exit status 2 and exactly
one line on stderr, print nothing on stdout, create or change no file, and
never open /dev/net/tun (checked with strace when it is installed) — the
checks come before anything starts. A few good arguments must still work.

Usage: test_cli_args.py PATH_TO_SYNACK [-v]
Needs no root: as root, the cases that must reach the TUN device run as
nobody (setpriv), so that no device is ever created.
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/synack"
VERBOSE = "-v" in sys.argv[2:]
IS_ROOT = os.geteuid() == 0


def strace_works():
    if not shutil.which("strace"):
        return False
    try:
        return subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


STRACE = strace_works()

# --- the bases each case changes one thing in ---------------------------------

SERVE = ["serve", "--tun", "skcli0", "--addr", "10.99.0.2/24", "--host-addr", "10.99.0.1/24",
         "--port", "7", "--app", "echo"]
CONNECT = ["connect", "--tun", "skcli1", "--addr", "10.99.1.2/24", "--host-addr", "10.99.1.1/24",
           "--to", "10.99.1.1:7"]
RELAY = ["relay", "--tun", "skcli2", "--tun", "skcli3"]
DEMO = ["demo", "--scenario", "1"]
FLOOD = ["flood", "--seconds", "1", "--mode", "on"]
AT_MODEM = ["at-modem", "--tun", "skcli5", "--addr", "10.99.5.2/24", "--host-addr",
            "10.99.5.1/24", "--pty", "modem"]
UDP_ECHO = ["udp-echo", "--tun", "skcli8", "--addr", "10.99.8.2/24", "--host-addr",
            "10.99.8.1/24", "--port", "7"]
UDP_SEND = ["udp-send", "--tun", "skcli7", "--addr", "10.99.7.2/24", "--host-addr",
            "10.99.7.1/24", "--to", "10.99.7.1:7", "--message", "hi"]
RESOLVE = ["resolve", "ok.test", "--tun", "skcli6", "--addr", "10.99.6.2/24", "--host-addr",
           "10.99.6.1/24", "--dns", "10.99.6.1"]


def with_opt(base, opt, value):
    """`base` with `opt` set to `value` (replaced when present, else appended)."""
    args = list(base)
    if opt in args:
        args[args.index(opt) + 1] = value
    else:
        args += [opt, value]
    return args


def without(base, opt):
    args = list(base)
    i = args.index(opt)
    del args[i:i + 2]
    return args


CASES = []  # (name, argv); each must exit 2 with one line on stderr


def bad(name, argv):
    CASES.append((name, argv))


# Values no numeric option takes.
NOT_NUMBERS = ["nan", "NaN", "inf", "infinity", "-1", "99999999999999999999999", "12abc", "",
               "1.5", " 5", "0x10", "+5", "1e3"]
# Values no real-valued option takes.
NOT_REALS = ["nan", "NaN", "inf", "-inf", "infinity", "-1", "1e400", "12abc", "", " 5", "0x10",
             "+5", "2,5"]

TCP_NUMBERS = {  # option: out-of-range values beyond the generic ones
    "--backlog": ["0", "1000001"],
    "--syn-backlog": ["0", "1000001"],
    "--synack-retries": ["256"],
    "--syn-retries": ["256"],
    "--retries2": ["0", "256"],
    "--max-connections": ["0", "16777217"],
    "--invalid-ratelimit-ms": ["60001"],
    "--challenge-ack-limit": ["1000001"],
    "--rto-initial-ms": ["0", "120001"],
    "--fin-timeout-ms": ["0", "86400001"],
    "--msl-ms": ["3600001"],
    "--mss": ["63", "65496"],
}
for opt, extra in TCP_NUMBERS.items():
    for v in NOT_NUMBERS + extra:
        bad(f"serve {opt} {v!r}", with_opt(SERVE, opt, v))
    for v in ["nan", "-1", "99999999999999999999999", "7x", ""] + extra:
        bad(f"connect {opt} {v!r}", with_opt(CONNECT, opt, v))

# Byte counts: digits with an optional K, M, G or T (1024-based), 0 to 1T.
BYTE_SIZES = ["nan", "inf", "-1", "", "1.5", " 5", "0x10", "+5", "1e3", "5k", "5KB", "5 K",
              "K", "1025G", "2T", "18446744073709551615", "99999999999999999999999", "4MM"]
for v in BYTE_SIZES:
    bad(f"serve --buffer-budget {v!r}", with_opt(SERVE, "--buffer-budget", v))
    bad(f"connect --buffer-budget {v!r}", with_opt(CONNECT, "--buffer-budget", v))

FLOOD_INTEGERS = {"--seconds": ["0", "3601"], "--syn-backlog": ["0", "1000001"],
                  "--backlog": ["0"], "--delay-ms": ["10001"], "--deadline-ms": ["0", "600001"]}
for opt, extra in FLOOD_INTEGERS.items():
    for v in NOT_NUMBERS + extra:
        bad(f"flood {opt} {v!r}", with_opt(FLOOD, opt, v))
for opt, extra in {"--legit-rate": ["0", "0.05", "10001"],
                   "--attack-rate": ["1000001", "-0.5"]}.items():
    for v in NOT_REALS + extra:
        bad(f"flood {opt} {v!r}", with_opt(FLOOD, opt, v))
SEEDS = ["nan", "inf", "-1", "99999999999999999999999", "18446744073709551616", "1abc", "",
         "1.5", "+1", " 1", "0x1"]
for v in SEEDS:
    bad(f"flood --seed {v!r}", with_opt(FLOOD, "--seed", v))
    bad(f"demo --seed {v!r}", with_opt(DEMO, "--seed", v))
for v in ["nan", "inf", "-1", "99999999999999999999999", "59", "401", "100x", "", "80.5"]:
    bad(f"demo --width {v!r}", with_opt(DEMO, "--width", v))
for v in ["0", "4", "", "one", "1,2"]:
    bad(f"demo --scenario {v!r}", with_opt(DEMO, "--scenario", v))
for v in ["", "bogus", "ON"]:
    bad(f"flood --mode {v!r}", with_opt(FLOOD, "--mode", v))

# Flags take no value.
for flag in ["--nodelay=3", "--nodelay=true", "--no-wscale=1", "--no-sack=x",
             "--no-timestamps=yes", "--no-loss-probe=0", "--tap=1", "--no-offload=1",
             "--stats=yes"]:
    bad(f"serve {flag}", SERVE + [flag])
bad("connect --shutdown-after-send=1", CONNECT + ["--shutdown-after-send=1"])
bad("connect --nodelay=3", CONNECT + ["--nodelay=3"])

# Unknown options, subcommands and stray arguments.
bad("no subcommand", [])
bad("unknown subcommand", ["bogus"])
for base in (SERVE, CONNECT, RELAY, DEMO, FLOOD, AT_MODEM):
    bad(f"{base[0]} --bogus", base + ["--bogus"])
    bad(f"{base[0]} stray argument", base + ["stray"])
bad("serve --nodelay 3 (a value after a flag)", SERVE + ["--nodelay", "3"])
bad("serve --port with no value", SERVE + ["--port"])

# Missing required options.
for opt in ["--tun", "--addr", "--port", "--app"]:
    bad(f"serve without {opt}", without(SERVE, opt))
for opt in ["--tun", "--addr", "--to"]:
    bad(f"connect without {opt}", without(CONNECT, opt))
bad("relay without --tun", ["relay"])
bad("relay with one --tun", ["relay", "--tun", "skcli2"])
bad("relay with the same --tun twice", ["relay", "--tun", "skcli2", "--tun", "skcli2"])
bad("relay with three --tun", RELAY + ["--tun", "skcli4"])

# Addresses.
for v in ["10.99.0.2", "10.99.0.2/33", "10.99.0.256/24", "10.99.0.2/24x", "", " 10.99.0.2/24",
          "10.99.0.2/", "/24", "ten/8", "0.0.0.0/24", "127.0.0.2/8", "224.0.0.1/24",
          "255.255.255.255/32", "240.0.0.1/24", "10.99.0.2/-1", "10.99.0.2/+24"]:
    bad(f"serve --addr {v!r}", with_opt(SERVE, "--addr", v))
for v in ["10.99.0.1/40", "10.99.0.2/24", "", "10.99.0.1", "127.0.0.1/8"]:
    bad(f"serve --host-addr {v!r}", with_opt(SERVE, "--host-addr", v))
bad("connect --addr bad", with_opt(CONNECT, "--addr", "10.99.1.2/99"))
# --addr dhcp (issue 15): serve and connect only, and without --host-addr.
bad("serve --addr dhcp --host-addr", with_opt(SERVE, "--addr", "dhcp"))
bad("connect --addr dhcp --host-addr", with_opt(CONNECT, "--addr", "dhcp"))
bad("serve --addr DHCP", with_opt(SERVE, "--addr", "DHCP"))
bad("udp-echo --addr dhcp", with_opt(UDP_ECHO, "--addr", "dhcp"))
# --ddns SPEC.
for v in ["", "bogus", "rfc2136:10.99.0.1,example.test,h.example.test,/nonexistent/key",
          "rfc2136:10.99.0.1,example.test", "rfc2136:host,example.test,h.example.test,/dev/null",
          "rfc2136:10.99.0.1,example.test,h.other.test,/dev/null",
          "rfc2136:10.99.0.1,example.test,h.example.test,/dev/null",
          "dyndns2:http://10.99.0.1,h.test,nopassword", "dyndns2:ftp://10.99.0.1,h.test,a:b",
          "dyndns2:http://10.99.0.1,h.test,@/nonexistent/creds", "dyndns2:http://10.99.0.1,,a:b"]:
    bad(f"serve --ddns {v!r}", SERVE + ["--ddns", v])

# Ports and peers.
for v in ["0", "65536", "-1", "", "7x", "nan", "99999999999999999999", "+7", " 7", "0x7", "7.0"]:
    bad(f"serve --port {v!r}", with_opt(SERVE, "--port", v))
for v in ["10.99.1.1:0", "10.99.1.1:65536", "10.99.1.1", ":7", "10.99.1.1:", "0.0.0.0:7",
          "224.0.0.1:7", "255.255.255.255:7", "127.0.0.1:7", "10.99.1.2:7", "host:7",
          "10.99.1.1:7:7", "10.99.1.1:-7", ""]:
    bad(f"connect --to {v!r}", with_opt(CONNECT, "--to", v))

# Apps.
for v in ["source:", "source:-1", "source:abc", "source:1x", "source:99999999999999999999999",
          "source: 1", "drop:abc", "drop:", "drop:-5", "drop:86400001", "drop:1.5", "bogus", "",
          "echo:1", "Echo", "hold "]:
    bad(f"serve --app {v!r}", with_opt(SERVE, "--app", v))

# --app http[:DIR] and its options (issue 13). Each run starts in a fresh
# directory holding input.txt and sub/.
HTTP = with_opt(SERVE, "--app", "http")
for v in ["http:", "HTTP", "https", "http:nodir", "http:input.txt", "http2", "http:/nonexistent"]:
    bad(f"serve --app {v!r}", with_opt(SERVE, "--app", v))
for opt in ["--tls-cert", "--tls-key"]:
    bad(f"serve {opt} without --app http", SERVE + [opt, "input.txt"])
bad("serve --tls-self-signed without --app http", SERVE + ["--tls-self-signed"])
bad("serve --http-idle-timeout-ms without --app http", SERVE + ["--http-idle-timeout-ms", "5"])
bad("serve --http-max-requests without --app http", SERVE + ["--http-max-requests", "5"])
bad("serve --tls-cert without --tls-key", HTTP + ["--tls-cert", "input.txt"])
bad("serve --tls-key without --tls-cert", HTTP + ["--tls-key", "input.txt"])
bad("serve --tls-self-signed with --tls-cert",
    HTTP + ["--tls-self-signed", "--tls-cert", "input.txt", "--tls-key", "input.txt"])
bad("serve --tls-self-signed=1", HTTP + ["--tls-self-signed=1"])
bad("serve --tls-self-signed given a value", HTTP + ["--tls-self-signed", "yes"])
for v in ["nosuch", "sub", ""]:
    bad(f"serve --tls-cert {v!r}", HTTP + ["--tls-cert", v, "--tls-key", "input.txt"])
    bad(f"serve --tls-key {v!r}", HTTP + ["--tls-cert", "input.txt", "--tls-key", v])
bad("serve --tls-cert not PEM", HTTP + ["--tls-cert", "input.txt", "--tls-key", "input.txt"])
for opt, extra in {"--http-idle-timeout-ms": ["0", "86400001"],
                   "--http-max-requests": ["0", "1000000001"]}.items():
    for v in NOT_NUMBERS + extra:
        bad(f"serve {opt} {v!r}", with_opt(HTTP, opt, v))

# Impairment specs.
IMPAIRS = ["", ",,,", ",", "loss=1%,loss=2%", "loss=1%,", ",loss=1%", "loss=1%,,delay=5ms",
           " ", "loss=nan", "loss=inf", "loss=2", "loss=-1%", "loss=", "loss", "delay=50",
           "delay=-5ms", "delay=nanms", "rate=fast", "seed=-1", "seed=1,seed=2", "seed=",
           "seed=99999999999999999999999", "seed=1x", "dup=1%,duplicate=2%",
           "queue=1kb,queue_limit=2kb", "loss=1%, loss=2%", "bogus=1", "none,loss=1%"]
for v in IMPAIRS:
    bad(f"serve --impair {v!r}", with_opt(SERVE, "--impair", v))
for v in ["", ",,,", "loss=1%,loss=2%", "loss=nan", "seed=-1"]:
    bad(f"relay --impair {v!r}", with_opt(RELAY, "--impair", v))
    bad(f"connect --impair {v!r}", with_opt(CONNECT, "--impair", v))

# Keepalive triples, congestion control, SYN cookies.
for v in ["", "1,2", "1,2,3,4", "0,1,1", "1,0,1", "1,1,0", "1,1,256", "-1,1,1", "a,b,c", "1,,1",
          " 1,1,1", "1.5,1,1", "1,1,1,", "nan,1,1", "1,1,99999999999999999999", "1e3,1,1"]:
    bad(f"serve --keepalive {v!r}", with_opt(SERVE, "--keepalive", v))
for v in ["", "bbr", "CUBIC", "reno "]:
    bad(f"serve --cc {v!r}", with_opt(SERVE, "--cc", v))
    bad(f"connect --cc {v!r}", with_opt(CONNECT, "--cc", v))
for v in ["", "yes", "1", "Auto", "off,on"]:
    bad(f"serve --syncookies {v!r}", with_opt(SERVE, "--syncookies", v))

# Interface names.
NAMES = ["", "../x", ".", "..", "a/b", "a b", "a:b", "tab\tname", "x" * 16, "y" * 40]
for v in NAMES:
    bad(f"serve --tun {v!r}", with_opt(SERVE, "--tun", v))
    bad(f"relay --tun {v!r}", ["relay", "--tun", v, "--tun", "skcli3"])
for v in ["", "../x", "z" * 40]:
    bad(f"connect --tun {v!r}", with_opt(CONNECT, "--tun", v))

# Output paths (each case runs in an empty directory holding only `input.txt`
# and `sub/`), and connect's input file.
OUT_PATHS = ["nodir/x", ".", "sub", "sub/", "", "input.txt/x", "nodir/"]
for v in OUT_PATHS:
    bad(f"serve --pcap {v!r}", with_opt(SERVE, "--pcap", v))
    bad(f"demo --pcap {v!r}", with_opt(DEMO, "--pcap", v))
    bad(f"flood --plot {v!r}", with_opt(FLOOD, "--plot", v))
for v in ["nodir/t", "sub", ""]:
    bad(f"serve --trace {v!r}", with_opt(SERVE, "--trace", v))
    bad(f"connect --trace {v!r}", with_opt(CONNECT, "--trace", v))
    bad(f"relay --pcap {v!r}", with_opt(RELAY, "--pcap", v))
    bad(f"connect --out {v!r}", with_opt(CONNECT, "--out", v))
    bad(f"connect --pcap {v!r}", with_opt(CONNECT, "--pcap", v))
bad("serve --pcap and --trace the same file", SERVE + ["--pcap", "x", "--trace", "x"])
bad("serve --pcap and --trace the same file, spelt twice",
    SERVE + ["--pcap", "sub/x", "--trace", "./sub/x"])
bad("flood --plot into a missing directory, long run", FLOOD[:1] + ["--seconds", "3600",
                                                                    "--plot", "nodir/f.svg"])
for v in ["nosuch", "sub", ""]:
    bad(f"connect --send {v!r}", with_opt(CONNECT, "--send", v))
bad("connect --send and --out the same file",
    CONNECT + ["--send", "input.txt", "--out", "input.txt"])
bad("connect --out and --pcap the same file", CONNECT + ["--out", "o", "--pcap", "o"])

# at-modem: its own options, and the TCP options it shares with serve.
for opt in ["--tun", "--addr", "--pty"]:
    bad(f"at-modem without {opt}", without(AT_MODEM, opt))
bad("at-modem with --pty and --stdio", AT_MODEM + ["--stdio"])
bad("at-modem --stdio=1", without(AT_MODEM, "--pty") + ["--stdio=1"])
bad("at-modem --stdio 1 (a value after a flag)", without(AT_MODEM, "--pty") + ["--stdio", "1"])
for v in ["", "nodir/x", "sub", "sub/", "input.txt", "."]:
    bad(f"at-modem --pty {v!r}", with_opt(AT_MODEM, "--pty", v))
bad("at-modem --pty and --trace the same file", AT_MODEM + ["--trace", "modem"])
for v in ["", "10.0.0", "10.0.0.256", "host", "0.0.0.0", "224.0.0.1", "10.0.0.1/24", " 10.0.0.1"]:
    bad(f"at-modem --dns {v!r}", AT_MODEM + ["--dns", v])
for v in ["", ":password1", "home:short", "home:" + "p" * 65, "s" * 33, "tab\there"]:
    bad(f"at-modem --wifi {v!r}", AT_MODEM + ["--wifi", v])
bad("at-modem --wifi twice the same SSID", AT_MODEM + ["--wifi", "home", "--wifi", "home:password1"])
for opt, extra in TCP_NUMBERS.items():
    for v in ["nan", "-1", "7x", ""] + extra:
        bad(f"at-modem {opt} {v!r}", with_opt(AT_MODEM, opt, v))
for v in ["10.99.5.2", "127.0.0.2/8", ""]:
    bad(f"at-modem --addr {v!r}", with_opt(AT_MODEM, "--addr", v))
for v in ["", "../x", "x" * 16]:
    bad(f"at-modem --tun {v!r}", with_opt(AT_MODEM, "--tun", v))
for v in ["", "bbr"]:
    bad(f"at-modem --cc {v!r}", with_opt(AT_MODEM, "--cc", v))
bad("at-modem --nodelay=1", AT_MODEM + ["--nodelay=1"])
# udp-echo and resolve (UDP and the DNS stub resolver).
for v in ["0", "65536", "-1", "", "7x", "nan", "+7", " 7", "0x7"]:
    bad(f"udp-echo --port {v!r}", with_opt(UDP_ECHO, "--port", v))
    bad(f"resolve --dns-port {v!r}", with_opt(RESOLVE, "--dns-port", v))
for opt in ["--tun", "--addr", "--port"]:
    bad(f"udp-echo without {opt}", without(UDP_ECHO, opt))
for opt in ["--tun", "--addr", "--dns"]:
    bad(f"resolve without {opt}", without(RESOLVE, opt))
bad("resolve without a name", RESOLVE[:1] + RESOLVE[2:])
for v in ["", "10.99.6", "10.99.6.1.1", "0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255",
          "10.99.6.2", "ns.example", " 10.99.6.1", "10.99.6.1:53"]:
    bad(f"resolve --dns {v!r}", with_opt(RESOLVE, "--dns", v))
for v in ["", "a b", "x" * 254]:
    bad(f"resolve name {v!r}", ["resolve", v] + RESOLVE[2:])
for v in ["10.99.7.1:0", "10.99.7.1:65536", "10.99.7.1", ":7", "0.0.0.0:7", "127.0.0.1:7",
          "224.0.0.1:7", "10.99.7.2:7", "host:7", ""]:
    bad(f"udp-send --to {v!r}", with_opt(UDP_SEND, "--to", v))
for v in NOT_NUMBERS + ["0", "600001"]:
    bad(f"udp-send --wait-ms {v!r}", with_opt(UDP_SEND, "--wait-ms", v))
bad("udp-send --message over 1472 bytes", with_opt(UDP_SEND, "--message", "m" * 1473))
for opt in ["--to", "--message", "--tun"]:
    bad(f"udp-send without {opt}", without(UDP_SEND, opt))
for base in (UDP_ECHO, UDP_SEND, RESOLVE):
    bad(f"{base[0]} --bogus", base + ["--bogus"])
    bad(f"{base[0]} --addr bad", with_opt(base, "--addr", "10.99.9.2/99"))
    bad(f"{base[0]} --tun bad", with_opt(base, "--tun", "x" * 16))
    bad(f"{base[0]} --pcap into a missing directory", with_opt(base, "--pcap", "nodir/x"))
    bad(f"{base[0]} --impair bad", with_opt(base, "--impair", "loss=nan"))
    bad(f"{base[0]} --tap=1", base + ["--tap=1"])
bad("udp-echo stray argument", UDP_ECHO + ["stray"])

# fetch (issue 13): URLs, the pool's limit, the protocol flags and --svg.
FETCH = ["fetch", "--tun", "skcli9", "--addr", "10.99.9.2/24", "--host-addr", "10.99.9.1/24",
         "http://10.99.9.1/"]
for v in NOT_NUMBERS + ["0", "257"]:
    bad(f"fetch --max-per-host {v!r}", with_opt(FETCH, "--max-per-host", v))
for v in ["ftp://10.99.9.1/", "http://example.com/", "http://10.99.9.1:0/",
          "http://10.99.9.1:65536/", "http://10.99.9.1:8x/", "10.99.9.1/", "http://127.0.0.1/",
          "http://224.0.0.1/", "http:///x", "http://10.99.9.2/", "http://u@10.99.9.1/",
          "http://10.99.9.1/a b", ""]:
    bad(f"fetch URL {v!r}", FETCH[:-1] + [v])
bad("fetch without a URL", FETCH[:-1])
bad("fetch, a bad URL after a good one", FETCH + ["gopher://10.99.9.1/"])
for flags in (["--http1.0", "--http2"], ["--http1.0", "--http1.1"], ["--http1.1", "--http2"]):
    bad(f"fetch {' '.join(flags)}", FETCH + flags)
for flag in ["--page=1", "--insecure=yes", "--http2=true", "--http1.0=0"]:
    bad(f"fetch {flag}", FETCH + [flag])
for v in OUT_PATHS:
    bad(f"fetch --svg {v!r}", with_opt(FETCH, "--svg", v))
bad("fetch --svg and --pcap the same file", FETCH + ["--svg", "w", "--pcap", "w"])
for opt in ["--tun", "--addr"]:
    bad(f"fetch without {opt}", without(FETCH, opt))

# nat (issue 14): links, port forwards, the conntrack limit, namespaces.
NAT = ["nat", "--outside", "skcli10,203.0.113.2/24,203.0.113.1/24", "--inside",
       "skcli11,10.0.1.1/24,10.0.1.201/24", "--forward", "tcp:3390=10.0.1.201:3389"]
for opt in ["--outside", "--inside"]:
    bad(f"nat without {opt}", without(NAT, opt))
    for v in ["skcli10", "skcli10,10.0.0.1", "skcli10,300.1.1.1/24", "x" * 16 + ",10.9.0.1/24",
              "skcli10,10.9.0.1/24,10.9.0.1/24", "skcli10,10.9.0.1/24,10.8.0.1/24",
              "skcli10,10.9.0.1/24,10.9.0.2/24,x", ",10.9.0.1/24", "skcli10,127.0.0.1/8",
              "skcli10,10.9.0.1/33", ""]:
        bad(f"nat {opt} {v!r}", with_opt(NAT, opt, v))
bad("nat --outside and --inside overlap", with_opt(NAT, "--outside", "skcli10,10.0.0.1/16"))
bad("nat --outside and --inside on one interface", with_opt(NAT, "--outside",
                                                              "skcli11,203.0.113.2/24"))
for v in ["tcp:3390", "icmp:1=10.0.1.2:3", "tcp:0=10.0.1.2:3", "tcp:70000=10.0.1.2:3",
          "tcp:5-4=10.0.1.2:3", "tcp:1=192.0.2.1:1", "tcp:1=10.0.1.1:1", "tcp:1=10.0.1.2:0",
          "tcp:100-200=10.0.1.2:65500", "tcp:1=10.0.1.2", "tcp:+1=10.0.1.2:1", "tcp:1=x:1", ""]:
    bad(f"nat --forward {v!r}", with_opt(NAT, "--forward", v))
bad("nat --forward overlapping an earlier one", NAT + ["--forward", "tcp:3000-3390=10.0.1.9:1"])
bad("nat --forward, a bad one after a good one", NAT + ["--forward", "udp:1=10.0.1.2"])
for v in NOT_NUMBERS + ["0", "10000001"]:
    bad(f"nat --conntrack-max {v!r}", with_opt(NAT, "--conntrack-max", v))
for v in ["x", "203.0.113.2", "192.0.2.1", "203.0.113.0/24", ""]:
    bad(f"nat --gateway {v!r}", with_opt(NAT, "--gateway", v))
for opt in ["--netns-outside", "--netns-inside"]:
    for v in ["no-such-namespace-synack", "a/b", ".."]:
        bad(f"nat {opt} {v!r}", with_opt(NAT, opt, v))
for opt in ["--pcap-outside", "--pcap-inside"]:
    for v in OUT_PATHS:
        bad(f"nat {opt} {v!r}", with_opt(NAT, opt, v))
bad("nat, both captures to one file", NAT + ["--pcap-outside", "w", "--pcap-inside", "w"])
bad("nat --impair bad", with_opt(NAT, "--impair", "loss=nan"))
for flag in ["--tap=1", "--nat-pmp=yes"]:
    bad(f"nat {flag}", NAT + [flag])
bad("nat stray argument", NAT + ["stray"])
# nat --outside IF,dhcp and --ddns (issue 15).
NAT_DHCP = with_opt(NAT, "--outside", "skcli10,dhcp") + ["--tap"]
bad("nat --outside IF,dhcp without --tap", with_opt(NAT, "--outside", "skcli10,dhcp"))
bad("nat --inside IF,dhcp", with_opt(NAT_DHCP, "--inside", "skcli11,dhcp"))
bad("nat --outside IF,dhcp,HOSTCIDR", with_opt(NAT_DHCP, "--outside", "skcli10,dhcp,10.9.0.1/24"))
bad("nat --outside IF,DHCP", with_opt(NAT_DHCP, "--outside", "skcli10,DHCP"))
bad("nat --outside IF,dhcp with --gateway", NAT_DHCP + ["--gateway", "203.0.113.1"])
for v in ["", "bogus", "rfc2136:10.99.0.1,example.test,h.example.test,/nonexistent/key",
          "rfc2136:10.99.0.1,example.test", "rfc2136:host,example.test,h.example.test,/dev/null",
          "rfc2136:10.99.0.1,example.test,h.other.test,/dev/null",
          "dyndns2:http://10.99.0.1,h.test,nopassword", "dyndns2:ftp://10.99.0.1,h.test,a:b",
          "dyndns2:http://10.99.0.1,h.test,@/nonexistent/creds", "dyndns2:http://10.99.0.1,,a:b"]:
    bad(f"nat --ddns {v!r}", NAT_DHCP + ["--ddns", v])
bad("nat --forward into the router's own --ddns ports",
    NAT + ["--ddns", "dyndns2:http://10.99.0.1,h.test,a:b", "--forward", "udp:61500=10.0.1.5:1"])
for v in ["", "nope", "0.0.0.0", "10.99.0.256", "10.99.0.1:53"]:
    bad(f"nat --dns {v!r}", NAT + ["--dns", v])
    bad(f"serve --dns {v!r}", SERVE + ["--dns", v])
bad("at-modem --addr dhcp --host-addr", with_opt(AT_MODEM, "--addr", "dhcp"))

# --cores and --parallel (issue 16): whole numbers in range, and the options
# one stack per core cannot honour.
for v in NOT_NUMBERS + ["0", "65", "2x"]:
    bad(f"serve --cores {v!r}", SERVE + ["--cores", v])
    bad(f"connect --cores {v!r}", CONNECT + ["--cores", v, "--parallel", "64"])
for v in NOT_NUMBERS + ["0", "4097"]:
    bad(f"connect --parallel {v!r}", CONNECT + ["--parallel", v])
bad("serve --cores 2 --addr dhcp", without(with_opt(SERVE, "--addr", "dhcp"), "--host-addr")
    + ["--cores", "2"])
bad("serve --cores 2 --tap", SERVE + ["--cores", "2", "--tap"])
bad("serve --cores 2 --pcap", SERVE + ["--cores", "2", "--pcap", "w"])
bad("serve --cores 2 --trace", SERVE + ["--cores", "2", "--trace", "-"])
bad("serve --cores 2 --ddns", SERVE + ["--cores", "2", "--ddns",
                                       "dyndns2:http://10.99.0.1/u,h.example,u:p"])
bad("connect --parallel 2 --out", CONNECT + ["--parallel", "2", "--out", "w"])
bad("connect --parallel 2 --pcap", CONNECT + ["--parallel", "2", "--pcap", "w"])
bad("connect --cores 2 --tap", CONNECT + ["--cores", "2", "--parallel", "2", "--tap"])
bad("connect --cores 3 --parallel 2", CONNECT + ["--cores", "3", "--parallel", "2"])
for v in ["0", "65", "-1", "nan", "2x", ""]:
    bad(f"relay --cores {v!r}", RELAY + ["--cores", v])
bad("relay --cores 2 --pcap", RELAY + ["--cores", "2", "--pcap", "w"])


# --- good arguments -------------------------------------------------------------

GOOD = [  # (name, argv, files that must exist afterwards, text stdout must hold)
    ("demo --scenario 1", ["demo", "--scenario", "1"], [], "synack demo"),
    ("demo, extreme seed and width",
     ["demo", "--scenario", "2", "--seed", "18446744073709551615", "--width", "60"], [], ""),
    ("demo --seed 0 --width 400", ["demo", "--scenario", "1", "--seed", "0", "--width", "400"],
     [], ""),
    ("demo --pcap into sub/", ["demo", "--scenario", "3", "--pcap", "sub/d.pcap"],
     ["sub/d.pcap"], "Capture"),
    ("flood --seconds 1", ["flood", "--seconds", "1"], [], "cookies"),
    ("flood, edge rates and a plot",
     ["flood", "--seconds", "1", "--mode", "off", "--legit-rate", "0.1", "--attack-rate", "0",
      "--plot", "sub/f.svg", "--seed", "0"], ["sub/f.svg"], "plot:"),
    ("flood, decimal and exponent rates",
     ["flood", "--seconds", "2", "--mode", "auto", "--legit-rate", "1e1", "--attack-rate",
      "100.5", "--delay-ms", "0", "--deadline-ms", "1", "--syn-backlog", "1", "--backlog", "1"],
     [], "auto"),
    ("serve --help names --retries2", ["serve", "--help"], [], "--retries2"),
    ("serve --help names --max-connections", ["serve", "--help"], [], "--max-connections"),
    ("serve --help names --buffer-budget", ["serve", "--help"], [], "--buffer-budget BYTES"),
    ("connect --help names --buffer-budget", ["connect", "--help"], [], "--buffer-budget"),
    ("serve --help names the buffers line", ["serve", "--help"], [], "`buffers: ...` line"),
    ("serve --help names --cores", ["serve", "--help"], [], "--cores"),
    ("connect --help names --parallel", ["connect", "--help"], [], "--parallel"),
    ("serve --help names --tls-self-signed", ["serve", "--help"], [], "--tls-self-signed"),
    ("serve --help names --http-max-requests", ["serve", "--help"], [], "--http-max-requests"),
    ("connect --help names --retries2", ["connect", "--help"], [], "--retries2"),
    ("serve --help names --no-offload", ["serve", "--help"], [], "--no-offload"),
    ("connect --help names --stats", ["connect", "--help"], [], "--stats"),
    ("relay --help", ["relay", "--help"], [], "--tun"),
    ("at-modem --help names --retries2", ["at-modem", "--help"], [], "--retries2"),
    ("at-modem --help names --pty", ["at-modem", "--help"], [], "--pty"),
    ("udp-echo --help", ["udp-echo", "--help"], [], "ready ADDR:PORT"),
    ("resolve --help", ["resolve", "--help"], [], "--dns"),
    ("udp-send --help", ["udp-send", "--help"], [], "--wait-ms"),
    ("fetch --help names --max-per-host", ["fetch", "--help"], [], "--max-per-host"),
    ("nat --help names --conntrack-max", ["nat", "--help"], [], "--conntrack-max"),
    ("nat --help names --ddns", ["nat", "--help"], [], "--ddns"),
    ("nat --help names IF,dhcp", ["nat", "--help"], [], "IF,dhcp"),
]

# Good arguments that get as far as creating the device: run without
# permission (as nobody when we are root), they must fail there and only there.
REACH_DEVICE = [
    ("serve, every option good", SERVE + [
        "--backlog", "1", "--syn-backlog", "1000000", "--synack-retries", "0", "--syn-retries",
        "255", "--retries2", "1", "--rto-initial-ms", "1", "--syncookies", "on", "--keepalive",
        "7200000,75000,9", "--fin-timeout-ms", "86400000", "--msl-ms", "0", "--mss", "64",
        "--no-wscale", "--no-sack", "--no-timestamps", "--no-loss-probe", "--nodelay", "--cc",
        "reno", "--trace", "-", "--impair",
        "loss=2%,dup=1%,reorder=25%,delay=50ms,jitter=5ms,rate=100mbit,seed=18446744073709551615"]),
    ("serve --retries2 255 --app source:0", with_opt(with_opt(SERVE, "--app", "source:0"),
                                                     "--retries2", "255")),
    ("serve --tap --impair none", SERVE + ["--tap", "--impair", "none"]),
    ("serve, a 15-character name", with_opt(SERVE, "--tun", "abcdefghijklmno")),
    ("serve --app http, every HTTP option", with_opt(SERVE, "--app", "http:sub") + [
        "--tls-self-signed", "--http-idle-timeout-ms", "86400000", "--http-max-requests",
        "1000000000"]),
    ("serve --app http, edge values", with_opt(SERVE, "--app", "http") + [
        "--http-idle-timeout-ms", "1", "--http-max-requests", "1"]),
    ("connect --retries2 15", CONNECT + ["--retries2", "15", "--send", "input.txt"]),
    ("serve --max-connections 1", with_opt(SERVE, "--max-connections", "1")),
    ("serve --buffer-budget 0", with_opt(SERVE, "--buffer-budget", "0")),
    ("serve --buffer-budget 1T", with_opt(SERVE, "--buffer-budget", "1T")),
    ("serve --buffer-budget 1024G", with_opt(SERVE, "--buffer-budget", "1024G")),
    ("connect --buffer-budget 65536", CONNECT + ["--buffer-budget", "65536", "--send",
                                                 "input.txt"]),
    ("connect --buffer-budget 64K", CONNECT + ["--buffer-budget", "64K", "--send", "input.txt"]),
    ("connect --max-connections 16777216", CONNECT + ["--max-connections", "16777216", "--send",
                                                      "input.txt"]),
    ("relay, good", RELAY + ["--impair", "loss=1%,seed=3"]),
    ("at-modem, every option good", AT_MODEM + [
        "--dns", "10.99.5.1", "--wifi", "synack", "--wifi", "home:password1", "--trace", "t.log",
        "--nodelay", "--retries2", "3", "--keepalive", "1000,1000,3"]),
    ("at-modem --stdio", without(AT_MODEM, "--pty") + ["--stdio"]),
    ("udp-echo, good", UDP_ECHO + ["--pcap", "sub/u.pcap", "--tap"]),
    ("udp-send, good", with_opt(UDP_SEND, "--message", "m" * 1472) + ["--wait-ms", "600000"]),
    ("resolve, several names and a port", RESOLVE + ["two.test", "10.1.2.3", "--dns-port", "5353"]),
    ("fetch, every option good", FETCH + ["https://10.99.9.1:8443/a?b#c", "--max-per-host", "256",
                                          "--http2", "--page", "--insecure", "--svg", "sub/w.svg"]),
    ("fetch --http1.0 --max-per-host 1", FETCH + ["--http1.0", "--max-per-host", "1"]),
    ("nat, every option good", NAT + [
        "--forward", "udp:6000-6009=10.0.1.5:7000", "--gateway", "203.0.113.1",
        "--conntrack-max", "10000000", "--nat-pmp", "--impair", "loss=1%,seed=3"]),
    ("nat --tap, no forward", without(NAT, "--forward") + ["--tap", "--conntrack-max", "1"]),
    ("nat --tap --outside IF,dhcp --ddns dyndns2",
     NAT_DHCP + ["--nat-pmp", "--ddns", "dyndns2:http://10.99.0.1/nic/update,h.test,a:b"]),
]


def fresh_dir():
    d = tempfile.mkdtemp(prefix="synack-cli-")
    with open(os.path.join(d, "input.txt"), "w") as f:
        f.write("hi\n")
    os.mkdir(os.path.join(d, "sub"))
    os.chmod(d, 0o777)
    os.chmod(os.path.join(d, "sub"), 0o777)
    os.chmod(os.path.join(d, "input.txt"), 0o644)
    return d


def snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            out[os.path.relpath(p, d)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def run(argv, cwd, timeout, as_nobody=False):
    """Returns (rc, stdout, stderr, syscall trace text or None)."""
    cmd = [BIN] + argv
    if as_nobody and IS_ROOT:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"] + cmd
    trace_path = None
    if STRACE:
        fd, trace_path = tempfile.mkstemp(prefix="synack-cli-strace-")
        os.close(fd)
        cmd = ["strace", "-f", "-qq", "-e", "trace=open,openat,creat", "-o", trace_path] + cmd
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, text=True,
                           errors="replace")
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = None, "", ""
    trace = None
    if trace_path:
        with open(trace_path, errors="replace") as f:
            trace = f.read()
        os.unlink(trace_path)
    return rc, out, err, trace


def check_bad(name, argv):
    d = fresh_dir()
    try:
        before = snapshot(d)
        rc, out, err, trace = run(argv, d, timeout=5)
        problems = []
        lines = err.splitlines()
        if rc is None:
            problems.append("still running after 5 s")
        elif rc != 2:
            problems.append(f"exit status {rc}")
        if len(lines) != 1 or not lines[0].strip():
            problems.append(f"{len(lines)} lines on stderr")
        if out:
            problems.append(f"{len(out)} bytes on stdout")
        if snapshot(d) != before:
            problems.append("files changed: " + ", ".join(sorted(set(snapshot(d)) ^ set(before))))
        if trace is not None:
            if "/dev/net/tun" in trace:
                problems.append("opened /dev/net/tun")
            if "O_CREAT" in trace or "O_TRUNC" in trace:
                problems.append("opened a file for writing")
        return problems, err.strip()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_good(name, argv, files, text):
    d = fresh_dir()
    try:
        rc, out, err, _ = run(argv, d, timeout=60)
        problems = []
        if rc != 0:
            problems.append(f"exit status {rc}: {err.strip()[:200]}")
        for f in files:
            p = os.path.join(d, f)
            if not os.path.isfile(p) or os.path.getsize(p) == 0:
                problems.append(f"{f} not written")
        if text and text not in out:
            problems.append(f"stdout lacks {text!r}")
        return problems, ""
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_reaches_device(name, argv):
    d = fresh_dir()
    try:
        rc, out, err, trace = run(argv, d, timeout=10, as_nobody=True)
        problems = []
        lines = err.splitlines()
        if rc not in (1, 2) or len(lines) != 1:
            problems.append(f"exit status {rc}, {len(lines)} stderr lines: {err.strip()[:200]}")
        elif "cannot create TUN device" not in lines[0] and "cannot create TAP device" not in lines[0]:
            problems.append(f"failed before the device: {lines[0]}")
        elif rc != 2 and "permission" in lines[0]:
            problems.append(f"missing permission is exit status {rc}, not 2")
        if trace is not None and "/dev/net/tun" not in trace:
            problems.append("never opened /dev/net/tun")
        if out:
            problems.append(f"{len(out)} bytes on stdout")
        return problems, err.strip()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if not os.access(BIN, os.X_OK):
        print(f"FAIL: no synack binary at {BIN}")
        return 1
    jobs = ([("bad", n, (n, a)) for n, a in CASES] +
            [("good", g[0], g) for g in GOOD] +
            [("device", n, (n, a)) for n, a in REACH_DEVICE])
    funcs = {"bad": check_bad, "good": check_good, "device": check_reaches_device}
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [(kind, name, pool.submit(funcs[kind], *args)) for kind, name, args in jobs]
        for kind, name, fut in futures:
            problems, detail = fut.result()
            if problems:
                failed += 1
                print(f"FAIL [{kind}] {name}: {'; '.join(problems)}"
                      + (f" | stderr: {detail[:300]}" if detail else ""))
            elif VERBOSE:
                print(f"PASS [{kind}] {name}" + (f": {detail}" if detail else ""))
    total = len(jobs)
    print(f"{total - failed} passed, {failed} failed ({len(CASES)} bad-argument cases, "
          f"{len(GOOD)} good, {len(REACH_DEVICE)} reaching the device; "
          f"strace {'on' if STRACE else 'not available: /dev/net/tun not watched'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
