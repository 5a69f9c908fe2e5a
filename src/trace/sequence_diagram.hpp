#pragma once
// Renders a Trace (tcp/trace.hpp) as a two-column ASCII sequence diagram, the
// way the article draws the handshake:
//
//     time  client 10.0.0.1:49152                                         server 10.0.0.2:80
// ==========================================================================================
//   0.000s                                                                  CLOSED -> LISTEN
//   1.000s  CLOSED -> SYN-SENT
//   1.000s  [SYN-SENT]     -- SYN seq=0 win=64240 <mss 1460,sack,ts,ws 7> -->       [LISTEN]
//   1.010s                                                            LISTEN -> SYN-RECEIVED
//   1.010s  [SYN-SENT]     <-- SYN|ACK seq=0 ack=1 win=65160 <mss 1460,..> -- [SYN-RECEIVED]
//   1.020s  SYN-SENT -> ESTABLISHED
//   1.020s  [ESTABLISHED]  ------------ ACK seq=1 ack=1 win=502 ------------> [SYN-RECEIVED]
//   1.030s                                                       SYN-RECEIVED -> ESTABLISHED
//   1.040s  [ESTABLISHED]  -- PSH|ACK seq=1 ack=1 len=5 win=502 (lost) --X     [ESTABLISHED]
// ==========================================================================================
// legend: ---> segment, --X lost, [STATE] host state, A -> B transition,
//         seq/ack relative to ISN
//
// Rules:
// - one row per event, in event order, starting with the virtual time;
// - a segment is drawn once, when sent, as an arrow from the sender's column to
//   the receiver's; SegmentReceived events draw nothing. A SegmentLost event
//   turns the matching earlier SegmentSent (same host, same segment) into an
//   arrow ending in 'X' labelled "(lost)"; a SegmentLost with no matching send
//   is drawn the same way at its own position;
// - seq/ack (and SACK blocks) are relative to the ISN of their direction: the
//   seq of the first SYN sent that way (again after the sender re-enters
//   SYN-SENT or SYN-RECEIVED on that 4-tuple); absolute until a SYN is seen;
// - each arrow row shows both hosts' current state of that connection at the
//   edges ("[SYN-SENT]" ... "[LISTEN]"), tracked from StateChange events per
//   4-tuple, falling back to a listener on the local port; blank if unknown;
// - StateChange rows show "FROM -> TO" in the host's own column, Note rows
//   show "note: text" (both wrapped when long);
// - labels that do not fit the width lose option items first ("<mss 1460,..>"),
//   then "win=", never seq/ack/len; several connections in one diagram add
//   ports ("SYN 49152>80 ..."), a host using several addresses adds src=/dst=;
// - events of other hosts are skipped, and so are a host's sends and state
//   changes whose peer address belongs to no host of the other column (once
//   that column's addresses are known). A trailing '*' in a host name is a
//   prefix glob ("client*" matches "client1".."client5"); when the left host
//   is a glob, each row is prefixed with the left host it concerns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tcp/trace.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::trace {

struct DiagramOptions {
  std::string left_host = "client";   // trailing '*' = prefix glob
  std::string right_host = "server";  // trailing '*' = prefix glob
  std::size_t width = 100;            // wanted row width (arrows keep >= 24 columns)
  bool show_options = true;           // SYN options; SACK blocks on other segments
  bool relative_seq = true;           // seq/ack relative to each direction's ISN

  // Filters for segments and state changes (notes are always kept).
  // addr: either endpoint has this address (a state change's unspecified
  // 0.0.0.0 endpoint matches too). ports: every listed port is one of the
  // endpoints' ports, so {80} keeps everything on port 80 and {49152, 80} one
  // connection; a listener's state changes pass when its port is listed.
  std::optional<wire::Ipv4Address> addr;
  std::vector<std::uint16_t> ports;
};

std::string render_sequence_diagram(const std::vector<tcp::TraceEvent>& events,
                                    const DiagramOptions& opts);

// One line per event with absolute numbers and every option, for debugging
// and `--trace -`:
//   "  0.000s  client  send   10.0.0.1:49152 > 10.0.0.2:80 SYN seq=1000 win=64240 <mss 1460>"
std::string render_event_log(const std::vector<tcp::TraceEvent>& events);

}  // namespace synack::trace
