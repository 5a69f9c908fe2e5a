#pragma once
// IPv4 reassembly at the router, so that fragmented datagrams cross the NAT
// (RFC 4787 REQ-14: in-order and out-of-order fragments MUST be supported;
// RFC 5382 / RFC 5508 assume it). The router reassembles every fragment it
// receives, as Linux's conntrack does (nf_defrag_ipv4), rather than tracking
// fragments one by one: only the first fragment carries the ports, later
// ones would need a remembered mapping and a queue for those arriving before
// the first, and overlapping fragments (RFC 1858) could change the ports
// after the NAT decided. Reassembled, the datagram is translated like any
// other and fragmented again on egress (ipv4_fragmenter.hpp).
//
// Memory is bounded: at most `max_datagrams` datagrams and `max_bytes`
// fragment bytes are held (the oldest datagram is evicted to make room, so a
// flood of incomplete fragments cannot block reassembly), and a datagram
// not complete within `timeout` of its first fragment is dropped
// (RFC 791 §3.2: a reassembly timer; RFC 1122 §3.3.2 suggests 60-120 s for
// hosts, Linux uses 30 s). Overlapping fragments drop the whole datagram, as
// Linux does since 2018 (and RFC 5722 requires for IPv6); exact duplicates
// are ignored. Sans-IO: time is an argument.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/time.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::nat {

struct ReassemblyLimits {
  std::size_t max_datagrams = 64;
  std::size_t max_bytes = 1 << 20;  // fragment payload held, all datagrams together
  Duration timeout = std::chrono::seconds(30);
};

struct ReassemblyCounters {
  std::uint64_t fragments = 0;    // received
  std::uint64_t reassembled = 0;  // datagrams completed
  std::uint64_t duplicates = 0;   // a fragment already held, ignored
  std::uint64_t timed_out = 0;    // datagrams dropped incomplete after the timeout
  std::uint64_t evicted = 0;      // datagrams dropped to stay within the limits
  std::uint64_t overlaps = 0;     // datagrams dropped for overlapping fragments
  std::uint64_t malformed = 0;    // datagrams (or fragments) dropped as inconsistent
};

// True if `packet` (a checked IPv4 header) is a fragment: MF set or offset != 0.
bool is_ipv4_fragment(std::span<const std::uint8_t> packet);

class FragmentReassembler {
 public:
  struct Datagram {
    std::span<const std::uint8_t> packet;  // valid until the next add()
    std::size_t largest_fragment = 0;      // the biggest fragment received (whole packet)
  };

  explicit FragmentReassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  // Takes one fragment (a whole IPv4 packet whose header was checked).
  // Returns the reassembled datagram once its last missing fragment arrived.
  std::optional<Datagram> add(Instant now, std::span<const std::uint8_t> fragment);
  // Drops datagrams whose time ran out.
  void expire(Instant now);
  Instant poll_at() const;

  std::size_t datagrams() const { return pending_.size(); }
  std::size_t bytes() const { return bytes_; }
  const ReassemblyCounters& counters() const { return counters_; }
  const ReassemblyLimits& limits() const { return limits_; }

 private:
  struct Key {
    wire::Ipv4Address src, dst;
    std::uint16_t id = 0;
    std::uint8_t proto = 0;
    bool operator==(const Key&) const = default;
  };
  struct Piece {
    std::size_t offset = 0;  // in the datagram's payload
    std::vector<std::uint8_t> data;
    std::size_t end() const { return offset + data.size(); }
  };
  struct Pending {
    Key key;
    Instant deadline;
    std::vector<std::uint8_t> header;  // the first fragment's, once it came
    std::vector<Piece> pieces;         // sorted by offset, disjoint
    std::optional<std::size_t> total;  // payload length, once the last fragment came
    std::size_t bytes = 0;
    std::size_t largest_fragment = 0;
    std::uint8_t ecn_seen = 0;  // bit k: a fragment carried ECN codepoint k
  };

  void remove(std::size_t index);
  // Evicts the oldest datagrams but `keep` (an index; size() when adding a
  // new one) until `bytes` more fit.
  void make_room(std::size_t bytes, std::size_t keep);
  std::optional<Datagram> complete(std::size_t index);

  ReassemblyLimits limits_;
  std::vector<Pending> pending_;  // few (max_datagrams): searched linearly
  std::size_t bytes_ = 0;
  ReassemblyCounters counters_;
  std::vector<std::uint8_t> out_;
};

}  // namespace synack::nat
