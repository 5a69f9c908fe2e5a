#!/usr/bin/env bash
# Runs every fuzz_* binary in BUILD_DIR for SECONDS each; fails on the first
# crash. Corpora live in a scratch directory (never committed).
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  mkdir -p "$work/$name"
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED"
    tail -50 "$work/$name.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units' "$work/$name.log" || true
  fi
done
exit $status
