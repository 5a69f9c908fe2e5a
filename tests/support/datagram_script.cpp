#include "support/datagram_script.hpp"

#include <fmt/format.h>

#include "wire/icmp.hpp"
#include "wire/udp.hpp"

namespace synack::testing {

std::string SentPacket::describe() const {
  if (protocol == static_cast<std::uint8_t>(wire::IpProtocol::Udp))
    return fmt::format("t={}us UDP {}:{} > {}:{} '{}'", to_us(at), src.to_string(), src_port,
                       dst.to_string(), dst_port, payload);
  if (protocol == static_cast<std::uint8_t>(wire::IpProtocol::Icmp))
    return fmt::format("t={}us ICMP type {} code {} to {}", to_us(at), icmp_type, icmp_code,
                       dst.to_string());
  return fmt::format("t={}us protocol {}", to_us(at), protocol);
}

DatagramScript::DatagramScript(const std::function<void(iface::InterfaceConfig&)>& tweak) {
  iface::InterfaceConfig c;
  c.name = "synack";
  c.address = wire::Ipv4Cidr{kOurAddr, 24};
  if (tweak) tweak(c);
  stack_ = std::make_unique<socket::Stack>(c);
}

void DatagramScript::collect() {
  for (auto& [t, frame] : dev_.sent()) {
    auto v = wire::Ipv4View<const std::uint8_t>::checked(frame);
    ASSERT_TRUE(v) << "synack sent a malformed IPv4 packet";
    auto ip = wire::Ipv4Repr::parse(*v);
    ASSERT_TRUE(ip) << "bad IPv4 header from synack";
    SentPacket p;
    p.at = t;
    p.src = ip->src;
    p.dst = ip->dst;
    p.protocol = ip->protocol;
    p.bytes = frame;
    if (ip->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Udp)) {
      auto uv = wire::UdpView<const std::uint8_t>::checked(v->payload());
      ASSERT_TRUE(uv);
      ASSERT_NE(uv->checksum(), 0) << "synack sent a UDP datagram without checksum";
      auto d = wire::UdpRepr::parse(*uv, {ip->src, ip->dst, ip->protocol, ip->payload_len});
      ASSERT_TRUE(d) << "synack sent a UDP datagram with a bad checksum";
      p.src_port = d->src_port;
      p.dst_port = d->dst_port;
      p.payload.assign(d->payload.begin(), d->payload.end());
    } else if (ip->protocol == static_cast<std::uint8_t>(wire::IpProtocol::Icmp)) {
      auto icmp = wire::IcmpRepr::parse(v->payload());
      ASSERT_TRUE(icmp) << "synack sent a bad ICMP message";
      p.icmp_type = static_cast<std::uint8_t>(icmp->type);
      p.icmp_code = icmp->code;
      p.icmp_data.assign(icmp->data.begin(), icmp->data.end());
    }
    out_.push_back(std::move(p));
  }
  dev_.sent().clear();
}

void DatagramScript::run_until(Duration t) {
  Instant limit = Instant(t);
  while (true) {
    Instant next = stack_->poll_at();
    if (next > limit) break;
    if (next < now()) next = now();
    stack_->poll(next, dev_);
    collect();
    if (stack_->poll_at() <= next && next == now() && stack_->poll_at() < next) continue;
  }
  if (limit > now()) stack_->set_time(limit);
}

void DatagramScript::inject_packet(std::vector<std::uint8_t> packet) {
  dev_.push(std::move(packet));
  stack_->poll(now(), dev_);
  collect();
}

std::vector<std::uint8_t> DatagramScript::inject_udp(std::uint16_t src_port, std::uint16_t dst_port,
                                                     std::string_view payload,
                                                     wire::Ipv4Address src) {
  wire::UdpRepr d;
  d.src_port = src_port;
  d.dst_port = dst_port;
  d.payload = std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  wire::Ipv4Repr ip{src, kOurAddr, static_cast<std::uint8_t>(wire::IpProtocol::Udp), 64,
                    1,   true,     static_cast<std::uint16_t>(d.total_len())};
  std::vector<std::uint8_t> pkt(ip.header_len() + d.total_len());
  d.emit(std::span(pkt).subspan(ip.header_len()), src, kOurAddr);
  ip.emit(pkt);
  inject_packet(pkt);
  return pkt;
}

void DatagramScript::inject_port_unreachable(const std::vector<std::uint8_t>& offending) {
  wire::IcmpRepr icmp;
  icmp.type = wire::IcmpType::DestUnreachable;
  icmp.code = wire::icmp_unreach::kPort;
  icmp.data = std::span(offending).first(std::min<std::size_t>(offending.size(), 28));
  wire::Ipv4Repr ip{kPeerAddr, kOurAddr, static_cast<std::uint8_t>(wire::IpProtocol::Icmp), 64,
                    2,         true,     static_cast<std::uint16_t>(icmp.total_len())};
  std::vector<std::uint8_t> pkt(ip.header_len() + icmp.total_len());
  icmp.emit(std::span(pkt).subspan(ip.header_len()));
  ip.emit(pkt);
  inject_packet(std::move(pkt));
}

SentPacket DatagramScript::expect_at(Duration t, const char* file, int line) {
  if (out_.empty()) run_until(t);
  if (out_.empty()) {
    ADD_FAILURE_AT(file, line) << "expected a packet at " << to_us(Instant(t)) << "us, got none";
    return {};
  }
  SentPacket p = out_.front();
  out_.pop_front();
  if (p.at != Instant(t))
    ADD_FAILURE_AT(file, line) << "packet at the wrong time: expected " << to_us(Instant(t))
                               << "us, got " << p.describe();
  return p;
}

SentPacket DatagramScript::expect_udp(Duration t, std::uint16_t src_port, std::uint16_t dst_port,
                                      std::string_view payload, const char* file, int line) {
  SentPacket p = expect_at(t, file, line);
  if (p.protocol != static_cast<std::uint8_t>(wire::IpProtocol::Udp) || p.src_port != src_port ||
      p.dst_port != dst_port || p.payload != payload)
    ADD_FAILURE_AT(file, line) << "expected UDP " << src_port << " > " << dst_port << " '"
                               << payload << "', got " << p.describe();
  return p;
}

SentPacket DatagramScript::expect_icmp(Duration t, std::uint8_t type, std::uint8_t code,
                                       const char* file, int line) {
  SentPacket p = expect_at(t, file, line);
  if (p.protocol != static_cast<std::uint8_t>(wire::IpProtocol::Icmp) || p.icmp_type != type ||
      p.icmp_code != code)
    ADD_FAILURE_AT(file, line) << "expected ICMP type " << int(type) << " code " << int(code)
                               << ", got " << p.describe();
  return p;
}

void DatagramScript::expect_silence_until(Duration t, const char* file, int line) {
  run_until(t);
  if (!out_.empty()) {
    ADD_FAILURE_AT(file, line) << "expected silence until " << to_us(Instant(t)) << "us, got "
                               << out_.front().describe();
    out_.clear();
  }
}

}  // namespace synack::testing
