#pragma once
// A passive open whose SYN offers SACK-permitted and/or timestamps, for the
// scripts of the data path (SACK, timestamps, recovery). Peer ISN 1000; the
// peer's TSval starts at `peer_ts` and the completing ACK carries peer_ts + 1.
#include "support/segment_script.hpp"

namespace synack::testing {

struct NegotiatedOpen {
  bool sack = true;
  bool timestamps = false;
  std::uint32_t peer_ts = 100;
  std::uint16_t mss = 1460;
  std::uint16_t window = 65535;
  Duration rtt{0};  // how long after the SYN-ACK the completing ACK comes
};

inline socket::TcpStream open_negotiated(SegmentScript& s, socket::TcpListener& l,
                                         NegotiatedOpen o = {}) {
  Duration t = s.elapsed();
  Seg syn = Seg::syn(1000, o.mss);
  syn.win = o.window;
  syn.opts.sack_permitted = o.sack;
  if (o.timestamps) syn.opts.timestamps = wire::TcpTimestamps{o.peer_ts, 0};
  s.inject(syn);
  Out synack = s.expect(t, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(synack.opts.sack_permitted, o.sack);
  EXPECT_EQ(synack.opts.timestamps.has_value(), o.timestamps);
  if (o.rtt > Duration{0}) s.run_until(t + o.rtt);
  Seg ack = Seg::make(ACK, 1001, s.iss() + 1, {}, o.window);
  if (o.timestamps && synack.opts.timestamps)
    ack.opts.timestamps = wire::TcpTimestamps{o.peer_ts + 1, synack.opts.timestamps->tsval};
  s.inject(ack);
  auto c = l.accept();
  EXPECT_TRUE(c.has_value()) << "handshake did not complete";
  return std::move(*c);
}

// Writes n full segments' worth and expects all n to leave now, back to back
// (PSH on the last). Returns the first one's sequence number.
inline std::uint32_t send_full_segments(SegmentScript& s, socket::TcpStream& c, std::uint32_t n,
                                        std::uint32_t mss) {
  const std::uint32_t base = s.iss() + 1;
  c.write(std::string(n * mss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < n; ++i)
    s.expect(s.elapsed(), i + 1 == n ? PSH | ACK : ACK, base + i * mss, 1001);
  return base;
}

// A SACK option with the given blocks (absolute sequence numbers).
inline wire::TcpOptions sack_blocks(std::initializer_list<wire::SackBlock> blocks) {
  wire::TcpOptions o;
  for (const auto& b : blocks)
    o.sack[o.sack_count++] = b;
  return o;
}

}  // namespace synack::testing
