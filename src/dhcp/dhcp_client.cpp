#include "dhcp/dhcp_client.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synack::dhcp {

using namespace std::chrono_literals;

std::string_view to_string(DhcpState s) {
  switch (s) {
    case DhcpState::Init:
      return "INIT";
    case DhcpState::Selecting:
      return "SELECTING";
    case DhcpState::Requesting:
      return "REQUESTING";
    case DhcpState::Bound:
      return "BOUND";
    case DhcpState::Renewing:
      return "RENEWING";
    case DhcpState::Rebinding:
      return "REBINDING";
    case DhcpState::Rebooting:
      return "REBOOTING";
  }
  return "?";
}

std::string_view to_string(DhcpEvent::Kind k) {
  switch (k) {
    case DhcpEvent::Kind::Leased:
      return "leased";
    case DhcpEvent::Kind::Renewed:
      return "renewed";
    case DhcpEvent::Kind::Changed:
      return "changed";
    case DhcpEvent::Kind::Nak:
      return "nak";
    case DhcpEvent::Kind::Expired:
      return "expired";
    case DhcpEvent::Kind::Ignored:
      return "ignored";
    case DhcpEvent::Kind::Declined:
      return "declined";
  }
  return "?";
}

namespace {

std::string lease_details(const DhcpLease& l) {
  std::string s;
  if (l.router) s += " router " + l.router->to_string();
  if (!l.dns_servers.empty()) {
    s += " dns ";
    for (std::size_t i = 0; i < l.dns_servers.count; ++i)
      s += (i ? "," : "") + l.dns_servers.items[i].to_string();
  }
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(l.lease_time).count();
  s += fmt::format(" lease {}s", secs);
  return s;
}

// The prefix a subnet mask gives, or nullopt when its ones are not contiguous.
std::optional<std::uint8_t> prefix_of(wire::Ipv4Address mask) {
  std::uint32_t m = mask.to_u32();
  std::uint8_t n = 0;
  while (n < 32 && (m & (0x80000000u >> n)))
    ++n;
  std::uint32_t expect = n == 0 ? 0 : ~std::uint32_t(0) << (32 - n);
  if (m != expect) return std::nullopt;
  return n;
}

// RFC 2131 §4.4.1 leaves a missing mask to the client: the class's.
std::uint8_t classful_prefix(wire::Ipv4Address a) {
  std::uint32_t top = a.to_u32() >> 24;
  if (top < 128) return 8;
  if (top < 192) return 16;
  return 24;
}

}  // namespace

std::string describe(const DhcpEvent& e) {
  switch (e.kind) {
    case DhcpEvent::Kind::Leased:
      return "leased " + e.lease->address.to_string() + lease_details(*e.lease) +
             (e.reason.empty() ? "" : " (" + e.reason + ")");
    case DhcpEvent::Kind::Renewed:
      return fmt::format(
          "renewed {} lease {}s", e.lease->address.to_string(),
          std::chrono::duration_cast<std::chrono::seconds>(e.lease->lease_time).count());
    case DhcpEvent::Kind::Changed:
      return "changed " + e.previous->address.to_string() + " -> " + e.lease->address.to_string() +
             lease_details(*e.lease);
    case DhcpEvent::Kind::Nak: {
      std::string s = "nak from " + e.from.to_string();
      if (!e.reason.empty()) s += " (" + e.reason + ")";
      if (e.previous) s += ": dropped " + e.previous->address.to_string();
      return s;
    }
    case DhcpEvent::Kind::Expired:
      return "expired " + (e.previous ? e.previous->address.to_string() : std::string("lease"));
    case DhcpEvent::Kind::Ignored:
      return "ignored a message from " + e.from.to_string() + ": " + e.reason;
    case DhcpEvent::Kind::Declined:
      return "declined " + e.previous->address.to_string() + " (" + e.reason +
             "): discovering again in 10s";
  }
  return "?";
}

