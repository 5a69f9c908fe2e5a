#include "support/segment_script.hpp"

#include <fmt/format.h>

#include "wire/ipv4.hpp"

namespace synack::testing {

std::string Out::describe() const {
  return fmt::format("t={}us {}>{} {} seq={} ack={} win={} len={}", to_us(at), src_port, dst_port,
                     wire::flags_to_string(flags), seq, ack, win, data.size());
}

std::optional<std::span<const std::uint8_t>> ScriptDevice::receive(Instant) {
  if (rx_.empty()) return std::nullopt;
  current_ = std::move(rx_.front());
  rx_.pop_front();
  return std::span<const std::uint8_t>(current_);
}

void ScriptDevice::transmit(Instant now, std::span<const std::uint8_t> frame) {
  tx_.emplace_back(now, std::vector<std::uint8_t>(frame.begin(), frame.end()));
}

namespace {
iface::InterfaceConfig script_config(const tcp::TcpConfig& cfg) {
  iface::InterfaceConfig c;
  c.name = "synack";
  c.address = wire::Ipv4Cidr{SegmentScript::kOurAddr, 24};
  c.tcp = cfg;
  return c;
}
}  // namespace

SegmentScript::SegmentScript(const tcp::TcpConfig& cfg) : stack_(script_config(cfg)) {}

SegmentScript::~SegmentScript() = default;

void SegmentScript::collect() {
  for (auto& [t, frame] : dev_.sent()) {
    auto v = wire::Ipv4View<const std::uint8_t>::checked(frame);
    ASSERT_TRUE(v) << "synack sent a malformed IPv4 packet";
    auto ip = wire::Ipv4Repr::parse(*v);
    ASSERT_TRUE(ip) << "bad IPv4 header from synack";
    if (ip->protocol != static_cast<std::uint8_t>(wire::IpProtocol::Tcp)) continue;
    auto tv = wire::TcpView<const std::uint8_t>::checked(v->payload());
    ASSERT_TRUE(tv);
    auto seg = wire::TcpRepr::parse(*tv, {ip->src, ip->dst, ip->protocol, ip->payload_len});
    ASSERT_TRUE(seg) << "synack sent a TCP segment with a bad checksum";
    Out o;
    o.at = t;
    o.src_port = seg->src_port;
    o.dst_port = seg->dst_port;
    o.seq = seg->seq.raw();
    o.ack = seg->ack.raw();
    o.flags = seg->flags;
    o.win = seg->window;
    o.opts = seg->options;
    o.data.assign(seg->payload.begin(), seg->payload.end());
    if ((o.flags & SYN) && !iss_) iss_ = o.seq;
    out_.push_back(std::move(o));
  }
  dev_.sent().clear();
}

void SegmentScript::run_until(Duration t) {
  Instant limit = Instant(t);
  while (true) {
    Instant next = stack_.poll_at();
    if (next > limit) break;
    if (next < now()) next = now();
    stack_.poll(next, dev_);
    collect();
    if (stack_.poll_at() <= next && next == now()) {
      // Output pending at this same instant: poll again right away.
      if (stack_.poll_at() < next) continue;
    }
  }
  if (limit > now()) stack_.set_time(limit);
}

void SegmentScript::inject(const Seg& s) {
  wire::TcpRepr r;
  r.src_port = s.src_port ? s.src_port : kPeerPort;
  r.dst_port = s.dst_port ? s.dst_port : our_port_;
  r.seq = SeqNum(s.seq);
  r.ack = SeqNum(s.ack);
  r.flags = s.flags;
  r.window = s.win;
  r.options = s.opts;
  r.payload = std::span(reinterpret_cast<const std::uint8_t*>(s.data.data()), s.data.size());
  wire::Ipv4Repr ip{kPeerAddr, kOurAddr, static_cast<std::uint8_t>(wire::IpProtocol::Tcp), 64,
                    1,         true,     static_cast<std::uint16_t>(r.total_len())};
  std::vector<std::uint8_t> pkt(ip.header_len() + r.total_len());
  r.emit(std::span(pkt).subspan(ip.header_len()), kPeerAddr, kOurAddr);
  ip.emit(pkt);
  dev_.push(std::move(pkt));
  stack_.poll(now(), dev_);
  collect();
}

Out SegmentScript::expect_at(Duration t, const char* file, int line) {
  if (out_.empty()) run_until(t);
  if (out_.empty()) {
    ADD_FAILURE_AT(file, line) << "expected a segment at " << to_us(Instant(t)) << "us, got none";
    return {};
  }
  Out o = out_.front();
  out_.pop_front();
  if (o.at != Instant(t)) {
    ADD_FAILURE_AT(file, line) << "segment at the wrong time: expected " << to_us(Instant(t))
                               << "us, got " << o.describe();
  }
  return o;
}

Out SegmentScript::expect(Duration t, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                          const char* file, int line) {
  Out o = expect_at(t, file, line);
  if (o.flags != flags || o.seq != seq || ((flags & ACK) && o.ack != ack)) {
    ADD_FAILURE_AT(file, line) << "expected " << wire::flags_to_string(flags) << " seq=" << seq
                               << " ack=" << ack << ", got " << o.describe();
  }
  return o;
}

Out SegmentScript::expect_any_seq(Duration t, std::uint8_t flags, std::uint32_t ack,
                                  const char* file, int line) {
  Out o = expect_at(t, file, line);
  if (o.flags != flags || ((flags & ACK) && o.ack != ack)) {
    ADD_FAILURE_AT(file, line) << "expected " << wire::flags_to_string(flags) << " ack=" << ack
                               << ", got " << o.describe();
  }
  return o;
}

void SegmentScript::expect_silence_until(Duration t, const char* file, int line) {
  run_until(t);
  if (!out_.empty()) {
    ADD_FAILURE_AT(file, line) << "expected silence until " << to_us(Instant(t)) << "us, got "
                               << out_.front().describe();
    out_.clear();
  }
}

socket::TcpListener SegmentScript::listen(std::uint16_t port) {
  our_port_ = port;
  auto l = stack_.listen(port);
  EXPECT_TRUE(l);
  return std::move(*l);
}

socket::TcpStream SegmentScript::established_passive(socket::TcpListener& l,
                                                     std::uint32_t peer_isn) {
  Duration t = elapsed();
  inject(Seg::syn(peer_isn));
  Out synack = expect(t, SYN | ACK, iss(), peer_isn + 1);
  EXPECT_EQ(synack.seq, iss());
  inject(Seg::make(ACK, peer_isn + 1, iss() + 1));
  auto s = l.accept();
  EXPECT_TRUE(s.has_value()) << "handshake did not complete";
  EXPECT_EQ(s->state(), tcp::TcpState::Established);
  return std::move(*s);
}

socket::TcpStream SegmentScript::established_active(std::uint32_t peer_isn) {
  Duration t = elapsed();
  auto s = stack_.connect(kPeerAddr, kPeerPort);
  EXPECT_TRUE(s);
  flush();
  Out syn = expect(t, SYN, iss(), 0);
  our_port_ = syn.src_port;
  Seg sa = Seg::make(SYN | ACK, peer_isn, iss() + 1);
  sa.opts.mss = 1460;
  inject(sa);
  expect(t, ACK, iss() + 1, peer_isn + 1);
  EXPECT_EQ(s->state(), tcp::TcpState::Established);
  return std::move(*s);
}

socket::TcpStream SegmentScript::syn_sent() {
  Duration t = elapsed();
  auto c = stack_.connect(kPeerAddr, kPeerPort);
  EXPECT_TRUE(c);
  flush();
  Out syn = expect(t, SYN, iss(), 0);
  our_port_ = syn.src_port;
  return std::move(*c);
}

socket::TcpStream SegmentScript::syn_received_active() {
  auto c = syn_sent();
  inject(Seg::syn(7000));
  expect(elapsed(), SYN | ACK, iss(), 7001);
  EXPECT_EQ(c.state(), tcp::TcpState::SynReceived);
  return c;
}

socket::TcpStream SegmentScript::fin_wait_1(socket::TcpListener& l) {
  auto c = established_passive(l);
  c.close();
  flush();
  expect(elapsed(), FIN | ACK, iss() + 1, 1001);
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait1);
  return c;
}

