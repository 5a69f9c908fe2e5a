#include "dhcp/arp_probe.hpp"

#include "wire/arp.hpp"

namespace synack::dhcp {

ArpProbe::ArpProbe(wire::MacAddress mac, std::uint64_t seed, const ArpProbeConfig& cfg)
    : mac_(mac), cfg_(cfg), rng_(seed) {}

Duration ArpProbe::uniform(Duration lo, Duration hi) {
  // splitmix64, as the DHCP client's jitter: seeded, reproducible.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  auto span = static_cast<std::uint64_t>((hi - lo).count()) + 1;
  return lo + Duration(static_cast<std::int64_t>(z % span));
}

void ArpProbe::start(Instant now, wire::Ipv4Address candidate) {
  candidate_ = candidate;
  conflict_mac_ = wire::MacAddress();
  result_ = Result::Pending;
  sent_ = 0;
  out_.clear();
  // RFC 5227 §2.1.1: wait a random time in [0, PROBE_WAIT] first.
  deadline_ = now + uniform(Duration::zero(), cfg_.probe_wait);
}

void ArpProbe::cancel() {
  result_ = Result::Idle;
  deadline_ = kNever;
  out_.clear();
}

void ArpProbe::send_probe() {
  std::vector<std::uint8_t> f(wire::EthernetRepr::kMinFrameLen, 0);
  wire::EthernetRepr eth{wire::MacAddress::broadcast(), mac_, wire::EtherType::Arp};
  eth.emit(f);
  // RFC 5227 §2.1.1: sender IP all zeros, target hardware address zero.
  wire::ArpRepr arp{wire::ArpOperation::Request, mac_, wire::Ipv4Address(), wire::MacAddress(),
                    candidate_};
  arp.emit(std::span(f).subspan(wire::EthernetRepr::kHeaderLen));
  out_.push_back(std::move(f));
  ++sent_;
}

void ArpProbe::on_timer(Instant now) {
  if (result_ != Result::Pending || now < deadline_) return;
  if (sent_ < cfg_.probe_num) {
    send_probe();
    deadline_ = sent_ < cfg_.probe_num ? now + uniform(cfg_.probe_min, cfg_.probe_max)
                                       : now + cfg_.announce_wait;
    return;
  }
  result_ = Result::Free;
  deadline_ = kNever;
}

void ArpProbe::on_frame(Instant now, std::span<const std::uint8_t> frame) {
  (void)now;
  if (result_ != Result::Pending) return;
  auto ev = wire::EthernetView<const std::uint8_t>::checked(frame);
  if (!ev || ev->ethertype() != static_cast<std::uint16_t>(wire::EtherType::Arp)) return;
  auto av = wire::ArpView<const std::uint8_t>::checked(ev->payload());
  if (!av) return;
  auto arp = wire::ArpRepr::parse(*av);
  if (!arp || arp->sender_mac == mac_) return;  // our own probe looped back
  bool claims = arp->sender_ip == candidate_;
  // §2.1.1: another host probing for the same address at the same time.
  bool rival = arp->operation == wire::ArpOperation::Request &&
               arp->sender_ip == wire::Ipv4Address() && arp->target_ip == candidate_;
  if (!claims && !rival) return;
  result_ = Result::Conflict;
  conflict_mac_ = arp->sender_mac;
  deadline_ = kNever;
}

std::optional<std::vector<std::uint8_t>> ArpProbe::pop_frame() {
  if (out_.empty()) return std::nullopt;
  auto f = std::move(out_.front());
  out_.pop_front();
  return f;
}

}  // namespace synack::dhcp
