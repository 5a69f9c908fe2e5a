#!/usr/bin/env bash
# SYNs handled per second on one core: synack in memory (bench_syn_flood,
# cookie path and queue path) beside the Linux kernel over a veth pair
# (linux_syn_flood sending spoofed SYNs into a listener namespace with
# net.ipv4.tcp_syncookies=2, then 0), pinned to the same CPU, in one run.
# Prints
#   synack cookie path SYN/s: ...     Linux cookie path SYN/s: ...
#   synack queue path SYN/s: ...      Linux queue path SYN/s: ...
#   ratio synack/Linux: cookie ..., queue ...
# synack's rate is Google Benchmark's items_per_second (per CPU-second).
# Linux's is SYN-ACKs sent (the listener namespace's Tcp OutSegs) per second
# of the sender's run: sending, the veth hop, the kernel's SYN handling and
# the SYN-ACK's trip back all run on that one CPU (veth delivers in the
# sender's softirq), so it is the kernel's whole path, sender included.
# Needs root (namespaces, a raw socket). Everything lives in two namespaces
# created and deleted here; spoofed sources are 10.99.0.0/16 inside them.
#
# usage: bench/run_syn_flood.sh [--quick] [--seconds S] [--cpu N] BUILD_DIR
set -euo pipefail

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

seconds=2
min_time=1
cpu=""
build=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) seconds=0.5; min_time=0.2 ;;
    --seconds) [[ $# -ge 2 ]] || usage; seconds="$2"; shift ;;
    --cpu) [[ $# -ge 2 ]] || usage; cpu="$2"; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) build="$1" ;;
  esac
  shift
done
[[ -n "$build" ]] || usage
for b in bench_syn_flood linux_syn_flood; do
  [[ -x "$build/$b" ]] || { echo "missing $build/$b (ninja -C $build $b)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "root is needed (namespaces, raw socket)" >&2; exit 1; }
[[ -n "$cpu" ]] || cpu=$(($(nproc) - 1))
pin=(taskset -c "$cpu")

out=$(mktemp -d)
SRC="sksf-src-$$"
DST="sksf-dst-$$"
listener=""
cleanup() {
  [[ -n "$listener" ]] && kill "$listener" 2>/dev/null || true
  ip netns del "$SRC" 2>/dev/null || true
  ip netns del "$DST" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

# ---- synack, in memory
"${pin[@]}" "$build/bench_syn_flood" --benchmark_min_time="$min_time" \
  --benchmark_out_format=json --benchmark_out="$out/synack.json" >&2

# ---- Linux, over veth
ip netns add "$SRC"
ip netns add "$DST"
ip link add sksf0 netns "$SRC" type veth peer name sksf1 netns "$DST"
ip -n "$SRC" addr add 10.98.0.1/24 dev sksf0
ip -n "$DST" addr add 10.98.0.2/24 dev sksf1
for ns in "$SRC" "$DST"; do
  ip -n "$ns" link set lo up
done
ip -n "$SRC" link set sksf0 up
ip -n "$DST" link set sksf1 up
# SYN-ACKs to the spoofed sources go back to SRC, which owns none of them.
ip -n "$DST" route add default via 10.98.0.1
ip netns exec "$DST" sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65536

start_listener() {
  ip netns exec "$DST" python3 -c '
import socket, time
s = socket.socket()
s.bind(("10.98.0.2", 80))
s.listen(65535)
print("ready", flush=True)
time.sleep(3600)' > "$out/listener.out" &
  listener=$!
  for _ in $(seq 100); do grep -q ready "$out/listener.out" 2>/dev/null && return; sleep 0.05; done
  echo "the Linux listener did not start" >&2
  exit 1
}
stop_listener() { kill "$listener" 2>/dev/null || true; wait "$listener" 2>/dev/null || true; listener=""; }

out_segs() {
  ip netns exec "$DST" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "OutSegs") c = i; h = 1 } else print $c }' /proc/net/snmp
}

# linux_phase SYNCOOKIES SECONDS MAX_SYNS -> prints "synacks seconds"
linux_phase() {
  ip netns exec "$DST" sysctl -q -w "net.ipv4.tcp_syncookies=$1"
  start_listener
  local before after line took
  before=$(out_segs)
  line=$(ip netns exec "$SRC" "${pin[@]}" "$build/linux_syn_flood" 10.98.0.2 80 "$2" "$3")
  sleep 0.3
  after=$(out_segs)
  stop_listener
  took=$(awk '{ print $4 }' <<<"$line")
  echo "Linux tcp_syncookies=$1: $line, SYN-ACKs $((after - before))" >&2
  echo "$((after - before)) $took"
}
read -r l_cookie_n l_cookie_s < <(linux_phase 2 "$seconds" 100000000)
# The queue path: a fresh listener, fewer SYNs than its queue holds (with
# cookies off Linux refuses unproven peers once 3/4 of tcp_max_syn_backlog
# is used).
read -r l_queue_n l_queue_s < <(linux_phase 0 "$seconds" 40000)

python3 - "$out/synack.json" "$l_cookie_n" "$l_cookie_s" "$l_queue_n" "$l_queue_s" "$cpu" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rate = {b["name"]: float(b["items_per_second"]) for b in doc["benchmarks"]
        if b.get("run_type", "iteration") == "iteration" and "items_per_second" in b}
s_cookie, s_queue = rate.get("synack/syn_flood/cookie"), rate.get("synack/syn_flood/queue")
l_cookie = float(sys.argv[2]) / float(sys.argv[3])
l_queue = float(sys.argv[4]) / float(sys.argv[5])
f = lambda x: "n/a" if x is None else f"{x:,.0f}"
print(f"CPU {sys.argv[6]}")
print(f"synack cookie path SYN/s: {f(s_cookie)}    Linux cookie path SYN/s: {f(l_cookie)}")
print(f"synack queue path SYN/s:  {f(s_queue)}    Linux queue path SYN/s:  {f(l_queue)}"
      f"  ({int(sys.argv[4])} SYNs)")
r = lambda a, b: "n/a" if a is None or not b else f"{a / b:.2f}"
print(f"ratio synack/Linux: cookie {r(s_cookie, l_cookie)}, queue {r(s_queue, l_queue)}")
PY
