#!/usr/bin/python3
"""Forwarding through the synack home router beside Linux's own NAT (a benchmark, not a test).

    bench/nat_bench.py SYNACK_BIN [--blast BIN] [--seconds S] [--mib N]      (as root)

One topology, built in private network namespaces this script creates and
deletes, with the gateway in the middle either synack or Linux:

    client 198.51.100.2 -- veth -- Linux router (forwarding) 203.0.113.1
        -- gateway 203.0.113.2 | 10.0.1.1 -- server 10.0.1.201

  synack: `synack nat` with a TUN link on each side (--netns-outside/-inside),
          --forward tcp:3390=10.0.1.201:3389 --forward udp:5353=10.0.1.201:5353;
  Linux:  a namespace with two veths, ip_forward=1 and nftables
          (`dnat to 10.0.1.201:3389` / `:5353`, `oif masquerade`).

Measured in each: 64-byte UDP packets (IP length 64) per second forwarded
through the port forward (client -> server, DNAT) and through masquerade
(server -> client, SNAT) — a sendmmsg blaster (bench/nat_udp_blast.cpp)
offers more than either gateway carries, the receiver counts what arrives —
and one TCP connection's throughput each way. Prints both and the ratios
synack/Linux. On a shared 2-core machine the figures move from run to run.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tun_throughput as T  # noqa: E402  (sh, in_ns, send_bytes, discard_server)

PID = os.getpid()
NS = {k: f"sknat-{k}-{PID}" for k in ("c", "w", "l", "g")}
OUT, OUT_HOST, IN, SERVER, CLIENT = "203.0.113.2", "203.0.113.1", "10.0.1.1", "10.0.1.201", \
    "198.51.100.2"
IP_LEN = 64
PAYLOAD = IP_LEN - 28


def sh(*args, ns=None, check=True):
    return T.sh(*args, ns=NS[ns] if ns else None, check=check)


def setup_common():
    for k in ("c", "w", "l"):
        sh("ip", "netns", "add", NS[k])
        sh("ip", "link", "set", "lo", "up", ns=k)
        sh("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", ns=k, check=False)
    sh("ip", "link", "add", "bc0", "netns", NS["c"], "type", "veth", "peer", "name", "bw0",
       "netns", NS["w"])
    sh("ip", "addr", "add", f"{CLIENT}/24", "dev", "bc0", ns="c")
    sh("ip", "link", "set", "bc0", "up", ns="c")
    sh("ip", "route", "add", "default", "via", "198.51.100.1", ns="c")
    sh("ip", "addr", "add", "198.51.100.1/24", "dev", "bw0", ns="w")
    sh("ip", "link", "set", "bw0", "up", ns="w")
    sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", ns="w")


def teardown():
    for k in NS.values():
        subprocess.run(["ip", "netns", "del", k], capture_output=True)


def start_synack(binary):
    p = subprocess.Popen([binary, "nat", "--outside", f"bn0,{OUT}/24,{OUT_HOST}/24",
                          "--inside", f"bl0,{IN}/24,{SERVER}/24", "--netns-outside", NS["w"],
                          "--netns-inside", NS["l"], "--forward", f"tcp:3390={SERVER}:3389",
                          "--forward", f"udp:5353={SERVER}:5353"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    T.wait_ready(p, "ready")
    sh("ip", "route", "add", "default", "via", IN, ns="l")
    return p


def start_linux():
    sh("ip", "netns", "add", NS["g"])
    sh("ip", "link", "set", "lo", "up", ns="g")
    sh("ip", "link", "add", "bw1", "netns", NS["w"], "type", "veth", "peer", "name", "bg0",
       "netns", NS["g"])
    sh("ip", "link", "add", "bg1", "netns", NS["g"], "type", "veth", "peer", "name", "bl1",
       "netns", NS["l"])
    for ns, dev, addr in (("w", "bw1", OUT_HOST), ("g", "bg0", OUT), ("g", "bg1", IN),
                          ("l", "bl1", SERVER)):
        sh("ip", "addr", "add", f"{addr}/24", "dev", dev, ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
    sh("ip", "route", "add", "default", "via", IN, ns="l")
    sh("ip", "route", "add", "default", "via", OUT_HOST, ns="g")  # synack's --gateway
    sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", ns="g")
    rules = f"""
