#pragma once
// The ARP cache (RFC 826, with the timeouts RFC 1122 §2.3.2 asks for): IPv4
// address -> MAC address, plus the packets waiting for an answer. Sans-IO: it
// never sends anything itself; every call takes the current instant and says
// which ARP requests the caller must send.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::iface {

struct NeighborConfig {
  // How long an answer is trusted. After that the entry is still used, but
  // the next packet triggers a unicast request to confirm it (RFC 1122
  // §2.3.2.1 "unicast poll"); no answer deletes it.
  Duration reachable_time = std::chrono::seconds(60);
  // Between two requests for the same address.
  Duration retransmit_interval = std::chrono::seconds(1);
  // Requests per resolution (or confirmation) before giving up.
  int max_requests = 3;
  // Packets held per unresolved address; a newer one pushes out the oldest
  // (RFC 1122 §2.3.2.2 asks for at least one).
  std::size_t max_held = 4;
  // Bound on the table; the entry closest to expiry makes room when full.
  std::size_t max_entries = 512;
};

struct NeighborCounters {
  std::uint64_t requests = 0;          // requests asked of the caller (first tries and retries)
  std::uint64_t learned = 0;           // entries created or updated from ARP packets
  std::uint64_t resolved = 0;          // incomplete entries that got their answer
  std::uint64_t held_drops = 0;        // packets not held: pushed out by newer ones
  std::uint64_t unresolved_drops = 0;  // held packets dropped: nobody answered
  std::uint64_t unreachable = 0;       // entries deleted after requests went unanswered
  std::uint64_t table_full_drops = 0;  // packets dropped: no room for a new entry
};

// An ARP request for `target` that the caller must send: broadcast, or, to
// confirm a known entry, unicast to `unicast`.
struct ArpRequest {
  wire::Ipv4Address target;
  std::optional<wire::MacAddress> unicast;

  bool operator==(const ArpRequest&) const = default;
};

class Neighbors {
 public:
  struct Decision {
    std::optional<wire::MacAddress> mac;  // send the packet there now; nullopt: held or dropped
    std::optional<ArpRequest> request;    // and send this request now
  };

  explicit Neighbors(const NeighborConfig& cfg = {}) : cfg_(cfg) {}

  // Where a packet for next hop `ip` goes. When `ip` is not resolved, a copy
  // of `packet` is held until learn() resolves it or the requests run out.
  Decision send(Instant now, wire::Ipv4Address ip, std::span<const std::uint8_t> packet);
  // RFC 826 "merge": updates the entry for `ip` if there is one, and creates
  // it when `create` (the ARP packet was addressed to us). Returns the packets
  // held for `ip`, oldest first, now to be sent to `mac`.
  std::vector<std::vector<std::uint8_t>> learn(Instant now, wire::Ipv4Address ip,
                                               wire::MacAddress mac, bool create);
  // Runs due retransmissions, appending the requests to send to `out`, and
  // gives up on addresses whose requests ran out.
  void on_timers(Instant now, std::vector<ArpRequest>& out);
  // The next retransmission or give-up; kNever when nothing is pending.
  // Expiry needs no wakeup: it is checked when a packet is sent.
  Instant next_deadline() const;

  // The MAC of `ip` when known and not expired.
  std::optional<wire::MacAddress> lookup(Instant now, wire::Ipv4Address ip) const;
  // Packets held for `ip`.
  std::size_t held(wire::Ipv4Address ip) const;
  std::size_t size() const { return entries_.size(); }
  const NeighborConfig& config() const { return cfg_; }
  const NeighborCounters& counters() const { return counters_; }

 private:
  enum class State {
    Incomplete,  // no MAC yet; broadcasting requests
    Reachable,   // answered within reachable_time
    Probing,     // expired while in use; unicast requests confirm it
  };
  struct Entry {
    State state = State::Incomplete;
    wire::MacAddress mac;
    Instant expires{};       // Reachable: when to confirm again
    Instant next_request{};  // Incomplete, Probing: the next retry or give-up
    int requests = 0;        // sent so far in this resolution or confirmation
    std::deque<std::vector<std::uint8_t>> held;
  };

  // Starts a resolution or confirmation: the first request goes out now.
  ArpRequest start_requests(Instant now, wire::Ipv4Address ip, Entry& e);
  // Queues a copy of `packet` on an incomplete entry, within max_held.
  void hold(Entry& e, std::span<const std::uint8_t> packet);
  // Frees one slot if the table is full; false when nothing can go.
  bool make_room();

  NeighborConfig cfg_;
  std::unordered_map<std::uint32_t, Entry> entries_;
  NeighborCounters counters_;
  mutable Instant deadline_ = kNever;  // cached next_deadline()
  mutable bool deadline_stale_ = false;
};

}  // namespace synack::iface
