#pragma once
// Segment scripts in packetdrill's style, in C++: one synack host under test,
// a scripted peer that injects hand-built segments at chosen virtual times,
// and exact expectations on what synack sends back and when (or silence).
//
//   SegmentScript s;                      // synack is 10.0.0.2, the peer 10.0.0.1
//   auto l = s.listen(80);
//   s.inject(Seg::syn(1000));             // at t = 0
//   s.expect(0s, SYN | ACK, s.iss(), 1001);
//   s.expect(1s, SYN | ACK, s.iss(), 1001);   // the retransmission, 1 s later
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "iface/device.hpp"
#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire/tcp.hpp"

namespace synack::testing {

inline constexpr std::uint8_t FIN = wire::tcp_flags::kFin;
inline constexpr std::uint8_t SYN = wire::tcp_flags::kSyn;
inline constexpr std::uint8_t RST = wire::tcp_flags::kRst;
inline constexpr std::uint8_t PSH = wire::tcp_flags::kPsh;
inline constexpr std::uint8_t ACK = wire::tcp_flags::kAck;

// A segment the scripted peer sends.
struct Seg {
  std::uint8_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t win = 65535;
  std::string data;
  wire::TcpOptions opts;
  std::uint16_t src_port = 0;  // 0: the script's peer port
  std::uint16_t dst_port = 0;  // 0: synack's port of the connection under test

  static Seg syn(std::uint32_t seq, std::uint16_t mss = 1460) {
    Seg s;
    s.flags = SYN;
    s.seq = seq;
    s.opts.mss = mss;
    return s;
  }
  static Seg make(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::string data = {},
                  std::uint16_t win = 65535) {
    Seg s;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.win = win;
    s.data = std::move(data);
    return s;
  }
};

// A segment synack sent.
struct Out {
  Instant at{};
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t win = 0;
  wire::TcpOptions opts;
  std::string data;
  std::string describe() const;
};

// The device between the script and the stack: frames in, frames out.
class ScriptDevice : public iface::Device {
 public:
  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;
  void push(std::vector<std::uint8_t> frame) { rx_.push_back(std::move(frame)); }
  std::deque<std::pair<Instant, std::vector<std::uint8_t>>>& sent() { return tx_; }

 private:
  std::deque<std::vector<std::uint8_t>> rx_;
  std::vector<std::uint8_t> current_;
  std::deque<std::pair<Instant, std::vector<std::uint8_t>>> tx_;
};

class SegmentScript {
 public:
  static constexpr std::uint16_t kPeerPort = 4000;
  static inline const wire::Ipv4Address kOurAddr{10, 0, 0, 2};
  static inline const wire::Ipv4Address kPeerAddr{10, 0, 0, 1};

  explicit SegmentScript(const tcp::TcpConfig& cfg = {});
  ~SegmentScript();

  socket::Stack& stack() { return stack_; }
  tcp::TcpLayer& tcp() { return stack_.tcp(); }
  Instant now() const { return stack_.now(); }
  Duration elapsed() const { return now().time_since_epoch(); }

  // Runs timers up to `t` (from the start of the script), collecting output.
  void run_until(Duration t);
  void run_for(Duration d) { run_until(elapsed() + d); }
  // Delivers a segment from the peer now and processes it.
  void inject(const Seg& s);
  // Lets the stack send what user calls queued (write, close...) now.
  void flush() { run_until(elapsed()); }

  // Takes the next segment synack sent, running the clock up to `t` if none
  // is waiting; fails the test when there is none, or when it left at
  // another time than `t`.
  Out expect_at(Duration t, const char* file = __builtin_FILE(), int line = __builtin_LINE());
  // expect_at plus exact flags, seq and ack (ack checked only with ACK).
  Out expect(Duration t, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
             const char* file = __builtin_FILE(), int line = __builtin_LINE());
  // expect_at plus exact flags and ack, any seq (another connection's ISN).
  Out expect_any_seq(Duration t, std::uint8_t flags, std::uint32_t ack,
                     const char* file = __builtin_FILE(), int line = __builtin_LINE());
  // Nothing is sent from now until `t`.
  void expect_silence_until(Duration t, const char* file = __builtin_FILE(),
                            int line = __builtin_LINE());

  // Our initial sequence number, from the first SYN we sent.
  std::uint32_t iss() const { return iss_.value_or(0); }
  std::uint16_t our_port() const { return our_port_; }
  void set_our_port(std::uint16_t p) { our_port_ = p; }

  // --- fixtures: a connection in a given state -------------------------------
  socket::TcpListener listen(std::uint16_t port = 80);
  // Passive open completed by the peer (peer ISN 1000, window 65535); the
  // stream is accepted. Time does not advance.
  socket::TcpStream established_passive(socket::TcpListener& l, std::uint32_t peer_isn = 1000);
  // Active open to the peer (peer ISN 5000).
  socket::TcpStream established_active(std::uint32_t peer_isn = 5000);
  // connect() with the SYN sent and taken from the output.
  socket::TcpStream syn_sent();
  // Simultaneous open: our SYN crossed the peer's (peer ISN 7000).
  socket::TcpStream syn_received_active();
  // From established_passive (peer ISN 1000, nothing sent yet by either side):
  socket::TcpStream fin_wait_1(socket::TcpListener& l);  // we closed
  socket::TcpStream fin_wait_2(socket::TcpListener& l);  // ... and the peer ACKed
  socket::TcpStream close_wait(socket::TcpListener& l);  // the peer closed
  socket::TcpStream last_ack(socket::TcpListener& l);    // ... and then we did
  socket::TcpStream closing(socket::TcpListener& l);     // both FINs crossed
  socket::TcpStream time_wait(socket::TcpListener& l);   // we closed first, all done

 private:
  void collect();

  socket::Stack stack_;
  ScriptDevice dev_;
  std::deque<Out> out_;
  std::optional<std::uint32_t> iss_;
  std::uint16_t our_port_ = 80;
};

}  // namespace synack::testing
