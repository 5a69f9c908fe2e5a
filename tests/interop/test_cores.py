#!/usr/bin/python3
"""One stack per core (issue 16): `--cores 2` against the Linux kernel over a
multi-queue TUN whose queues an eBPF program steers.

    test_cores.py PATH_TO_SYNACK [-v]                               (as root)

  serve-echo      `serve --cores 2 --app echo`: 16 kernel connections at once,
                  each echoing 384 KiB byte for byte (SHA-256); SIGUSR1's
                  table, taken while they are open, must list ESTABLISHED
                  connections under both `core I` headers, and every core's
                  resets_sent and the listeners' rst_out must stay 0 (a
                  segment steered to a core that does not own its
                  connection would be answered with a RST); no RST may leave
                  synack on the wire either (AF_PACKET sniffer); SIGTERM
                  ends it with exit 0.
  connect-parallel `connect --cores 2 --parallel 8 --send FILE
                  --shutdown-after-send` to a kernel server that hashes each
                  connection's bytes, then idles 4 s (longer than tun.c's
                  3 s flow ageing) before answering and closing: every
                  connection's SHA-256 must match, both cores must carry
                  connections, every answer must arrive, exit 0.
  relay           `relay --cores 2` between this namespace and a second one:
                  8 kernel connections at once through it, 1 MiB each way
                  per connection byte for byte; both threads must have
                  forwarded packets (the queues' counters in /sys; the
                  client ports are chosen to hash to both queues), and
                  SIGTERM ends it with exit 0.
"""
import hashlib
import os
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

KiB = 1024
ECHO_SIZE = 384 * KiB
ECHO_CONNS = 16


