#pragma once
// A DHCP client (RFC 2131 §4.4) as a sans-IO state machine: it reads no
// clock and sends nothing itself. The owner feeds it the current instant and
// the messages that arrive on UDP port 68, takes the messages it wants sent
// (to port 67), and reads events telling it what to do with the interface.
//
//   DhcpClient c(cfg);
//   c.start(now);                                  // INIT: a DISCOVER is queued
//   while (auto tx = c.pop_transmit()) send(tx->dst, tx->payload);
//   c.on_message(now, payload);                    // what arrived on port 68
//   if (now >= c.poll_at()) c.on_timer(now);       // retransmissions, T1, T2, expiry
//   while (auto ev = c.pop_event()) apply(*ev);   // leased, renewed, changed, nak, expired
//
// States and timers (RFC 2131 Figure 5 and §4.1, §4.4.5):
// - INIT → SELECTING: DISCOVER broadcast; retransmitted after 4, 8, 16, 32
//   and 64 s, then every 64 s, each randomised by ±`jitter` (1 s) from the
//   seed. The first acceptable OFFER is taken.
// - REQUESTING: REQUEST broadcast with the server identifier and the
//   offered address, retransmitted with the same back-off; after the 64 s
//   wait with no answer the client starts over in INIT.
// - BOUND until T1 (option 58, default half the lease).
// - RENEWING: REQUEST unicast to the server that gave the lease (ciaddr
//   set), retransmitted after half the time left until T2, never sooner
//   than 60 s (but at T2 at the latest).
// - REBINDING at T2 (option 59, default 7/8 of the lease): REQUEST
//   broadcast, retransmitted after half the time left on the lease, never
//   sooner than 60 s.
// - The lease ends: event Expired, back to INIT (the owner drops the
//   address), a new DISCOVER at once.
// - A NAK in REQUESTING, RENEWING or REBINDING: event Nak, back to INIT
//   (the owner drops any address). Consecutive NAKs without a lease in
//   between delay the next DISCOVER 4, 8, ... 64 s, so a server that NAKs
//   everything is not flooded.
//
// Replies are matched on xid and chaddr; a malformed message (one that the
// wire layer refuses) is counted and reported as an Ignored event with the
// reason; anything else unexpected is dropped silently and counted.
// - INIT-REBOOT (reboot() with a remembered lease, RFC 2131 §3.2, §4.4.2):
//   REBOOTING broadcasts a REQUEST with option 50 and no server identifier
//   nor ciaddr, with the same back-off as REQUESTING. An ACK binds (event
//   Leased); a NAK drops the remembered lease (event Nak) and goes to INIT;
//   no answer after the back-off keeps the remembered lease for the rest of
//   its time (event Leased, §4.4.2 "MAY choose to use"), or starts over in
//   INIT when it has already expired.
// - decline(): the owner found the address just leased in use (§4.4.1 final
//   check): a DECLINE is broadcast (event Declined, the owner drops the
//   address) and INIT restarts after 10 s (§3.1 step 5).
// - release(): a RELEASE unicast to the server (§4.4.6), for a clean stop.
// Not implemented: collecting several offers (the first acceptable wins),
// the initial 1-10 s random wait (§4.4.1 SHOULD; the owner may delay
// start()).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "dhcp/dhcp_message.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::dhcp {

enum class DhcpState : std::uint8_t {
  Init,
  Selecting,
  Requesting,
  Bound,
  Renewing,
  Rebinding,
  Rebooting,  // INIT-REBOOT's REQUEST sent, waiting (RFC 2131 Figure 5)
};
std::string_view to_string(DhcpState s);

struct DhcpClientConfig {
  wire::MacAddress mac;    // chaddr, and the client identifier 01:MAC by default
  std::uint64_t seed = 1;  // xids and the retransmission jitter
  // Option 61; empty: type 1 (Ethernet) followed by the MAC.
  std::vector<std::uint8_t> client_id;
  std::string host_name;  // option 12 when not empty
  // Ask servers to broadcast their replies (flags bit 15); off, they
  // unicast to the offered address and our MAC, which the unconfigured
  // interface accepts.
  bool broadcast_flag = false;
  Duration retransmit_initial = std::chrono::seconds(4);
  Duration retransmit_max = std::chrono::seconds(64);
  Duration jitter = std::chrono::seconds(1);                 // uniform in [-jitter, +jitter]
  Duration renew_retransmit_min = std::chrono::seconds(60);  // RFC 2131 §4.4.5
  // Leases shorter than this are treated as this long (a server offering 0 s
  // would make the client spin).
  Duration lease_min = std::chrono::seconds(10);
};

// What a lease gives the interface.
struct DhcpLease {
  wire::Ipv4Cidr address{};                 // yiaddr with the subnet mask's prefix
  std::optional<wire::Ipv4Address> router;  // the first router
  AddressList dns_servers;
  wire::Ipv4Address server;  // the server identifier
  Duration lease_time{};
  Duration t1{}, t2{};
  Instant acquired{};  // when the REQUEST that this ACK answers was first sent
  Instant renew_at() const { return acquired + t1; }
  Instant rebind_at() const { return acquired + t2; }
  Instant expires_at() const { return acquired + lease_time; }
  // Same address, prefix, router and DNS servers.
  bool same_config(const DhcpLease& o) const {
    return address.address == o.address.address && address.prefix_len == o.address.prefix_len &&
           router == o.router && dns_servers == o.dns_servers;
  }
};

