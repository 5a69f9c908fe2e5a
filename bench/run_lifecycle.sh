#!/usr/bin/env bash
# Runs bench_lifecycle (synack, two stacks in memory) and linux_lifecycle (the
# kernel over 127.0.0.1) RUNS times each, alternating, pinned to the same CPU,
# and prints the median of each benchmark's runs:
#   synack cycles/s: pair ..., pair_lo ..., simulator ...
#   Linux cycles/s: ...
#   ratio synack/Linux: pair ..., pair_lo ..., simulator ...
# followed by a few detail lines. "pair" wires the two stacks' devices
# straight together as a plain wire (MTU 1500, every checksum computed and
# checked); "pair_lo" is the same wire with loopback's capabilities
# (checksums trusted, 64 KiB segments), as the kernel's side of the
# comparison has; "simulator" runs them through
# phy::Simulation's links, event queue and fault injector (idle). Rates are
# Google Benchmark's items_per_second (per CPU-second of the benchmark
# process, which includes the kernel's syscall and loopback softirq work
# done on its behalf); real-time rates are in the details. Alternating the
# programs and taking medians keeps the machine's drift (20% and more on a
# shared VM) out of the ratios.
#
# usage: bench/run_lifecycle.sh [--quick] [--min-time SECONDS] [--runs N] [--cpu N]
#                               [--no-pin] BUILD_DIR [extra --benchmark_* flags...]
#   --quick           same as --min-time 0.05 --runs 1 (a quick check, noisy figures)
#   --min-time S      passed on as --benchmark_min_time=S
#   --runs N          runs of each program (default 3)
#   --cpu N           CPU to pin both programs to (default: the last one)
#   --no-pin          do not pin
# The benchmarks' own tables go to stderr; the summary to stdout.
set -euo pipefail

usage() {
  sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

min_time=""
runs=3
cpu=""
pin=1
build=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) min_time=0.05; runs=1 ;;
    --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage; runs="$2"; shift ;;
    --min-time) [[ $# -ge 2 ]] || usage; min_time="$2"; shift ;;
    --min-time=*) min_time="${1#*=}" ;;
    --benchmark_min_time=*) min_time="${1#*=}" ;;
    --cpu) [[ $# -ge 2 ]] || usage; cpu="$2"; shift ;;
    --no-pin) pin=0 ;;
    -h|--help) usage ;;
    --benchmark_*) extra+=("$1") ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) if [[ -z "$build" ]]; then build="$1"; else extra+=("$1"); fi ;;
  esac
  shift
done
[[ -n "$build" ]] || usage

synack_bin="$build/bench_lifecycle"
linux_bin="$build/linux_lifecycle"
for b in "$synack_bin" "$linux_bin"; do
  if [[ ! -x "$b" ]]; then
    echo "missing $b (build it: ninja -C $build bench_lifecycle linux_lifecycle)" >&2
    exit 1
  fi
done
command -v python3 >/dev/null || { echo "python3 is needed to read the results" >&2; exit 1; }

flags=(--benchmark_out_format=json)
[[ -n "$min_time" ]] && flags+=("--benchmark_min_time=$min_time")
flags+=("${extra[@]+"${extra[@]}"}")

runner=()
if [[ $pin -eq 1 ]] && command -v taskset >/dev/null; then
  [[ -n "$cpu" ]] || cpu=$(($(nproc) - 1))
  runner=(taskset -c "$cpu")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for ((i = 1; i <= runs; i++)); do
  "${runner[@]+"${runner[@]}"}" "$synack_bin" "${flags[@]}" --benchmark_out="$out/synack.$i.json" >&2
  "${runner[@]+"${runner[@]}"}" "$linux_bin" "${flags[@]}" --benchmark_out="$out/linux.$i.json" >&2
done

python3 - "$out" "$runs" "${cpu:-unpinned}" <<'EOF'
import json
import statistics
import sys