def core_sections(text):
    """SIGUSR1's merged table split by `core I cpu C: ...` headers:
    {core: (header line, [lines])}."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"core (\d+) cpu \d+:", line)
        if m:
            cur = int(m.group(1))
            out[cur] = (line, [])
        elif cur is not None and not line.startswith("core ") and not line.startswith("device "):
            out[cur][1].append(line)
    return out


def resets(sections):
    """Per core: (resets_sent, listener rst_out)."""
    got = {}
    for core, (header, lines) in sections.items():
        sent = int(re.search(r"resets_sent (\d+)", header).group(1))
        rst_out = sum(int(x) for line in lines for x in re.findall(r"\brst_out:(\d+)", line))
        got[core] = (sent, rst_out)
    return got


def serve_echo():
    net, port = "10.93.1", 7
    p = L.serve("skcr0", f"{net}.2", f"{net}.1", port, "echo", "--cores", "2", "--stats",
                pcap=False, label="serve-cores-echo")
    sniff = L.Sniffer("skcr0")
    try:
        socks = [L.kernel_connect(f"{net}.2", port) for _ in range(ECHO_CONNS)]
        datas = [os.urandom(ECHO_SIZE) for _ in socks]

        def echo(i):
            s = socks[i]
            s.settimeout(30)
            got, h = 0, hashlib.sha256()
            sender = threading.Thread(target=s.sendall, args=(datas[i],))
            sender.start()
            while got < ECHO_SIZE:
                b = s.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                got += len(b)
            sender.join(30)
            return got, h.hexdigest() == hashlib.sha256(datas[i]).hexdigest()

        results, errors = L.run_threads([lambda i=i: echo(i) for i in range(ECHO_CONNS)], 120)
        bad = [f"#{i}: {e or r}" for i, (r, e) in enumerate(zip(results, errors))
               if e or r != (ECHO_SIZE, True)]
        if bad:
            raise Fail(f"echo failed on {len(bad)} connections: {bad[:4]}")
        # Still open: the table shows where each connection lives.
        p.connection_table()
        sections = core_sections(p.last_table_text)
        if sorted(sections) != [0, 1]:
            raise Fail(f"no `core 0` and `core 1` sections: {p.last_table_text[:400]!r}")
        per_core = {c: sum(1 for x in lines if x.startswith("ESTABLISHED"))
                    for c, (_, lines) in sections.items()}
        if sum(per_core.values()) != ECHO_CONNS or min(per_core.values()) == 0:
            raise Fail(f"ESTABLISHED per core {per_core}, expected {ECHO_CONNS} on both")
        for s in socks:
            s.close()
        time.sleep(0.5)
        p.connection_table()
        r = resets(core_sections(p.last_table_text))
        if any(a or b for a, b in r.values()):
            raise Fail(f"RSTs sent (resets_sent, rst_out) per core: {r}")
        L.stop_serve(p, "serve --cores 2")
        time.sleep(0.2)
        rst = [x for x in sniff.segments() if not x.out and "R" in x.flags]
        if rst:
            raise Fail(f"{len(rst)} RSTs from synack, first {rst[0]}")
        total = re.findall(r"^device skcr0: .*$", p.stderr(), re.M)
        if not total:
            raise Fail(f"no summed `device skcr0` line at exit with --stats{p.tail(3)}")
        return (f"{ECHO_CONNS} x {ECHO_SIZE // KiB} KiB echoed; ESTABLISHED per core {per_core}; "
                f"no RST")
    finally:
        sniff.close()


def connect_parallel():
    net, port, k = "10.93.2", 7200, 8
    path = L.ENV.path("cores-send.bin")
    want = L.random_file(path, 2 * L.MiB, seed=16)
    srv = socket.create_server(("0.0.0.0", port), backlog=64)
    srv.settimeout(10)
    got = {}

    def serve_one(conn, peer):
        conn.settimeout(30)
        h, n = hashlib.sha256(), 0
        while True:
            b = conn.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        # Idle past the flow table's 3 s ageing: only steering by port
        # brings the answer back to the right core.
        time.sleep(4)
        conn.sendall(b"done")
        conn.close()
        got[peer[1]] = (n, h.hexdigest())

    p = L.connect("skcr1", f"{net}.2", f"{net}.1", f"{net}.1:{port}", "--cores", "2",
                  "--parallel", str(k), "--send", path, "--shutdown-after-send", "--stats",
                  pcap=False, label="connect-cores-parallel")
    threads = []
    try:
        for _ in range(k):
            try:
                conn, peer = srv.accept()
            except socket.timeout:
                raise Fail(f"{len(threads)} of {k} connections arrived{p.tail()}") from None
            t = threading.Thread(target=serve_one, args=(conn, peer), daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(60)
    finally:
        srv.close()
    rc = p.wait(30)
    if rc != 0:
        raise Fail(f"synack connect: {L.status(rc)}: {p.stdout()[-300:]!r}{p.tail()}")
    wrong = {port_: v for port_, v in got.items() if v != (2 * L.MiB, want)}
    if len(got) != k or wrong:
        raise Fail(f"{len(got)} connections hashed, wrong: {wrong}")
    summary = p.stdout().strip().splitlines()[-1]
    if not summary.startswith(f"parallel {k} connections on 2 cores: {k} ok, 0 failed"):
        raise Fail(f"summary line: {summary[:300]!r}")
    if summary.count(" received 4 ok") != k:
        raise Fail(f"not every answer arrived: {summary[:400]!r}")
    cores = {int(c) for c in re.findall(r"#\d+ core (\d+)", summary)}
    if cores != {0, 1}:
        raise Fail(f"connections on cores {cores}: {summary[:300]!r}")
    ports = sorted(got)
    return f"{k} x 2 MiB, SHA-256 each; local ports {ports[0]}..{ports[-1]}; answers after 4 s idle"


NSB = f"sk-cores-b-{os.getpid()}"


def in_netns(ns, fn):
    """Runs fn() on the calling thread (only) moved into namespace `ns`."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if L.LIBC.setns(fd, L.CLONE_NEWNET) != 0:
            raise OSError(L.ctypes.get_errno(), "setns")
    finally:
        os.close(fd)
    return fn()


def queue_packets(dev):
    """Packets the kernel sent into each TX queue of `dev` (here, the packets
    each relay thread read): the mq qdisc's per-queue children, from tc."""
    out, parent = {}, None
    for line in L.sh("tc", "-s", "qdisc", "show", "dev", dev).splitlines():
        m = re.search(r"parent :([0-9a-f]+)", line)
        if m:
            parent = int(m.group(1), 16)
        m = re.search(r"Sent \d+ bytes (\d+) pkt", line)
        if m and parent is not None:
            out[parent - 1] = int(m.group(1))
            parent = None
    return out


def steering_queue(src_addr, src_port, dst_port, queues):
    """The queue relay's steering program (src/phy/tun_steering.cpp,
    steering_hash_queue) picks for a packet outside its port range."""
    k = (src_addr ^ ((dst_port << 16) | src_port)) & 0xFFFFFFFF
    return ((((k * 0x9E3779B1) & 0xFFFFFFFF) >> 16) * queues) >> 16


