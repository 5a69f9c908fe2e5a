#!/usr/bin/python3
"""HTTP requests per second over TUN, beside nginx on Linux over veth (a benchmark, not a test).

    bench/http_tun.py SYNACK_BIN [--seconds N] [--connections N]      (as root)

In one run, inside private network namespaces it creates and deletes, the
same 1 KiB file is served by
  1. `synack serve --app http:DIR` on a TUN (HTTP/1.1 and h2c on one port);
     and a second serve with TLS (h2 by ALPN) on another TUN;
  2. nginx (nginx-light, one worker) over a veth pair with MTU 1500
     (HTTP/1.1 on 8080, h2c on 8081, h2 over TLS on 8443).
Each server is pinned to the last CPU and the load generators to the others:
wrk (HTTP/1.1 keep-alive, --latency for p99) and h2load (h2c, 10 streams per
connection). Prints requests/s and latency per case and the ratios
synack/nginx. Only addresses inside the namespaces are used.
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time  # noqa: E401

PID = os.getpid()
NS_CLIENT = f"skhb-c-{PID}"   # wrk and h2load; synack's TUN kernel side
NS_NGINX = f"skhb-n-{PID}"    # nginx behind a veth pair
SYNACK = "10.95.0.2"
SYNACK_TLS = "10.97.0.2"
NGINX = "10.96.0.2"

NGINX_CONF = """
daemon off;
user root root;
worker_processes 1;
worker_cpu_affinity {mask};
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ text/plain txt; }}
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  keepalive_requests 1000000;  # as synack serve --http-max-requests below
  server {{ listen {a}:8080; root {d}/site; }}
  server {{ listen {a}:8081 http2; root {d}/site; }}
  server {{ listen {a}:8443 ssl http2; root {d}/site;
           ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem; }}
}}
"""


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def wait_line(p, prefix, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline().decode()
        if line.startswith(prefix):
            return
        if not line and p.poll() is not None:
            break
    raise RuntimeError(f"no '{prefix}' from {p.args[0]}: {p.stderr.read().decode()[-300:]}")


def wait_port(ns, addr, port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null",
                            "--max-time", "1", f"http://{addr}:{port}/f.txt"])
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{addr}:{port} does not answer")


def wrk(cpus, addr, port, secs, conns):
    out = sh("taskset", "-c", cpus, "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency",
             f"http://{addr}:{port}/f.txt", ns=NS_CLIENT)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return rps, float(p99.group(1)) * scale, errors.group(0) if errors else ""


def h2load(cpus, addr, port, secs, conns, scheme="http"):
    out = sh("taskset", "-c", cpus, "h2load", f"-c{conns}", "-m10", f"-D{secs}",
             f"{scheme}://{addr}:{port}/f.txt", ns=NS_CLIENT)
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[mean.group(2)]
    ok = re.search(r"requests: .* (\d+) succeeded, (\d+) failed", out)
    return rps, float(mean.group(1)) * scale, f"{ok.group(2)} failed" if ok and ok.group(2) != "0" else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    a = ap.parse_args()
    for tool in ("wrk", "h2load", "/usr/sbin/nginx", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"http_tun: {tool} is missing (scripts/install-deps.sh installs it)")
    ncpu = os.cpu_count() or 1
    server_cpu = str(ncpu - 1)
    client_cpus = ",".join(str(c) for c in range(ncpu - 1)) or "0"
    d = tempfile.mkdtemp(prefix="skhb-")
    os.makedirs(f"{d}/site")
    os.makedirs(f"{d}/tmp")
    with open(f"{d}/site/f.txt", "wb") as f:
        f.write(bytes((i * 7 + 13) % 95 + 32 for i in range(1024)))
    # One certificate for both servers: the same ECDSA P-256 handshake cost.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=bench",
                    "-keyout", f"{d}/key.pem", "-out", f"{d}/cert.pem"], check=True,
                   capture_output=True)
    procs = []
    sh("ip", "netns", "add", NS_CLIENT)
    sh("ip", "netns", "add", NS_NGINX)
    try:
        sh("ip", "link", "set", "lo", "up", ns=NS_CLIENT)
        sh("ip", "link", "set", "lo", "up", ns=NS_NGINX)
        # 1. synack serve over TUN.
        p = subprocess.Popen(["ip", "netns", "exec", NS_CLIENT, "taskset", "-c", server_cpu, a.bin,
                              "serve", "--tun", "skhb0", "--addr", f"{SYNACK}/24", "--host-addr",
                              "10.95.0.1/24", "--port", "80", "--app", f"http:{d}/site",
                              "--http-max-requests", "1000000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        wait_line(p, "ready")
        wait_port(NS_CLIENT, SYNACK, 80)
        # 1b. HTTPS (h2 by ALPN) is a second serve on its own TUN.
        p = subprocess.Popen(["ip", "netns", "exec", NS_CLIENT, "taskset", "-c", server_cpu, a.bin,
                              "serve", "--tun", "skhb1", "--addr", f"{SYNACK_TLS}/24",
                              "--host-addr", "10.97.0.1/24", "--port", "443", "--app",
                              f"http:{d}/site", "--http-max-requests", "1000000",
                              "--tls-cert", f"{d}/cert.pem", "--tls-key", f"{d}/key.pem"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        wait_line(p, "ready")
        # 2. nginx over veth.
        sh("ip", "link", "add", "hbA", "netns", NS_CLIENT, "type", "veth", "peer", "name", "hbB",
           "netns", NS_NGINX)
        sh("ip", "addr", "add", "10.96.0.1/24", "dev", "hbA", ns=NS_CLIENT)
        sh("ip", "addr", "add", f"{NGINX}/24", "dev", "hbB", ns=NS_NGINX)
        sh("ip", "link", "set", "hbA", "mtu", "1500", "up", ns=NS_CLIENT)
        sh("ip", "link", "set", "hbB", "mtu", "1500", "up", ns=NS_NGINX)
        with open(f"{d}/nginx.conf", "w") as f:
            f.write(NGINX_CONF.format(d=d, a=NGINX, mask=format(1 << (ncpu - 1), "b")))
        n = subprocess.Popen(["ip", "netns", "exec", NS_NGINX, "/usr/sbin/nginx", "-c",
                              f"{d}/nginx.conf", "-p", d], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        procs.append(n)
        wait_port(NS_CLIENT, NGINX, 8080)

        s, c = a.seconds, a.connections
        rows = [
            ("HTTP/1.1 keep-alive (wrk)", "p99", wrk(client_cpus, SYNACK, 80, s, c),
             wrk(client_cpus, NGINX, 8080, s, c)),
            ("h2c, 10 streams/conn (h2load)", "mean", h2load(client_cpus, SYNACK, 80, s, c // 5 or 1),
             h2load(client_cpus, NGINX, 8081, s, c // 5 or 1)),
            ("h2 over TLS, 10 streams (h2load)", "mean",
             h2load(client_cpus, SYNACK_TLS, 443, s, c // 5 or 1, "https"),
             h2load(client_cpus, NGINX, 8443, s, c // 5 or 1, "https")),
        ]
        print(f"1 KiB file, {s} s per case, server pinned to CPU {server_cpu}, "
              f"clients on {client_cpus}; wrk -c{c}, h2load -c{c // 5 or 1} -m10")
        for name, lat, (srps, slat, serr), (nrps, nlat, nerr) in rows:
            print(f"{name:32} synack {srps:10.0f} req/s {lat} {slat:7.2f} ms {serr}")
            print(f"{'':32} nginx  {nrps:10.0f} req/s {lat} {nlat:7.2f} ms {nerr}")
            print(f"{'':32} ratio synack/nginx {srps / nrps:.3f}")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        sh("ip", "netns", "del", NS_CLIENT, check=False)
        sh("ip", "netns", "del", NS_NGINX, check=False)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("http_tun: needs root (network namespaces, TUN)")
    main()
