#!/usr/bin/python3
"""Bulk throughput over TUN, beside the Linux kernel over a veth pair (a benchmark, not a test).

    bench/tun_throughput.py SYNACK_BIN [--mib N]      (as root)

In one run, inside private network namespaces it creates and deletes:
  1. a Linux sender -> `synack serve --app discard` over TUN;
  2. `synack connect --send FILE` -> a Linux receiver over TUN;
  3. Linux -> Linux over a veth pair with MTU 1500.
Each with virtio-net offloads (the default) and with --no-offload, --runs
times (3); prints the median Gbit/s, the ratios synack/Linux, and segments per
syscall from synack's --stats line. Only addresses inside the namespaces are
used.
"""
import argparse, ctypes, ctypes.util, os, socket, statistics, subprocess, sys, tempfile, threading, time  # noqa: E401,E501

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
CLONE_NEWNET = 0x40000000

NS = f"sktput-{os.getpid()}"
NS2 = f"sktput2-{os.getpid()}"


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def in_ns(ns, fn, *args):
    """Runs fn in a thread whose network namespace is `ns`; returns its result."""
    out = {}

    def run():
        try:
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            if LIBC.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            os.close(fd)
            out["v"] = fn(*args)
        except Exception as e:  # noqa: BLE001 - re-raised in the caller
            out["e"] = e
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in out:
        raise out["e"]
    return out["v"]


def send_bytes(addr, port, total):
    """Connects, sends `total` zero bytes, half-closes, waits for the peer's close; seconds."""
    buf = bytes(1 << 20)
    s = socket.create_connection((addr, port), timeout=30)
    t0 = time.monotonic()
    left = total
    while left > 0:
        n = s.send(buf[:min(left, len(buf))])
        left -= n
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    dt = time.monotonic() - t0
    s.close()
    return dt


def discard_server(port, ready):
    srv = socket.create_server(("0.0.0.0", port))
    ready.set()
    c, _ = srv.accept()
    t0 = time.monotonic()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        n += len(b)
    dt = time.monotonic() - t0
    c.close()
    srv.close()
    return n, dt


def wait_ready(p, want, timeout=10):
    deadline = time.time() + timeout
    line = b""
    while time.time() < deadline:
        line = p.stdout.readline()
        if line.decode().strip() == want:
            return
        if p.poll() is not None:
            break
    raise RuntimeError(f"no '{want}' from synack (got {line!r}): {p.stderr.read().decode()[-300:]}")


def gbps(nbytes, secs):
    return nbytes * 8 / secs / 1e9


def device_line(text):
    """The `device ...` line --stats prints, as a dict of its counters."""
    for line in text.splitlines():
        if line.startswith("device "):
            words = line.replace(";", " ").replace("(", " ").replace(")", " ").split()
            out = {}
            side = ""
            for i, w in enumerate(words):
                if w in ("rx", "tx"):
                    side = w
                elif i > 0 and w[0].isalpha() and words[i - 1].replace(".", "").isdigit():
                    out[f"{side}_{w}"] = float(words[i - 1])
            return out
    return {}


