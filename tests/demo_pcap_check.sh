#!/usr/bin/env bash
# Runs `synack demo --pcap` and checks that
#   1. it exits 0 and its output shows the story's landmarks (states, losses,
#      queue notes);
#   2. tshark reads the capture without complaint: no malformed packet and no
#      bad IPv4 or TCP checksum.
#
# Usage: tests/demo_pcap_check.sh PATH_TO_SYNACK
#
# About tshark's expert info: the demo loses segments on purpose, so the
# capture is full of retransmissions, duplicate ACKs and reused ports, which
# tshark reports as expert "Note"s (tcp.analysis.retransmission) or, for a
# frame it never saw, "Warning"s ("previous segment not captured"). Those are
# the story, not defects. So the expert filter below is restricted to the
# Malformed and Checksum groups (plus the checksum status fields), never to a
# severity level such as `_ws.expert.severity >= warning`.
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 PATH_TO_SYNACK" >&2
  exit 2
fi
synack=$1

if ! command -v tshark >/dev/null 2>&1; then
  echo "demo_pcap_check: tshark not found" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcap=$tmp/demo.pcap
failed=0
fail() {
  echo "demo_pcap_check: FAIL: $*" >&2
  failed=1
}

# --- 1. the demo itself -------------------------------------------------------
set +e
"$synack" demo --pcap "$pcap" >"$tmp/demo.out" 2>"$tmp/demo.err"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  cat "$tmp/demo.err" >&2
  fail "synack demo exited with $rc"
fi
for marker in "Scenario 1" "Scenario 2" "Scenario 3" \
  "SYN-SENT" "SYN-RECEIVED" "ESTABLISHED" "FIN-WAIT-2" "CLOSE-WAIT" "LAST-ACK" "TIME-WAIT" \
  "2*MSL elapsed" "(lost)" "SynQueue" "AcceptQueue" \
  "dropped: SynQueue full" "dropped: AcceptQueue full" "final ACK from" \
  "handshake complete"; do
  grep -qF -- "$marker" "$tmp/demo.out" || fail "demo output lacks \"$marker\""
done
if grep -q "PROBLEM" "$tmp/demo.out"; then
  grep "PROBLEM" "$tmp/demo.out" >&2
  fail "the demo reported problems"
fi
[[ -s "$pcap" ]] || fail "no capture written"

# --- 2. tshark reads it cleanly ----------------------------------------------
# tshark complains on stderr when run as root; that line is not a finding.
strip_root() { grep -v 'Running as user "root"' || true; }
bad_words='Malformed|malformed|CHECKSUM INCORRECT|Bad checksum|incorrect'

# Plain reading, then the same with checksum validation on (which is off by
# default, so only the second shows "[TCP CHECKSUM INCORRECT]").
tshark -r "$pcap" >"$tmp/plain.out" 2>"$tmp/plain.err" || fail "tshark -r failed"
tshark -r "$pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  >"$tmp/checked.out" 2>"$tmp/checked.err" || fail "tshark -r (checksums on) failed"
for f in plain.out plain.err checked.out checked.err; do
  if strip_root <"$tmp/$f" | grep -E "$bad_words" >"$tmp/hits"; then
    cat "$tmp/hits" >&2
    fail "tshark ($f) reports malformed packets or bad checksums"
  fi
done
frames=$(wc -l <"$tmp/plain.out")
[[ $frames -gt 0 ]] || fail "tshark read no frames"

# The same question as a display filter: must select nothing. Malformed and
# Checksum expert groups only (see the note at the top).
filter='ip.checksum.status==Bad || tcp.checksum.status==Bad || _ws.malformed'
filter+=' || _ws.expert.group=="Malformed" || _ws.expert.group=="Checksum"'
tshark -r "$pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y "$filter" \
  >"$tmp/filtered.out" 2>"$tmp/filtered.err" || fail "tshark -Y failed"
hits=$(strip_root <"$tmp/filtered.out" | grep -c . || true)
if [[ $hits -ne 0 ]]; then
  cat "$tmp/filtered.out" >&2
  fail "$hits frame(s) match: $filter"
fi
if strip_root <"$tmp/filtered.err" | grep -q .; then
  strip_root <"$tmp/filtered.err" >&2
  fail "tshark -Y complained"
fi

if [[ $failed -ne 0 ]]; then
  exit 1
fi
echo "demo_pcap_check: ok ($frames frames, no malformed packet, no bad checksum)"