def load(paths):
    """Each benchmark's row from the run with its median items_per_second."""
    ctx, runs = {}, {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        ctx = doc.get("context", {})
        for b in doc.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            runs.setdefault(b["name"], []).append(b)
    rows = {}
    for name, bs in runs.items():
        ok = [b for b in bs if not b.get("error_occurred") and "items_per_second" in b]
        if len(ok) < len(bs):
            rows[name] = next(b for b in bs if b not in ok)
            continue
        ok.sort(key=lambda b: float(b["items_per_second"]))
        rows[name] = ok[(len(ok) - 1) // 2] if len(ok) % 2 else ok[len(ok) // 2 - 1]
        if len(ok) % 2 == 0:  # an even count: the mean of the middle two
            mid = statistics.median(float(b["items_per_second"]) for b in ok)
            rows[name] = dict(rows[name], items_per_second=mid)
    return ctx, rows

out, n, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3]
synack_ctx, synack = load([f"{out}/synack.{i}.json" for i in range(1, n + 1)])
linux_ctx, linux = load([f"{out}/linux.{i}.json" for i in range(1, n + 1)])

def rate(rows, name):
    b = rows.get(name)
    if b is None or b.get("error_occurred") or "items_per_second" not in b:
        return None
    return float(b["items_per_second"])

def real_rate(rows, name):
    b = rows.get(name)
    r = rate(rows, name)
    if r is None or not b.get("real_time"):
        return None
    return r * float(b["cpu_time"]) / float(b["real_time"])

def fmt(x):
    return "n/a" if x is None else f"{x:,.0f}"

def per_s(x):
    return "n/a" if x is None else f"{x:,.0f}/s"

def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}"

def why(rows, name):
    b = rows.get(name)
    if b is None:
        return " (not run)"
    if b.get("error_occurred"):
        return f" (error: {b.get('error_message', '?')})"
    return ""

S_PAIR, S_LO, S_MAIN = "synack/lifecycle/pair", "synack/lifecycle/pair_lo", "synack/lifecycle/sim"
L_MAIN = "linux/lifecycle"
p, lo, s = rate(synack, S_PAIR), rate(synack, S_LO), rate(synack, S_MAIN)
l = rate(linux, L_MAIN)
print(f"synack cycles/s: pair {fmt(p)}{why(synack, S_PAIR)}, pair_lo {fmt(lo)}{why(synack, S_LO)},"
      f" simulator {fmt(s)}{why(synack, S_MAIN)}")
print(f"Linux cycles/s: {fmt(l)}{why(linux, L_MAIN)}")
print(f"ratio synack/Linux: pair {ratio(p, l)}, pair_lo {ratio(lo, l)}, simulator {ratio(s, l)}")

print(f"details (median of {n} run{'s' if n != 1 else ''} each):")
pairs = [
    ("lifecycle, 4 KiB socket buffers (sim)", "synack/lifecycle_4k_buffers/sim", L_MAIN),
    ("lifecycle, 4 KiB socket buffers (pair)", "synack/lifecycle_4k_buffers/pair", L_MAIN),
    ("1000 in flight (sim)", "synack/lifecycle_inflight/sim/1000", "linux/lifecycle_inflight/1000"),
    ("1000 in flight (pair)", "synack/lifecycle_inflight/pair/1000",
     "linux/lifecycle_inflight/1000"),
    ("1000 in flight, 4 KiB buffers (pair)", "synack/lifecycle_inflight_4k_buffers/pair/1000",
     "linux/lifecycle_inflight/1000"),
    ("1000 in flight (pair_lo)", "synack/lifecycle_inflight/pair_lo/1000",
     "linux/lifecycle_inflight/1000"),
    ("64 B ping-pong round trips (sim)", "synack/pingpong/sim/idle:0", "linux/pingpong"),
    ("64 B ping-pong round trips (pair)", "synack/pingpong/pair/idle:0", "linux/pingpong"),
    ("64 B ping-pong round trips (pair_lo)", "synack/pingpong/pair_lo/idle:0", "linux/pingpong"),
    ("ping-pong, 1000 idle connections (pair)", "synack/pingpong/pair/idle:1000",
     "linux/pingpong"),
]
for label, sn, ln in pairs:
    if sn not in synack and ln not in linux:
        continue
    a, b = rate(synack, sn), rate(linux, ln)
    print(f"  {label}: synack {per_s(a)}{why(synack, sn)}, Linux {per_s(b)}{why(linux, ln)},"
          f" ratio {ratio(a, b)}")
a, b = real_rate(synack, S_MAIN), real_rate(linux, L_MAIN)
print(f"  wall-clock rates: synack {fmt(a)} cycles/s, Linux {fmt(b)} cycles/s, ratio {ratio(a, b)}")
fs = rate(linux, "linux/lifecycle_fixed_src")
if "linux/lifecycle_fixed_src" in linux:
    print(f"  Linux, client on 127.0.0.1 without bind: {fmt(fs)} cycles/s"
          f"{why(linux, 'linux/lifecycle_fixed_src')}")
tw = linux.get(L_MAIN, {}).get("tw_end")
if tw is not None:
    print(f"  Linux TIME-WAIT sockets after the run: {tw:,.0f}")
ctx = synack_ctx
print(f"  machine: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, pinned to"
      f" CPU {cpu}, load average {' '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}")
EOF