socket::TcpStream SegmentScript::fin_wait_2(socket::TcpListener& l) {
  auto c = fin_wait_1(l);
  inject(Seg::make(ACK, 1001, iss() + 2));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
  return c;
}

socket::TcpStream SegmentScript::close_wait(socket::TcpListener& l) {
  auto c = established_passive(l);
  inject(Seg::make(FIN | ACK, 1001, iss() + 1));
  expect(elapsed(), ACK, iss() + 1, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::CloseWait);
  return c;
}

socket::TcpStream SegmentScript::last_ack(socket::TcpListener& l) {
  auto c = close_wait(l);
  c.close();
  flush();
  expect(elapsed(), FIN | ACK, iss() + 1, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::LastAck);
  return c;
}

socket::TcpStream SegmentScript::closing(socket::TcpListener& l) {
  auto c = fin_wait_1(l);
  inject(Seg::make(FIN | ACK, 1001, iss() + 1));
  expect(elapsed(), ACK, iss() + 2, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::Closing);
  return c;
}

socket::TcpStream SegmentScript::time_wait(socket::TcpListener& l) {
  auto c = fin_wait_2(l);
  inject(Seg::make(FIN | ACK, 1001, iss() + 2));
  expect(elapsed(), ACK, iss() + 2, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::TimeWait);
  return c;
}

}  // namespace synack::testing
