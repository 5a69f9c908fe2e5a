#!/usr/bin/env bash
# Runs every fuzz_* binary in BUILD_DIR (or only the FUZZERs named) for
# SECONDS each, one after another; fails on the first crash.
#
# The committed corpus fuzz/corpus/<fuzzer>/ is the seed: it is passed as a
# second corpus directory, which libFuzzer reads but never writes; new inputs
# go to a scratch directory. fuzz/<dict> is passed with -dict (see dict_for).
# Crash reproducers are written to the scratch directory, never to the tree.
#
#   FUZZ_WORK=DIR  keep the scratch corpora, logs and crashes in DIR
#                  (default: a temporary directory removed on exit)
#   FUZZ_MERGE=1   afterwards, minimise the committed corpus plus the new
#                  inputs with -merge=1 and write the result back to
#                  fuzz/corpus/<fuzzer>/: the hand-made seed-* files are
#                  kept, everything else is replaced by the merge's picks.
#                  The merge counts edges only (-use_counters=0), not hit
#                  counts, which keeps the corpus to hundreds of files; the
#                  fuzzer soon finds hit-count variants again.
#                  SECONDS=0 only merges (FUZZ_WORK's inputs, if any)
#
# For fuzz_segment_input the committed corpus is first replayed with
# SYNACK_FUZZ_CHECK_RESET=1 (each input on the reused Stack and on a fresh
# one must send the same segments).
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR [SECONDS] [FUZZER...]}
seconds=${2:-30}
shift $(($# < 2 ? $# : 2))
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${FUZZ_WORK:-}" ]; then
  work=$FUZZ_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

dict_for() {
  case $1 in
    fuzz_tcp | fuzz_tcp_options | fuzz_segment_input) echo "$root/fuzz/tcp.dict" ;;
    fuzz_ethernet | fuzz_ipv4 | fuzz_arp | fuzz_icmp | fuzz_udp_input) echo "$root/fuzz/ip.dict" ;;
    fuzz_at_command) echo "$root/fuzz/at.dict" ;;
    fuzz_http_request) echo "$root/fuzz/http.dict" ;;
  esac
}

# Minimises fuzz/corpus/NAME plus the scratch corpus into fuzz/corpus/NAME.
merge() {
  local bin=$1 name=$2 seeds=$root/fuzz/corpus/$2
  local out=$work/$name.merged old=$work/$name.old
  rm -rf "$out" "$old"
  mkdir -p "$out" "$old" "$seeds"
  find "$seeds" -maxdepth 1 -type f -name 'seed-*' -exec cp {} "$out" \;
  find "$seeds" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$old" \;
  "$bin" -merge=1 -use_counters=0 -artifact_prefix="$work/$name-" "$out" "$old" "$work/$name" \
    >"$work/$name.merge.log" 2>&1
  find "$seeds" -maxdepth 1 -type f ! -name 'seed-*' -delete
  find "$out" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$seeds" \;
  echo "fuzz: $name corpus now $(find "$seeds" -type f | wc -l) files," \
    "$(find "$seeds" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') bytes"
}

status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  seeds=$root/fuzz/corpus/$name
  mkdir -p "$work/$name"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/$name-")
  dict=$(dict_for "$name")
  [ -n "$dict" ] && args+=(-dict="$dict")
  # Longer segment sequences cost time and rarely reach new states: 512
  # bytes hold a few dozen records.
  [ "$name" = fuzz_segment_input ] && args+=(-max_len=512)
  dirs=("$work/$name")
  [ -d "$seeds" ] && dirs+=("$seeds")

  if [ "$name" = fuzz_segment_input ] && [ -d "$seeds" ]; then
    if ! SYNACK_FUZZ_CHECK_RESET=1 "$bin" -runs=0 -artifact_prefix="$work/$name-check-" \
      "$seeds" >"$work/$name.check.log" 2>&1; then
      echo "fuzz: $name: an input behaves differently on a reused Stack"
      tail -50 "$work/$name.check.log"
      status=1
      continue
    fi
  fi

  if [ "$seconds" = 0 ]; then
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then merge "$bin" "$name"; fi
    continue
  fi
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" "${args[@]}" "${dirs[@]}" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (log and reproducer in $work)"
    tail -50 "$work/$name.log"
    status=1
    # Keep what the run found so it can be looked at.
    [ -z "${FUZZ_WORK:-}" ] && trap - EXIT
    continue
  fi
  last=$(grep -E '^#[0-9]+' "$work/$name.log" | tail -1)
  echo "fuzz: $name: $(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$last")" \
    "execs $(grep -oE 'number_of_executed_units: *[0-9]+' "$work/$name.log" | grep -oE '[0-9]+$')" \
    "exec/s $(grep -oE 'average_exec_per_sec: *[0-9]+' "$work/$name.log" | grep -oE '[0-9]+$')" \
    "new $(find "$work/$name" -type f | wc -l)"
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then merge "$bin" "$name"; fi
done
exit $status