table ip nat {{
  chain prerouting {{
    type nat hook prerouting priority dstnat;
    iif "bg0" tcp dport 3390 dnat to {SERVER}:3389
    iif "bg0" udp dport 5353 dnat to {SERVER}:5353
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat;
    oif "bg0" masquerade
  }}
}}
"""
    subprocess.run(["ip", "netns", "exec", NS["g"], "nft", "-f", "-"], input=rules, text=True,
                   check=True)


def stop_linux():
    subprocess.run(["ip", "netns", "del", NS["g"]], capture_output=True)
    sh("ip", "link", "del", "bw1", ns="w", check=False)
    sh("ip", "link", "del", "bl1", ns="l", check=False)


def udp_pps(blast, rx_ns, rx_addr, port, tx_ns, tx_to, seconds, senders):
    rx = subprocess.Popen(["ip", "netns", "exec", NS[rx_ns], blast, "recv", rx_addr, str(port),
                           str(seconds + 2)], stdout=subprocess.PIPE, text=True)
    if rx.stdout.readline().strip() != "ready":
        raise RuntimeError("nat_udp_blast recv did not start")
    tx = [subprocess.Popen(["ip", "netns", "exec", NS[tx_ns], blast, "send", tx_to, str(port),
                            str(seconds), str(PAYLOAD)], stdout=subprocess.PIPE, text=True)
          for _ in range(senders)]
    sent = sum(int(p.communicate(timeout=seconds + 10)[0]) for p in tx)
    got, span = rx.communicate(timeout=seconds + 10)[0].split()
    got, span = int(got), float(span)
    return (got / span if span > 0 else 0.0), sent / seconds, got


def tcp_mbps(srv_ns, port, cli_ns, to, port_to, nbytes):
    ready = threading.Event()
    box = {}
    t = threading.Thread(target=lambda: box.setdefault(
        "n", T.in_ns(NS[srv_ns], T.discard_server, port, ready)), daemon=True)
    t.start()
    ready.wait(10)
    secs = T.in_ns(NS[cli_ns], T.send_bytes, to, port_to, nbytes)
    t.join(30)
    if box.get("n") != nbytes:
        raise RuntimeError(f"server got {box.get('n')} of {nbytes} bytes")
    return nbytes * 8 / secs / 1e6


def measure(blast, seconds, nbytes, senders):
    r = {}
    r["udp_dnat_pps"], r["udp_dnat_offered"], _ = udp_pps(blast, "l", SERVER, 5353, "c", OUT,
                                                          seconds, senders)
    r["udp_snat_pps"], r["udp_snat_offered"], _ = udp_pps(blast, "c", CLIENT, 9000, "l", CLIENT,
                                                          seconds, senders)
    r["tcp_dnat_mbps"] = tcp_mbps("l", 3389, "c", OUT, 3390, nbytes)
    r["tcp_snat_mbps"] = tcp_mbps("c", 9001, "l", CLIENT, 9001, nbytes)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("synack")
    ap.add_argument("--blast", help="nat_udp_blast (default: next to SYNACK_BIN)")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--mib", type=int, default=200)
    ap.add_argument("--senders", type=int, default=2, help="UDP blaster processes")
    a = ap.parse_args()
    blast = a.blast or os.path.join(os.path.dirname(os.path.abspath(a.synack)), "nat_udp_blast")
    if os.geteuid() != 0:
        print("nat_bench: needs root (namespaces, TUN devices)", file=sys.stderr)
        return 1
    for f in (a.synack, blast):
        if not os.access(f, os.X_OK):
            print(f"nat_bench: {f} is not an executable", file=sys.stderr)
            return 1
    nbytes = a.mib << 20
    try:
        setup_common()
        p = start_synack(a.synack)
        try:
            s = measure(blast, a.seconds, nbytes, a.senders)
        finally:
            p.terminate()
            p.wait(10)
        time.sleep(0.5)
        start_linux()
        k = measure(blast, a.seconds, nbytes, a.senders)
        stop_linux()
    finally:
        teardown()
    print(f"NAT forwarding, synack nat (TUN links) beside Linux nftables (veth links), "
          f"{a.seconds:g} s of {IP_LEN}-byte UDP and {a.mib} MiB of TCP each:")
    print(f"{'':34} {'synack':>12} {'Linux':>12} {'ratio':>7}")
    rows = [("UDP pps, port forward (DNAT)", "udp_dnat_pps", "{:,.0f}"),
            ("UDP pps, masquerade (SNAT)", "udp_snat_pps", "{:,.0f}"),
            ("TCP Mbit/s, port forward (DNAT)", "tcp_dnat_mbps", "{:,.0f}"),
            ("TCP Mbit/s, masquerade (SNAT)", "tcp_snat_mbps", "{:,.0f}")]
    for name, key, fmt in rows:
        ratio = s[key] / k[key] if k[key] else float("nan")
        print(f"{name:34} {fmt.format(s[key]):>12} {fmt.format(k[key]):>12} {ratio:7.2f}")
    print("(Over veth a sender's own system call carries each packet through the router and the")
    print(" NAT to the receiver, so Linux's UDP figure is bounded by what the senders offer; over")
    print(" TUN synack's loop does that work. Offered UDP:", end=" ")
    print(f"synack run {s['udp_dnat_offered']:,.0f} / {s['udp_snat_offered']:,.0f} "
          f"pps, Linux run {k['udp_dnat_offered']:,.0f} / {k['udp_snat_offered']:,.0f} pps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
