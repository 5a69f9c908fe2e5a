#pragma once
// Datagram scripts: one synack host under test and a scripted peer that
// injects hand-built UDP datagrams and ICMP messages at chosen virtual
// times, with exact expectations on the packets synack sends and when.
//
//   DatagramScript s;                        // synack 10.0.0.2, the peer 10.0.0.1
//   auto sock = s.stack().udp_bind(7);
//   s.inject_udp(4000, 7, "ping");           // at t = 0
//   s.expect_udp(0s, 7, 4000, "pong");
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "socket/stack.hpp"
#include "support/segment_script.hpp"
#include "wire/ipv4.hpp"

namespace synack::testing {

// A packet synack sent, decoded.
struct SentPacket {
  Instant at{};
  wire::Ipv4Address src, dst;
  std::uint8_t protocol = 0;
  std::vector<std::uint8_t> bytes;  // the whole IPv4 packet
  // UDP only:
  std::uint16_t src_port = 0, dst_port = 0;
  std::string payload;
  // ICMP only:
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::vector<std::uint8_t> icmp_data;  // what follows the 8-byte ICMP header
  std::string describe() const;
};

class DatagramScript {
 public:
  static inline const wire::Ipv4Address kOurAddr{10, 0, 0, 2};
  static inline const wire::Ipv4Address kPeerAddr{10, 0, 0, 1};

  // `tweak` may change the host's configuration before the stack is made.
  explicit DatagramScript(const std::function<void(iface::InterfaceConfig&)>& tweak = {});

  socket::Stack& stack() { return *stack_; }
  Instant now() const { return stack_->now(); }
  Duration elapsed() const { return now().time_since_epoch(); }

  void run_until(Duration t);
  void run_for(Duration d) { run_until(elapsed() + d); }
  void flush() { run_until(elapsed()); }

  // A UDP datagram from the peer (or `src`) now; returns the IPv4 packet.
  std::vector<std::uint8_t> inject_udp(std::uint16_t src_port, std::uint16_t dst_port,
                                       std::string_view payload, wire::Ipv4Address src = kPeerAddr);
  // An IPv4 packet as the device would deliver it.
  void inject_packet(std::vector<std::uint8_t> packet);
  // ICMP destination unreachable (port) from the peer quoting `offending`
  // (an IPv4 packet synack sent): its header and 8 payload bytes (RFC 792).
  void inject_port_unreachable(const std::vector<std::uint8_t>& offending);

  SentPacket expect_at(Duration t, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE());
  SentPacket expect_udp(Duration t, std::uint16_t src_port, std::uint16_t dst_port,
                        std::string_view payload, const char* file = __builtin_FILE(),
                        int line = __builtin_LINE());
  SentPacket expect_icmp(Duration t, std::uint8_t type, std::uint8_t code,
                         const char* file = __builtin_FILE(), int line = __builtin_LINE());
  void expect_silence_until(Duration t, const char* file = __builtin_FILE(),
                            int line = __builtin_LINE());

 private:
  void collect();

  std::unique_ptr<socket::Stack> stack_;
  ScriptDevice dev_;
  std::deque<SentPacket> out_;
};

}  // namespace synack::testing
