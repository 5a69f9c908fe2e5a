#!/usr/bin/python3
"""`synack serve --cores 1` against `--cores 2` over one multi-queue TUN (a
benchmark, not a test).

    bench/tun_cores.py SYNACK_BIN [--runs 3] [--mib 2048] [--seconds 3]   (as root)

In one run, inside a private network namespace it creates and deletes, for
--cores 1 and --cores 2 alternately, --runs times each:
  bulk  8 parallel Linux connections -> `serve --app discard`, --mib MiB in
        all (split evenly); aggregate Gbit/s from the first connect to the
        last close;
  cps   short connections -> `serve --app echo`: connect, 64 bytes each way,
        close, from 4 client processes for --seconds; connections per second.
Prints the medians and the ratios cores 2 / cores 1. The kernel's clients
need CPU too: on a 2-CPU machine both sides share the same two CPUs.
"""
import argparse, os, socket, statistics, subprocess, sys, threading, time  # noqa: E401

NS = f"skcores-{os.getpid()}"  # one at a time, made afresh for every trial
ADDR, HOST = "10.94.0.2", "10.94.0.1"
CONNS, CLIENTS = 8, 4


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def start_serve(binary, cores, app, port):
    p = subprocess.Popen(["ip", "netns", "exec", NS, binary, "serve", "--tun", "skb0", "--addr",
                          f"{ADDR}/24", "--host-addr", f"{HOST}/24", "--port", str(port), "--app",
                          app, "--cores", str(cores)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if line != f"ready {ADDR}:{port}":
        p.kill()
        raise RuntimeError(f"serve --cores {cores}: {line!r} {p.stderr.read()[-300:]}")
    return p


def stop_serve(p):
    p.terminate()
    _, err = p.communicate(timeout=15)
    if p.returncode != 0:
        raise RuntimeError(f"serve exited {p.returncode}: {err[-300:]}")


# ----- clients: run inside the namespace as `tun_cores.py --client KIND ...`
def client_bulk(port, total):
    each = total // CONNS
    buf = bytes(1 << 20)
    socks = [socket.create_connection((ADDR, port), timeout=30) for _ in range(CONNS)]

    def push(s):
        left = each
        while left > 0:
            left -= s.send(buf[:min(left, len(buf))])
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        s.close()
    t0 = time.monotonic()
    ts = [threading.Thread(target=push, args=(s,)) for s in socks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(each * CONNS * 8 / (time.monotonic() - t0) / 1e9)


def client_cps(port, seconds):
    msg = b"x" * 64
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        s = socket.create_connection((ADDR, port), timeout=10)
        s.sendall(msg)
        got = 0
        while got < 64:
            b = s.recv(64 - got)
            if not b:
                raise RuntimeError("echo closed early")
            got += len(b)
        s.close()
        n += 1
    print(n / seconds)


def run_client(kind, *args):
    r = subprocess.run(["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__),
                        "--client", kind] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"client {kind}: {r.stderr[-300:]}")
    return float(r.stdout.strip())


def bulk(binary, cores, total):
    p = start_serve(binary, cores, "discard", 5001)
    try:
        return run_client("bulk", 5001, total)
    finally:
        stop_serve(p)


def cps(binary, cores, seconds):
    p = start_serve(binary, cores, "echo", 5002)
    try:
        procs = [subprocess.Popen(["ip", "netns", "exec", NS, sys.executable,
                                   os.path.abspath(__file__), "--client", "cps", "5002",
                                   str(seconds)], stdout=subprocess.PIPE, text=True)
                 for _ in range(CLIENTS)]
        rates = []
        for c in procs:
            out, _ = c.communicate(timeout=seconds + 60)
            if c.returncode != 0:
                raise RuntimeError("cps client failed")
            rates.append(float(out.strip()))
        return sum(rates)
    finally:
        stop_serve(p)


def fresh_ns(fn, *args):
    """fn(*args) in a new namespace: the kernel client's TIME-WAIT entries
    from one trial (tens of thousands) must not slow the next one's connect()."""
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "link", "set", "lo", "up", ns=NS)
        sh("sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000", ns=NS)
        return fn(*args)
    finally:
        sh("ip", "netns", "del", NS, check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=2048, help="bulk: MiB over all 8 connections")
    ap.add_argument("--seconds", type=float, default=3.0, help="cps: seconds per trial")
    a = ap.parse_args()
    res = {("bulk", c): [] for c in (1, 2)} | {("cps", c): [] for c in (1, 2)}
    for _ in range(a.runs):
        for c in (1, 2):
            res[("bulk", c)].append(fresh_ns(bulk, a.bin, c, a.mib << 20))
            res[("cps", c)].append(fresh_ns(cps, a.bin, c, a.seconds))
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"nproc {os.cpu_count()}, median of {a.runs} runs; clients run on the same CPUs")
    for c in (1, 2):
        print(f"--cores {c}: bulk {med[('bulk', c)]:6.2f} Gbit/s (8 connections, "
              f"{a.mib} MiB)  cps {med[('cps', c)]:8.0f} connections/s "
              f"({CLIENTS} clients, 64 B each way)   runs: bulk "
              f"{', '.join(f'{x:.2f}' for x in res[('bulk', c)])}; cps "
              f"{', '.join(f'{x:.0f}' for x in res[('cps', c)])}")
    print(f"ratio cores 2 / cores 1: bulk {med[('bulk', 2)] / med[('bulk', 1)]:.2f}x, "
          f"cps {med[('cps', 2)] / med[('cps', 1)]:.2f}x")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--client":
        kind, args = sys.argv[2], sys.argv[3:]
        if kind == "bulk":
            client_bulk(int(args[0]), int(args[1]))
        else:
            client_cps(int(args[0]), float(args[1]))
        sys.exit(0)
    if os.geteuid() != 0:
        sys.exit("tun_cores: needs root (network namespaces, TUN)")
    main()