def trial(binary, total, offload, run_id):
    """One run of the three transfers; returns (g1, g2, g3, serve stats, connect stats)."""
    ns, ns2 = f"{NS}-{run_id}", f"{NS2}-{run_id}"
    extra = [] if offload else ["--no-offload"]
    sh("ip", "netns", "add", ns)
    sh("ip", "netns", "add", ns2)
    procs = []
    try:
        sh("ip", "link", "set", "lo", "up", ns=ns)
        # 1. Linux sender -> synack serve (discard).
        p = subprocess.Popen(["ip", "netns", "exec", ns, binary, "serve", "--tun", "tp0", "--addr",
                              "10.91.0.2/24", "--host-addr", "10.91.0.1/24", "--port", "5001",
                              "--app", "discard", "--stats"] + extra,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        wait_ready(p, "ready 10.91.0.2:5001")
        t1 = in_ns(ns, send_bytes, "10.91.0.2", 5001, total)
        p.terminate()
        _, err = p.communicate(timeout=10)
        serve_stats = device_line(err.decode())
        # 2. synack connect -> Linux receiver.
        ready = threading.Event()
        res = {}

        def recv_side():
            res["n"] = in_ns(ns, discard_server, 5002, ready)
        th = threading.Thread(target=recv_side)
        th.start()
        ready.wait(10)
        with tempfile.NamedTemporaryFile() as f:
            f.truncate(total)
            t0 = time.monotonic()
            r = subprocess.run(["ip", "netns", "exec", ns, binary, "connect", "--tun", "tp1",
                                "--addr", "10.92.0.2/24", "--host-addr", "10.92.0.1/24", "--to",
                                "10.92.0.1:5002", "--send", f.name, "--shutdown-after-send",
                                "--out", "/dev/null", "--stats"] + extra,
                               capture_output=True, text=True, timeout=600)
            t2 = time.monotonic() - t0
        th.join(60)
        got, t2_conn = res.get("n", (None, None))
        if r.returncode != 0 or got != total:
            raise RuntimeError(f"synack connect: rc {r.returncode}, {got} bytes: {r.stderr}")
        connect_stats = device_line(r.stderr)
        # 3. Linux -> Linux over veth, MTU 1500.
        sh("ip", "link", "add", "vA", "netns", ns, "type", "veth", "peer", "name", "vB",
           "netns", ns2)
        sh("ip", "addr", "add", "10.93.0.1/24", "dev", "vA", ns=ns)
        sh("ip", "addr", "add", "10.93.0.2/24", "dev", "vB", ns=ns2)
        for n, dev in ((ns, "vA"), (ns2, "vB")):
            sh("ip", "link", "set", dev, "mtu", "1500", "up", ns=n)
            sh("ip", "link", "set", "lo", "up", ns=n)
        ready = threading.Event()
        th = threading.Thread(
            target=lambda: res.__setitem__("v", in_ns(ns2, discard_server, 5003, ready)))
        th.start()
        ready.wait(10)
        t3 = in_ns(ns, send_bytes, "10.93.0.2", 5003, total)
        th.join(60)
        return (gbps(total, t1), gbps(total, t2_conn), gbps(total, t3), serve_stats, connect_stats,
                gbps(total, t2))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "netns", "del", ns2, check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3, help="trials per mode; medians are printed")
    a = ap.parse_args()
    total = a.mib << 20
    print(f"bytes per transfer: {total} ({a.mib} MiB), median of {a.runs} runs, MTU 1500")
    run_id = 0
    for offload in (True, False):
        rows = []
        for _ in range(a.runs):
            rows.append(trial(a.bin, total, offload, run_id))
            run_id += 1
        med = lambda i: statistics.median(r[i] for r in rows)  # noqa: E731
        g1, g2, g3, g2_proc = med(0), med(1), med(2), med(5)
        # Segments per syscall from the median run of each direction.
        srv = sorted(rows, key=lambda r: r[0])[len(rows) // 2][3]
        con = sorted(rows, key=lambda r: r[1])[len(rows) // 2][4]
        mode = "offload (default)" if offload else "--no-offload"
        print(f"== {mode}")
        print(f"linux -> synack serve (TUN):     {g1:6.3f} Gbit/s  "
              f"({srv.get('rx_segments/read', 0):.1f} segments/read, "
              f"{int(srv.get('rx_gso_frames', 0))} GSO frames received)")
        print(f"synack connect -> linux (TUN):   {g2:6.3f} Gbit/s  "
              f"({con.get('tx_segments/write', 0):.1f} segments/write, "
              f"{int(con.get('tx_gso_frames', 0))} GSO frames sent; from the kernel's accept to "
              f"EOF; {g2_proc:.3f} Gbit/s counting process start-up)")
        print(f"linux -> linux (veth, MTU 1500): {g3:6.3f} Gbit/s")
        print(f"ratio linux->synack / linux->linux: {g1 / g3:.3f}")
        print(f"ratio synack->linux / linux->linux: {g2 / g3:.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("tun_throughput: needs root (network namespaces, TUN)")
    main()