struct DhcpEvent {
  enum class Kind : std::uint8_t {
    Leased,    // a lease from INIT: configure the interface with `lease`
    Renewed,   // the same configuration, extended
    Changed,   // a renewal or rebinding ACK changed address, prefix, router or DNS
    Nak,       // the server refused: drop `previous`, if any
    Expired,   // the lease ran out: drop `previous`
    Ignored,   // a malformed message arrived (`reason`); nothing changes
    Declined,  // decline(): drop `previous`; INIT again in 10 s
  };
  Kind kind = Kind::Leased;
  std::optional<DhcpLease> lease;     // the lease now held (Leased, Renewed, Changed)
  std::optional<DhcpLease> previous;  // the lease given up (Changed, Nak, Expired)
  wire::Ipv4Address from;             // the server (Nak) or sender (Ignored)
  std::string reason;                 // Nak: option 56's text; Ignored: why
};
std::string_view to_string(DhcpEvent::Kind k);
// One log line, without a prefix, e.g. "leased 10.9.0.50/24 router
// 10.9.0.1 dns 10.9.0.1 lease 120s", "renewed 10.9.0.50/24 lease 120s",
// "changed 10.9.0.50/24 -> 10.9.0.60/24 router 10.9.0.1 dns 10.9.0.1 lease
// 120s", "nak from 10.9.0.1 (text): dropped 10.9.0.50/24", "expired
// 10.9.0.50/24", "ignored a message from 10.9.0.1: bad option", "declined
// 10.9.0.50/24 (reason): discovering again in 10s".
std::string describe(const DhcpEvent& e);

struct DhcpTransmit {
  wire::Ipv4Address dst;              // 255.255.255.255, or the server when renewing
  std::vector<std::uint8_t> payload;  // the DHCP message (UDP 68 → 67)
  DhcpMessageType type = DhcpMessageType::Discover;
};

struct DhcpClientCounters {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unexpected = 0;  // wrong xid/chaddr/type/state
  std::uint64_t offers = 0;
  std::uint64_t acks = 0;
  std::uint64_t naks = 0;
  std::uint64_t declines = 0;
};

class DhcpClient {
 public:
  explicit DhcpClient(const DhcpClientConfig& cfg);

  // Enters INIT and queues the first DISCOVER (or restarts from any state,
  // dropping the lease without an event).
  void start(Instant now);
  // One message received on port 68 from `from`.
  void on_message(Instant now, std::span<const std::uint8_t> payload,
                  wire::Ipv4Address from = wire::Ipv4Address());
  // The next instant on_timer() has work; kNever before start().
  Instant poll_at() const { return deadline_; }
  void on_timer(Instant now);
  // Queues a RELEASE to the server (unicast) and goes back to INIT without
  // a new DISCOVER; nothing when no lease is held.
  void release(Instant now);
  // INIT-REBOOT with a lease remembered from before (a restart, or the link
  // coming back): confirms it with a broadcast REQUEST, or discovers when
  // it has already expired at `now`.
  void reboot(Instant now, const DhcpLease& remembered);
  // The address of the lease held was found in use (an ARP probe answered,
  // RFC 5227): queues a DECLINE, drops the lease (event Declined) and
  // discovers again after 10 s. Nothing when no lease is held.
  void decline(Instant now, std::string_view why);

  std::optional<DhcpTransmit> pop_transmit();
  std::optional<DhcpEvent> pop_event();

  DhcpState state() const { return state_; }
  const std::optional<DhcpLease>& lease() const { return lease_; }
  const DhcpClientCounters& counters() const { return counters_; }
  const DhcpClientConfig& config() const { return cfg_; }

 private:
  void enter_init(Instant now, Duration delay);
  void send_discover(Instant now);
  void send_request(Instant now);
  void finish_reboot(Instant now);
  void queue(const DhcpRepr& r, wire::Ipv4Address dst);
  DhcpRepr base(DhcpMessageType type, Instant now) const;
  // Back-off for the `attempt`-th retransmission (0 → 4 s, ...; capped at 64 s).
  Duration backoff(int attempt);
  Duration renew_wait(Instant now, Instant until) const;
  void on_offer(Instant now, const DhcpRepr& r);
  void on_ack(Instant now, const DhcpRepr& r);
  void on_nak(Instant now, const DhcpRepr& r, wire::Ipv4Address from);
  void ignore(const DhcpRepr& r, std::string why);
  std::uint64_t next_random();

  DhcpClientConfig cfg_;
  std::vector<std::uint8_t> client_id_;
  DhcpState state_ = DhcpState::Init;
  Instant deadline_ = kNever;
  std::uint32_t xid_ = 0;
  int attempt_ = 0;         // retransmissions so far in this state
  Instant started_{};       // when this exchange began (secs, lease start)
  Instant requested_at_{};  // when the first REQUEST of this exchange went out
  std::uint16_t discover_secs_ = 0;
  wire::Ipv4Address
      from_;  // the sender of the message being handled  // the last DISCOVER's secs (§4.4.1)
  int consecutive_naks_ = 0;
  // SELECTING → REQUESTING: what was offered.
  wire::Ipv4Address offered_;
  wire::Ipv4Address offer_server_;
  std::optional<DhcpLease> lease_;
  std::uint64_t rng_;
  std::deque<DhcpTransmit> tx_;
  std::deque<DhcpEvent> events_;
  DhcpClientCounters counters_;
};

}  // namespace synack::dhcp
