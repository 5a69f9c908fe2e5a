#include "apps/nat/nat_pmp_server.hpp"

namespace synack::nat {

NatPmpServer::NatPmpServer(NatEngine& engine, Instant start)
    : engine_(engine), epoch_start_(start), next_announce_(start) {}

void NatPmpServer::restart(Instant now) {
  epoch_start_ = now;
  next_announce_ = now;
  announce_gap_ = std::chrono::milliseconds(250);
  announced_ = 0;
}

std::uint32_t NatPmpServer::epoch(Instant now) const {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - epoch_start_).count();
  return s < 0 ? 0 : static_cast<std::uint32_t>(s);
}

std::optional<std::vector<std::uint8_t>> NatPmpServer::announcement(Instant now) {
  if (next_announce_ > now) return std::nullopt;
  if (!engine_.has_outside_address()) {  // nothing to announce until a lease
    next_announce_ = kNever;
    return std::nullopt;
  }
  ++announced_;
  ++counters_.announcements;
  if (announced_ >= kAnnouncements) {
    next_announce_ = kNever;
  } else {
    next_announce_ = now + announce_gap_;
    announce_gap_ *= 2;
  }
  return pmp_external_address_response(PmpResultCode::Success, epoch(now),
                                       engine_.config().outside.address);
}

std::vector<std::uint8_t> NatPmpServer::on_request(Instant now, Endpoint client,
                                                   std::span<const std::uint8_t> data) {
  PmpParsed p = parse_pmp_request(data);
  const wire::Ipv4Cidr& inside = engine_.config().inside;
  if (p.kind == PmpParsed::Kind::Ignore || !inside.contains(client.addr) ||
      client.addr == inside.address) {
    ++counters_.ignored;
    return {};
  }
  ++counters_.requests;
  std::uint32_t ep = epoch(now);
  if (p.kind == PmpParsed::Kind::Error) {
    ++counters_.errors;
    return pmp_error_response(data, p.opcode, p.error, ep);
  }
  const PmpRequest& r = p.request;
  if (!engine_.has_outside_address()) {
    // §3.2: no external address yet (the outside link awaits a DHCP lease).
    ++counters_.errors;
    if (r.opcode == PmpOpcode::ExternalAddress)
      return pmp_external_address_response(PmpResultCode::NetworkFailure, ep, wire::Ipv4Address());
    return pmp_map_response(static_cast<std::uint8_t>(r.opcode), PmpResultCode::NetworkFailure, ep,
                            r.internal_port, 0, 0);
  }
  if (r.opcode == PmpOpcode::ExternalAddress)
    return pmp_external_address_response(PmpResultCode::Success, ep,
                                         engine_.config().outside.address);
  Protocol proto = r.opcode == PmpOpcode::MapTcp ? Protocol::Tcp : Protocol::Udp;
  std::uint8_t op = static_cast<std::uint8_t>(r.opcode);
  if (r.internal_port == 0 && r.lifetime != 0) {
    // §3.4: internal port 0 is only meaningful for deleting all mappings.
    ++counters_.errors;
    return pmp_map_response(op, PmpResultCode::NotAuthorized, ep, 0, 0, 0);
  }
  PmpMapResult m =
      engine_.pmp_map(now, proto, {client.addr, r.internal_port}, r.suggested_port, r.lifetime);
  if (m.code != PmpMapResult::Code::Success) {
    ++counters_.errors;
    return pmp_map_response(op, static_cast<PmpResultCode>(m.code), ep, r.internal_port, 0, 0);
  }
  if (r.lifetime == 0) {
    ++counters_.deleted;
    return pmp_map_response(op, PmpResultCode::Success, ep, r.internal_port, 0, 0);
  }
  ++counters_.mapped;
  return pmp_map_response(op, PmpResultCode::Success, ep, r.internal_port, m.external_port,
                          m.lifetime);
}

}  // namespace synack::nat
