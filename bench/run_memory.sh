#!/usr/bin/env bash
# Memory per established connection end, synack beside Linux, same run:
# bench_memory (two synack stacks in one process) and linux_memory (the
# kernel's loopback) with N connections each (64 bytes each way, read), then
# synack alone with 1,000,000 connections. Prints
#   synack RSS per end: ...   Linux kernel memory per end: ...   ratio
# usage: bench/run_memory.sh BUILD_DIR [N] [BIG_N]    (defaults 10000, 1000000)
set -euo pipefail
build=${1:?usage: bench/run_memory.sh BUILD_DIR [N] [BIG_N]}
n=${2:-10000}
big=${3:-1000000}

field() { awk -v k="$1" '$1 == k { print $2 }'; }

s=$("$build/bench_memory" "$n" 100)
l=$("$build/linux_memory" "$n")
sy=$(field rss_per_end_bytes <<<"$s")
sb=$(field rss_per_end_after_bulk_bytes <<<"$s")
li=$(field kernel_per_end_bytes <<<"$l")
echo "memory per connection end, $n connections, 64 B each way and read:"
echo "  synack RSS per end: $sy bytes ($sb after 100 of them moved 1 MiB each way)"
echo "  Linux kernel memory per end (slab + TCP buffers): $li bytes"
awk -v a="$sy" -v b="$li" 'BEGIN { printf "  ratio synack/Linux: %.2f (lower is better)\n", a / b }'
if [ "$big" -gt 0 ]; then
  b=$("$build/bench_memory" "$big" 100)
  echo "  synack with $big connections: $(field rss_per_end_bytes <<<"$b") bytes RSS per end," \
    "$(field rss_per_end_after_bulk_bytes <<<"$b") after 100 moved 1 MiB each way"
fi