DhcpClient::DhcpClient(const DhcpClientConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {
  client_id_ = cfg.client_id;
  if (client_id_.empty()) {
    client_id_.push_back(1);
    for (auto b : cfg.mac.bytes())
      client_id_.push_back(b);
  }
}

std::uint64_t DhcpClient::next_random() {
  // splitmix64: small, seedable, good enough for xids and jitter.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Duration DhcpClient::backoff(int attempt) {
  Duration base = cfg_.retransmit_initial;
  for (int i = 0; i < attempt && base < cfg_.retransmit_max; ++i)
    base *= 2;
  base = std::min(base, cfg_.retransmit_max);
  if (cfg_.jitter.count() > 0) {
    auto span = static_cast<std::uint64_t>(2 * cfg_.jitter.count() + 1);
    base += Duration(static_cast<std::int64_t>(next_random() % span)) - cfg_.jitter;
  }
  return base;
}

Duration DhcpClient::renew_wait(Instant now, Instant until) const {
  Duration half = (until - now) / 2;
  return std::max(half, cfg_.renew_retransmit_min);
}

void DhcpClient::start(Instant now) {
  lease_.reset();
  consecutive_naks_ = 0;
  enter_init(now, Duration::zero());
}

void DhcpClient::enter_init(Instant now, Duration delay) {
  state_ = DhcpState::Init;
  lease_.reset();
  if (delay <= Duration::zero()) {
    send_discover(now);
  } else {
    deadline_ = now + delay;
  }
}

DhcpRepr DhcpClient::base(DhcpMessageType type, Instant now) const {
  static constexpr std::uint8_t kParams[] = {option::kSubnetMask,  option::kRouter,
                                             option::kDnsServer,   option::kLeaseTime,
                                             option::kRenewalTime, option::kRebindingTime};
  DhcpRepr r;
  r.op = DhcpOp::Request;
  r.message_type = type;
  r.xid = xid_;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
  r.secs = static_cast<std::uint16_t>(std::clamp<std::int64_t>(secs, 0, 0xffff));
  // RFC 2131 §4.4.1: the REQUEST answering an offer carries the DISCOVER's
  // secs; Table 5: DECLINE and RELEASE carry 0.
  if (type == DhcpMessageType::Request && state_ == DhcpState::Requesting) r.secs = discover_secs_;
  if (type == DhcpMessageType::Decline || type == DhcpMessageType::Release) r.secs = 0;
  r.broadcast = cfg_.broadcast_flag;
  r.chaddr = cfg_.mac;
  r.client_id = client_id_;
  // RFC 2131 Table 5: the host name and the parameter request list only in
  // DISCOVER and REQUEST ("MUST NOT" in DECLINE and RELEASE).
  if (type == DhcpMessageType::Discover || type == DhcpMessageType::Request) {
    if (!cfg_.host_name.empty())
      r.host_name = std::span(reinterpret_cast<const std::uint8_t*>(cfg_.host_name.data()),
                              cfg_.host_name.size());
    r.parameter_list = kParams;
  }
  return r;
}

void DhcpClient::queue(const DhcpRepr& r, wire::Ipv4Address dst) {
  DhcpTransmit t;
  t.dst = dst;
  t.type = r.message_type;
  t.payload.resize(r.buffer_len());
  r.emit(t.payload);
  tx_.push_back(std::move(t));
  ++counters_.sent;
}

void DhcpClient::send_discover(Instant now) {
  state_ = DhcpState::Selecting;
  xid_ = static_cast<std::uint32_t>(next_random());
  started_ = now;
  attempt_ = 0;
  DhcpRepr d = base(DhcpMessageType::Discover, now);
  discover_secs_ = d.secs;
  queue(d, wire::Ipv4Address::broadcast());
  deadline_ = now + backoff(0);
}

void DhcpClient::send_request(Instant now) {
  DhcpRepr r = base(DhcpMessageType::Request, now);
  wire::Ipv4Address dst = wire::Ipv4Address::broadcast();
  if (state_ == DhcpState::Requesting) {
    r.requested_ip = offered_;
    r.server_id = offer_server_;
  } else if (state_ == DhcpState::Rebooting) {
    // RFC 2131 §4.3.2 INIT-REBOOT: option 50 filled in, no server
    // identifier, ciaddr 0, broadcast.
    r.requested_ip = lease_->address.address;
  } else {
    r.ciaddr = lease_->address.address;
    // RFC 2131 §4.3.2: a renewing client unicasts and must not set the
    // broadcast bit (it can receive unicast).
    r.broadcast = false;
    if (state_ == DhcpState::Renewing) dst = lease_->server;
  }
  queue(r, dst);
}

void DhcpClient::on_timer(Instant now) {
  if (now < deadline_) return;
  switch (state_) {
    case DhcpState::Init:
      send_discover(now);
      break;
    case DhcpState::Selecting: {
      ++attempt_;
      DhcpRepr d = base(DhcpMessageType::Discover, now);
      discover_secs_ = d.secs;
      queue(d, wire::Ipv4Address::broadcast());
      deadline_ = now + backoff(attempt_);
      break;
    }
    case DhcpState::Rebooting:
      if (attempt_ >= 4) {  // the back-off is over with no answer (§4.4.2)
        finish_reboot(now);
        break;
      }
      ++attempt_;
      send_request(now);
      deadline_ = now + backoff(attempt_);
      break;
    case DhcpState::Requesting:
      if (attempt_ >= 4) {  // the 64 s wait is over: start again (§4.4.1)
        enter_init(now, Duration::zero());
        break;
      }
      ++attempt_;
      send_request(now);
      deadline_ = now + backoff(attempt_);
      break;
    case DhcpState::Bound:
      state_ = DhcpState::Renewing;
      xid_ = static_cast<std::uint32_t>(next_random());
      started_ = requested_at_ = now;
      [[fallthrough]];
    case DhcpState::Renewing:
      if (now >= lease_->rebind_at()) {
        state_ = DhcpState::Rebinding;
        [[fallthrough]];
      } else {
        send_request(now);
        deadline_ = std::min(now + renew_wait(now, lease_->rebind_at()), lease_->rebind_at());
        break;
      }
    case DhcpState::Rebinding:
      if (now >= lease_->expires_at()) {
        DhcpEvent e;
        e.kind = DhcpEvent::Kind::Expired;
        e.previous = lease_;
        events_.push_back(std::move(e));
        enter_init(now, Duration::zero());
        break;
      }
      send_request(now);
      deadline_ = std::min(now + renew_wait(now, lease_->expires_at()), lease_->expires_at());
      break;
  }
}

void DhcpClient::on_message(Instant now, std::span<const std::uint8_t> payload,
                            wire::Ipv4Address from) {
  ++counters_.received;
  auto view = DhcpView<const std::uint8_t>::checked(payload);
  auto repr = view ? DhcpRepr::parse(*view) : Result<DhcpRepr, wire::WireError>(view.error());
  if (!repr) {
    ++counters_.malformed;
    DhcpEvent e;
    e.kind = DhcpEvent::Kind::Ignored;
    e.from = from;
    e.reason = std::string(wire::to_string(repr.error()));
    events_.push_back(std::move(e));
    return;
  }
  const DhcpRepr& r = *repr;
  from_ = from;
  if (r.op != DhcpOp::Reply || r.xid != xid_ || r.chaddr != cfg_.mac || state_ == DhcpState::Init ||
      state_ == DhcpState::Bound) {
    ++counters_.unexpected;
    return;
  }
  switch (r.message_type) {
    case DhcpMessageType::Offer:
      if (state_ == DhcpState::Selecting) return on_offer(now, r);
      break;
    case DhcpMessageType::Ack:
      if (state_ != DhcpState::Selecting) return on_ack(now, r);
      break;
    case DhcpMessageType::Nak:
      if (state_ != DhcpState::Selecting) return on_nak(now, r, from);
      break;
    default:
      break;
  }
  ++counters_.unexpected;
}

void DhcpClient::ignore(const DhcpRepr& r, std::string why) {
  ++counters_.unexpected;
  DhcpEvent e;
  e.kind = DhcpEvent::Kind::Ignored;
  e.from = r.server_id.value_or(from_);
  e.reason = std::move(why);
  events_.push_back(std::move(e));
}

static std::optional<std::string> unusable(const DhcpRepr& r, bool need_server_id) {
  const char* what = r.message_type == DhcpMessageType::Offer ? "offer" : "ack";
  std::uint32_t y = r.yiaddr.to_u32();
  if (y == 0 || y == 0xffffffffu || (y >> 28) >= 0xe || (y >> 24) == 127 || (y >> 24) == 0)
    return fmt::format("{} of an unusable address {}", what, r.yiaddr.to_string());
  // RFC 2131 §3.1 step 2 / Table 3: an OFFER MUST carry the server
  // identifier (the REQUEST names it), an ACK SHOULD.
  if (need_server_id && !r.server_id) return fmt::format("{} without a server identifier", what);
  // RFC 2131 Table 3: the lease time is a MUST in OFFER and ACK; 0 s
  // would leave the address the moment it is configured.
  if (!r.lease_time) return fmt::format("{} without a lease time", what);
  if (*r.lease_time == 0) return fmt::format("{} with lease time 0", what);
  std::uint8_t prefix = classful_prefix(r.yiaddr);
  if (r.subnet_mask) {
    auto p = prefix_of(*r.subnet_mask);
    // RFC 950 masks are contiguous ones; /31 and /32 leave no router on
    // the subnet, /0 no subnet at all.
    if (!p || *p == 0 || *p > 30)
      return fmt::format("{} with an invalid subnet mask {}", what, r.subnet_mask->to_string());
    prefix = *p;
  }
  wire::Ipv4Cidr net{r.yiaddr, prefix};
  if (!r.routers.empty()) {
    wire::Ipv4Address gw = r.routers.items[0];
    bool host_part_zero = (gw.to_u32() & ~net.netmask()) == 0;
    if (!net.contains(gw) || gw == r.yiaddr || gw == net.broadcast() || host_part_zero)
      return fmt::format("{} of {} with a router {} outside the subnet", what, net.to_string(),
                         gw.to_string());
  }
  return std::nullopt;
}

void DhcpClient::on_offer(Instant now, const DhcpRepr& r) {
  if (auto why = unusable(r, true)) return ignore(r, *why);
  ++counters_.offers;
  offered_ = r.yiaddr;
  offer_server_ = *r.server_id;
  state_ = DhcpState::Requesting;
  attempt_ = 0;
  requested_at_ = now;
  send_request(now);
  deadline_ = now + backoff(0);
}

void DhcpClient::on_ack(Instant now, const DhcpRepr& r) {
  (void)now;
  if (auto why = unusable(r, false)) return ignore(r, *why);
  ++counters_.acks;
  DhcpLease l;
  std::optional<std::uint8_t> prefix;
  if (r.subnet_mask) prefix = prefix_of(*r.subnet_mask);
  l.address = wire::Ipv4Cidr{r.yiaddr, prefix.value_or(classful_prefix(r.yiaddr))};
  if (!r.routers.empty()) l.router = r.routers.items[0];
  l.dns_servers = r.dns_servers;
  l.server = r.server_id.value_or(state_ == DhcpState::Requesting ? offer_server_ : lease_->server);
  constexpr std::uint32_t kInfinite = 0xffffffffu;
  auto secs = [](std::uint32_t s) { return Duration(std::chrono::seconds(s)); };
  // An infinite lease is held for ~136 years: far enough.
  Duration lease = secs(*r.lease_time == kInfinite ? kInfinite - 1 : *r.lease_time);
  lease = std::max(lease, cfg_.lease_min);
  Duration t2 = lease * 7 / 8;
  if (r.rebinding_time && secs(*r.rebinding_time) > Duration::zero() &&
      secs(*r.rebinding_time) < lease)
    t2 = secs(*r.rebinding_time);
  Duration t1 = lease / 2;
  if (t1 >= t2) t1 = t2 / 2;
  if (r.renewal_time && secs(*r.renewal_time) > Duration::zero() && secs(*r.renewal_time) < t2)
    t1 = secs(*r.renewal_time);
  l.lease_time = lease;
  l.t1 = t1;
  l.t2 = t2;
  l.acquired = requested_at_;

  DhcpEvent e;
  if (state_ == DhcpState::Requesting || state_ == DhcpState::Rebooting || !lease_) {
    e.kind = DhcpEvent::Kind::Leased;
  } else {
    e.kind = l.same_config(*lease_) ? DhcpEvent::Kind::Renewed : DhcpEvent::Kind::Changed;
    e.previous = lease_;
  }
  e.from = l.server;
  lease_ = l;
  e.lease = l;
  events_.push_back(std::move(e));
  consecutive_naks_ = 0;
  state_ = DhcpState::Bound;
  deadline_ = l.renew_at();
}

void DhcpClient::on_nak(Instant now, const DhcpRepr& r, wire::Ipv4Address from) {
  ++counters_.naks;
  DhcpEvent e;
  e.kind = DhcpEvent::Kind::Nak;
  e.from = r.server_id.value_or(from);
  e.previous = lease_;
  for (auto c : r.message)
    if (c >= 0x20 && c < 0x7f) e.reason += static_cast<char>(c);
  events_.push_back(std::move(e));
  ++consecutive_naks_;
  enter_init(now, consecutive_naks_ <= 1 ? Duration::zero() : backoff(consecutive_naks_ - 2));
}

void DhcpClient::release(Instant now) {
  if (!lease_) return;
  DhcpRepr r = base(DhcpMessageType::Release, now);
  r.xid = xid_ = static_cast<std::uint32_t>(next_random());
  r.secs = 0;
  r.broadcast = false;
  r.ciaddr = lease_->address.address;
  r.server_id = lease_->server;
  queue(r, lease_->server);
  lease_.reset();
  state_ = DhcpState::Init;
  deadline_ = kNever;
}

void DhcpClient::reboot(Instant now, const DhcpLease& remembered) {
  consecutive_naks_ = 0;
  if (now >= remembered.expires_at()) return start(now);
  lease_ = remembered;
  state_ = DhcpState::Rebooting;
  xid_ = static_cast<std::uint32_t>(next_random());
  started_ = requested_at_ = now;
  attempt_ = 0;
  send_request(now);
  deadline_ = now + backoff(0);
}

void DhcpClient::finish_reboot(Instant now) {
  DhcpEvent e;
  if (now >= lease_->expires_at()) {
    e.kind = DhcpEvent::Kind::Expired;
    e.previous = lease_;
    events_.push_back(std::move(e));
    return enter_init(now, Duration::zero());
  }
  // RFC 2131 §4.4.2: no ACK nor NAK after the retransmissions: the client
  // MAY use the remembered lease for the rest of its time. Its T1, T2 and
  // end stay where they were.
  e.kind = DhcpEvent::Kind::Leased;
  e.lease = lease_;
  e.from = lease_->server;
  e.reason = "remembered, not confirmed";
  events_.push_back(std::move(e));
  state_ = DhcpState::Bound;
  deadline_ = std::max(now, lease_->renew_at());
}

void DhcpClient::decline(Instant now, std::string_view why) {
  if (!lease_) return;
  DhcpRepr r = base(DhcpMessageType::Decline, now);
  // RFC 2131 Table 5: DECLINE carries the address in option 50 and the
  // server identifier; ciaddr 0 (the address is not ours); broadcast.
  r.broadcast = false;
  r.requested_ip = lease_->address.address;
  r.server_id = lease_->server;
  queue(r, wire::Ipv4Address::broadcast());
  ++counters_.declines;
  DhcpEvent e;
  e.kind = DhcpEvent::Kind::Declined;
  e.previous = lease_;
  e.from = lease_->server;
  e.reason = std::string(why);
  events_.push_back(std::move(e));
  // RFC 2131 §3.1 step 5: wait at least ten seconds before restarting.
  enter_init(now, std::chrono::seconds(10));
}

std::optional<DhcpTransmit> DhcpClient::pop_transmit() {
  if (tx_.empty()) return std::nullopt;
  DhcpTransmit t = std::move(tx_.front());
  tx_.pop_front();
  return t;
}

std::optional<DhcpEvent> DhcpClient::pop_event() {
  if (events_.empty()) return std::nullopt;
  DhcpEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace synack::dhcp
