#include "dhcp/dhcp_message.hpp"

#include <cstring>

namespace synack::dhcp {

using wire::WireError;

std::string_view to_string(DhcpMessageType t) {
  switch (t) {
    case DhcpMessageType::Discover:
      return "DHCPDISCOVER";
    case DhcpMessageType::Offer:
      return "DHCPOFFER";
    case DhcpMessageType::Request:
      return "DHCPREQUEST";
    case DhcpMessageType::Decline:
      return "DHCPDECLINE";
    case DhcpMessageType::Ack:
      return "DHCPACK";
    case DhcpMessageType::Nak:
      return "DHCPNAK";
    case DhcpMessageType::Release:
      return "DHCPRELEASE";
    case DhcpMessageType::Inform:
      return "DHCPINFORM";
  }
  return "DHCP?";
}

namespace {

// The codes DhcpRepr keeps; every other option is skipped.
constexpr std::uint8_t kKnown[] = {
    option::kSubnetMask,  option::kRouter,        option::kDnsServer, option::kHostName,
    option::kRequestedIp, option::kLeaseTime,     option::kOverload,  option::kMessageType,
    option::kServerId,    option::kParameterList, option::kMessage,   option::kMaxMessageSize,
    option::kRenewalTime, option::kRebindingTime, option::kClientId};
constexpr std::size_t kKnownCount = sizeof kKnown;

// RFC 3396: every instance of a code, in the order met (options, then file,
// then sname), is one part of a single long option.
struct Fragments {
  static constexpr std::size_t kMaxParts = 16;
  std::array<std::span<const std::uint8_t>, kMaxParts> parts{};
  std::size_t count = 0;
  std::size_t total = 0;
};
using FragmentTable = std::array<Fragments, kKnownCount>;

std::optional<std::size_t> known_index(std::uint8_t code) {
  for (std::size_t k = 0; k < kKnownCount; ++k)
    if (kKnown[k] == code) return k;
  return std::nullopt;
}

// Walks one options area and adds each known option to `table`. `ended`
// says whether option 255 was seen.
std::optional<WireError> collect_options(std::span<const std::uint8_t> area, FragmentTable& table,
                                         bool& ended) {
  std::size_t i = 0;
  ended = false;
  while (i < area.size()) {
    std::uint8_t code = area[i];
    if (code == option::kPad) {
      ++i;
      continue;
    }
    if (code == option::kEnd) {
      ended = true;
      return std::nullopt;
    }
    if (i + 2 > area.size()) return WireError::BadOption;
    std::size_t len = area[i + 1];
    if (i + 2 + len > area.size()) return WireError::BadOption;
    std::span<const std::uint8_t> v = area.subspan(i + 2, len);
    i += 2 + len;
    auto k = known_index(code);
    if (!k) continue;  // an option we do not use
    Fragments& f = table[*k];
    if (f.count == Fragments::kMaxParts) return WireError::BadOption;
    f.parts[f.count++] = v;
    f.total += len;
  }
  return std::nullopt;
}

// Decodes one (possibly concatenated) option into `r`.
std::optional<WireError> decode_option(std::uint8_t code, const Fragments& f, DhcpRepr& r,
                                       bool& have_type) {
  // Fixed-size and list options are joined into one buffer (the longest
  // such value a message can hold fits); options kept as spans into the
  // message (55, 56, 61, 12) keep their first part when split, which
  // synack only shows or ignores.
  std::array<std::uint8_t, 1024> joined;
  if (f.total > joined.size()) return WireError::BadOption;
  std::size_t len = 0;
  for (std::size_t p = 0; p < f.count; ++p) {
    std::copy(f.parts[p].begin(), f.parts[p].end(), joined.begin() + len);
    len += f.parts[p].size();
  }
  std::span<const std::uint8_t> v(joined.data(), len);
  std::span<const std::uint8_t> first = f.parts[0];
  auto addr = [&]() -> std::optional<wire::Ipv4Address> {
    if (len != 4) return std::nullopt;
    return wire::Ipv4Address(wire::load_be32(v, 0));
  };
  auto u32 = [&]() -> std::optional<std::uint32_t> {
    if (len != 4) return std::nullopt;
    return wire::load_be32(v, 0);
  };
  switch (code) {
    case option::kSubnetMask:
      if (!(r.subnet_mask = addr())) return WireError::BadOption;
      break;
    case option::kRouter:
    case option::kDnsServer: {
      if (len == 0 || len % 4 != 0) return WireError::BadOption;
      AddressList& list = code == option::kRouter ? r.routers : r.dns_servers;
      for (std::size_t k = 0; k < len; k += 4)
        list.push(wire::Ipv4Address(wire::load_be32(v, k)));
      break;
    }
    case option::kHostName:
      if (len == 0) return WireError::BadOption;
      r.host_name = first;
      break;
    case option::kRequestedIp:
      if (!(r.requested_ip = addr())) return WireError::BadOption;
      break;
    case option::kLeaseTime:
      if (!(r.lease_time = u32())) return WireError::BadOption;
      break;
    case option::kRenewalTime:
      if (!(r.renewal_time = u32())) return WireError::BadOption;
      break;
    case option::kRebindingTime:
      if (!(r.rebinding_time = u32())) return WireError::BadOption;
      break;
    case option::kServerId:
      if (!(r.server_id = addr())) return WireError::BadOption;
      break;
    case option::kOverload:
      break;  // read before the file and sname areas were walked
    case option::kMessageType:
      if (len != 1 || v[0] < 1 || v[0] > 8) return WireError::BadOption;
      r.message_type = static_cast<DhcpMessageType>(v[0]);
      have_type = true;
      break;
    case option::kParameterList:
      if (len == 0) return WireError::BadOption;
      r.parameter_list = first;
      break;
    case option::kMessage:
      r.message = first;
      break;
    case option::kMaxMessageSize:
      if (len != 2 || wire::load_be16(v, 0) < 576) return WireError::BadOption;
      r.max_message_size = wire::load_be16(v, 0);
      break;
    case option::kClientId:
      if (len < 2) return WireError::BadOption;
      r.client_id = first;
      break;
  }
  return std::nullopt;
}

}  // namespace

Result<DhcpRepr, WireError> DhcpRepr::parse(const DhcpView<const std::uint8_t>& view) {
  if (view.htype() != 1 || view.hlen() != 6) return WireError::Unsupported;
  if (view.op() != 1 && view.op() != 2) return WireError::Unsupported;
  DhcpRepr r;
  r.op = static_cast<DhcpOp>(view.op());
  r.xid = view.xid();
  r.secs = view.secs();
  r.broadcast = view.broadcast();
  r.ciaddr = view.ciaddr();
  r.yiaddr = view.yiaddr();
  r.siaddr = view.siaddr();
  r.giaddr = view.giaddr();
  r.chaddr = wire::MacAddress::from_bytes(view.chaddr());
  bool have_type = false, ended = false;
  FragmentTable table{};
  if (auto e = collect_options(view.options(), table, ended)) return *e;
  if (!ended) return WireError::Truncated;
  // Option 52 counts only in the main area (RFC 2132 §9.3), and is one byte.
  std::uint8_t overload = 0;
  if (const Fragments& o = table[*known_index(option::kOverload)]; o.count > 0) {
    if (o.count != 1 || o.total != 1 || o.parts[0][0] < 1 || o.parts[0][0] > 3)
      return WireError::BadOption;
    overload = o.parts[0][0];
  }
  // RFC 3396 §7 / RFC 2132 §9.3: the file field first, then sname; their
  // instances continue the options of the main area.
  if (overload & 1) {
    if (auto e = collect_options(view.file(), table, ended)) return *e;
    if (!ended) return WireError::Truncated;
  }
  if (overload & 2) {
    if (auto e = collect_options(view.sname(), table, ended)) return *e;
    if (!ended) return WireError::Truncated;
  }
  if (table[*known_index(option::kOverload)].count > 1) return WireError::BadOption;
  for (std::size_t k = 0; k < kKnownCount; ++k)
    if (table[k].count > 0)
      if (auto e = decode_option(kKnown[k], table[k], r, have_type)) return *e;
  if (!have_type) return WireError::Unsupported;
  return r;
}

namespace {

std::size_t option_len(std::span<const std::uint8_t> v) {
  return v.empty() ? 0 : 2 + std::min<std::size_t>(v.size(), 255);
}

}  // namespace

std::size_t DhcpRepr::buffer_len() const {
  std::size_t n = DhcpView<std::uint8_t>::kOptionsAt + 3;  // message type
  if (requested_ip) n += 6;
  if (server_id) n += 6;
  if (lease_time) n += 6;
  if (renewal_time) n += 6;
  if (rebinding_time) n += 6;
  if (subnet_mask) n += 6;
  if (!routers.empty()) n += 2 + 4 * routers.count;
  if (!dns_servers.empty()) n += 2 + 4 * dns_servers.count;
  if (max_message_size) n += 4;
  n += option_len(client_id) + option_len(host_name) + option_len(parameter_list) +
       option_len(message);
  n += 1;  // end
  return std::max(n, kMinLen);
}

void DhcpRepr::emit(std::span<std::uint8_t> out) const {
  std::size_t total = buffer_len();
  std::memset(out.data(), 0, total);
  out[0] = static_cast<std::uint8_t>(op);
  out[1] = 1;
  out[2] = 6;
  out[3] = 0;
  wire::store_be32(out, 4, xid);
  wire::store_be16(out, 8, secs);
  wire::store_be16(out, 10, broadcast ? 0x8000 : 0);
  wire::store_be32(out, 12, ciaddr.to_u32());
  wire::store_be32(out, 16, yiaddr.to_u32());
  wire::store_be32(out, 20, siaddr.to_u32());
  wire::store_be32(out, 24, giaddr.to_u32());
  std::memcpy(out.data() + 28, chaddr.bytes().data(), 6);
  wire::store_be32(out, 236, DhcpView<std::uint8_t>::kMagicCookie);
  std::size_t i = DhcpView<std::uint8_t>::kOptionsAt;
  auto put_bytes = [&](std::uint8_t code, std::span<const std::uint8_t> v) {
    if (v.empty()) return;
    std::size_t len = std::min<std::size_t>(v.size(), 255);
    out[i++] = code;
    out[i++] = static_cast<std::uint8_t>(len);
    std::memcpy(out.data() + i, v.data(), len);
    i += len;
  };
  auto put_u32 = [&](std::uint8_t code, std::uint32_t v) {
    out[i++] = code;
    out[i++] = 4;
    wire::store_be32(out, i, v);
    i += 4;
  };
  auto put_list = [&](std::uint8_t code, const AddressList& l) {
    if (l.empty()) return;
    out[i++] = code;
    out[i++] = static_cast<std::uint8_t>(4 * l.count);
    for (auto a : l.view()) {
      wire::store_be32(out, i, a.to_u32());
      i += 4;
    }
  };
  out[i++] = option::kMessageType;
  out[i++] = 1;
  out[i++] = static_cast<std::uint8_t>(message_type);
  put_bytes(option::kClientId, client_id);
  if (requested_ip) put_u32(option::kRequestedIp, requested_ip->to_u32());
  if (server_id) put_u32(option::kServerId, server_id->to_u32());
  if (lease_time) put_u32(option::kLeaseTime, *lease_time);
  if (renewal_time) put_u32(option::kRenewalTime, *renewal_time);
  if (rebinding_time) put_u32(option::kRebindingTime, *rebinding_time);
  if (subnet_mask) put_u32(option::kSubnetMask, subnet_mask->to_u32());
  put_list(option::kRouter, routers);
  put_list(option::kDnsServer, dns_servers);
  put_bytes(option::kHostName, host_name);
  if (max_message_size) {
    out[i++] = option::kMaxMessageSize;
    out[i++] = 2;
    wire::store_be16(out, i, *max_message_size);
    i += 2;
  }
  put_bytes(option::kParameterList, parameter_list);
  put_bytes(option::kMessage, message);
  out[i++] = option::kEnd;
}

}  // namespace synack::dhcp