def split_ports(src, dst_port, k, queues=2, first=41000):
    """k client ports, k // queues of them hashed to each queue: with ports
    left to the kernel, all 8 flows land on one queue once in 128 runs."""
    addr = int.from_bytes(socket.inet_aton(src), "big")
    want = {q: k // queues for q in range(queues)}
    ports = []
    for sp in range(first, 65536):
        q = steering_queue(addr, sp, dst_port, queues)
        if want[q] > 0:
            want[q] -= 1
            ports.append(sp)
        if len(ports) == k:
            return ports
    raise Fail("no client ports to split across the queues")


def relay():
    a, b, net, port, k = "skcr2a", "skcr2b", "10.93.3", 7300, 8
    ports = split_ports(f"{net}.1", port, k)
    L.sh("ip", "netns", "add", NSB)
    p = None
    try:
        L.sh("ip", "-n", NSB, "link", "set", "lo", "up")
        p = L.Proc([L.ENV.bin, "relay", "--tun", a, "--tun", b, "--cores", "2"],
                   name="relay-cores")
        want = f"ready {a} {b}"
        L.wait_until(lambda: want in p.stdout_lines() or not p.running(), 5)
        if want not in p.stdout_lines():
            raise Fail(f"relay did not print {want!r}: {L.status(p.poll())}{p.tail()}")
        L.sh("ip", "link", "set", b, "netns", NSB)
        L.sh("ip", "addr", "add", f"{net}.1/24", "dev", a)
        L.sh("ip", "link", "set", a, "up")
        L.sh("ip", "-n", NSB, "addr", "add", f"{net}.2/24", "dev", b)
        L.sh("ip", "-n", NSB, "link", "set", b, "up")
        ready = threading.Event()
        datas = [os.urandom(L.MiB) for _ in range(k)]

        def server():
            srv = socket.create_server(("0.0.0.0", port), backlog=64)
            srv.settimeout(10)
            ready.set()
            conns = [srv.accept()[0] for _ in range(k)]
            srv.close()

            def echo(c):
                c.settimeout(30)
                while b := c.recv(1 << 16):
                    c.sendall(b)
                c.close()
            ts = [threading.Thread(target=echo, args=(c,)) for c in conns]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)

        def client(i):
            ready.wait(10)
            s = socket.socket()
            # A port of an earlier run may still be in TIME-WAIT.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((f"{net}.1", ports[i]))
            s.settimeout(10)
            s.connect((f"{net}.2", port))
            s.settimeout(30)
            sender = threading.Thread(target=lambda: (s.sendall(datas[i]),
                                                      s.shutdown(socket.SHUT_WR)))
            sender.start()
            got = bytearray()
            while b := s.recv(1 << 16):
                got += b
            sender.join(30)
            s.close()
            return got == datas[i]

        fns = [lambda: in_netns(NSB, server)] + [lambda i=i: client(i) for i in range(k)]
        results, errors = L.run_threads(fns, 90)
        bad = [f"#{i}: {e or r}" for i, (r, e) in enumerate(zip(results[1:], errors[1:]))
               if e or r is not True]
        if errors[0] or bad:
            raise Fail(f"server: {errors[0]}; clients: {bad[:4]}")
        # Both of A's queues carried the kernel's packets: both threads worked
        # (the client ports were chosen to hash to both).
        per_queue = queue_packets(a)
        if per_queue.get(0, 0) == 0 or per_queue.get(1, 0) == 0:
            raise Fail(f"packets per queue of {a}: {per_queue}")
        rc = p.stop()
        if rc != 0:
            raise Fail(f"relay: {L.status(rc)} after SIGTERM, expected 0{p.tail()}")
        return (f"{k} connections x 1 MiB each way through relay --cores 2; packets into "
                f"{a}'s queues {per_queue.get(0)}, {per_queue.get(1)}")
    finally:
        if p is not None and p.running():
            p.stop()
        L.sh("ip", "netns", "del", NSB, check=False)


CHECKS = [("serve-echo", serve_echo),
          ("connect-parallel", connect_parallel),
          ("relay", relay)]


if __name__ == "__main__":
    sys.exit(L.main("sk-cores", CHECKS))
