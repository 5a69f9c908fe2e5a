#pragma once
// Observability: every segment and state transition, with its virtual time and
// the host that saw it. The interface records segments, the TCP layer records
// transitions, the simulator records frames lost on a link. Rendered as a
// sequence diagram by trace/sequence_diagram.hpp.
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "tcp/tcp_state.hpp"
#include "wire/ipv4_address.hpp"
#include "wire/tcp_options.hpp"

namespace synack::tcp {

// A TCP segment as seen on the wire, without its payload bytes.
struct SegmentRecord {
  wire::Ipv4Address src;
  wire::Ipv4Address dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint32_t payload_len = 0;
  wire::TcpOptions options;
};

enum class TraceKind {
  SegmentSent,      // host transmitted it
  SegmentReceived,  // host accepted it from its device (before TCP processing)
  SegmentLost,      // the simulated link dropped it (host = sender)
  StateChange,      // a connection (or mini-socket) changed state
  Note,             // free text: queue occupancy, drops, timer expiry...
};

struct TraceEvent {
  Instant time;
  std::string host;  // the host's name, e.g. "client" or "server"
  TraceKind kind = TraceKind::Note;
  SegmentRecord segment;  // Segment* kinds
  // StateChange: the local and remote endpoints and the transition.
  wire::Ipv4Address local_addr;
  std::uint16_t local_port = 0;
  wire::Ipv4Address remote_addr;
  std::uint16_t remote_port = 0;
  TcpState from = TcpState::Closed;
  TcpState to = TcpState::Closed;
  std::string text;  // Note: the message; StateChange: why (optional)
};

// An append-only log shared by every host of a run.
class Trace {
 public:
  void record(TraceEvent e) { events_.push_back(std::move(e)); }
  const std::vector<TraceEvent>& events() const { return events_; }
  void clear() { events_.clear(); }

 private:
  std::vector<TraceEvent> events_;
};

}  // namespace synack::tcp
