// The DHCP message view and repr (RFC 2131 §2, RFC 2132): exact bytes out,
// fields and options in, and every way a message can be malformed.
#include "dhcp/dhcp_message.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace synack::dhcp {
namespace {

using Bytes = std::vector<std::uint8_t>;
using wire::Ipv4Address;
using wire::WireError;

const wire::MacAddress kMac(0x02, 0x00, 0x0a, 0x09, 0x00, 0x32);

// The fixed 236 bytes plus the magic cookie, then `options` verbatim.
Bytes message(std::uint8_t op, std::uint32_t xid, Ipv4Address ciaddr, Ipv4Address yiaddr,
              const Bytes& options, std::uint16_t flags = 0) {
  Bytes b(240 + options.size(), 0);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b[4] = std::uint8_t(xid >> 24);
  b[5] = std::uint8_t(xid >> 16);
  b[6] = std::uint8_t(xid >> 8);
  b[7] = std::uint8_t(xid);
  b[10] = std::uint8_t(flags >> 8);
  b[11] = std::uint8_t(flags);
  auto put = [&](std::size_t at, Ipv4Address a) {
    auto o = a.octets();
    std::copy(o.begin(), o.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
  };
  put(12, ciaddr);
  put(16, yiaddr);
  std::copy(kMac.bytes().begin(), kMac.bytes().end(), b.begin() + 28);
  b[236] = 99;
  b[237] = 130;
  b[238] = 83;
  b[239] = 99;
  std::copy(options.begin(), options.end(), b.begin() + 240);
  return b;
}

Result<DhcpRepr, WireError> parse(const Bytes& b) {
  auto v = DhcpView<const std::uint8_t>::checked(b);
  if (!v) return v.error();
  return DhcpRepr::parse(*v);
}

TEST(DhcpMessage, DiscoverExactBytes) {
  static const std::uint8_t params[] = {1, 3, 6, 51};
  static const std::uint8_t cid[] = {1, 0x02, 0x00, 0x0a, 0x09, 0x00, 0x32};
  DhcpRepr r;
  r.op = DhcpOp::Request;
  r.message_type = DhcpMessageType::Discover;
  r.xid = 0x12345678;
  r.secs = 3;
  r.broadcast = true;
  r.chaddr = kMac;
  r.client_id = cid;
  r.parameter_list = params;
  ASSERT_EQ(r.buffer_len(), 300u);  // padded to BOOTP's minimum
  Bytes out(r.buffer_len(), 0xee);
  r.emit(out);
  Bytes want = message(1, 0x12345678, {}, {},
                       {53, 1, 1,                                      // DHCPDISCOVER
                        61, 7, 1, 0x02, 0x00, 0x0a, 0x09, 0x00, 0x32,  // client id
                        55, 4, 1, 3, 6, 51,                            // parameters
                        255},
                       0x8000);
  want[9] = 3;  // secs
  want.resize(300, 0);
  EXPECT_EQ(out, want);
}

TEST(DhcpMessage, RequestSelectingExactOptions) {
  DhcpRepr r;
  r.message_type = DhcpMessageType::Request;
  r.xid = 1;
  r.chaddr = kMac;
  r.requested_ip = Ipv4Address(10, 9, 0, 50);
  r.server_id = Ipv4Address(10, 9, 0, 1);
  Bytes out(r.buffer_len());
  r.emit(out);
  Bytes want = message(1, 1, {}, {}, {53, 1, 3, 50, 4, 10, 9, 0, 50, 54, 4, 10, 9, 0, 1, 255});
  want.resize(300, 0);
  EXPECT_EQ(out, want);
}

TEST(DhcpMessage, ParsesAnAckWithEveryOption) {
  Bytes b = message(2, 0xcafef00d, {}, Ipv4Address(10, 9, 0, 50),
                    {53,  1,    5,                                // DHCPACK
                     54,  4,    10,  9,   0,   1,                 // server id
                     51,  4,    0,   0,   0,   120,               // lease 120 s
                     58,  4,    0,   0,   0,   60,                // T1
                     59,  4,    0,   0,   0,   105,               // T2
                     1,   4,    255, 255, 255, 0,                 // mask
                     3,   8,    10,  9,   0,   1,   10, 9, 0, 2,  // routers
                     6,   4,    10,  9,   0,   53,                // DNS
                     0,   0,                                      // padding
                     200, 3,    1,   2,   3,                      // unknown: skipped
                     56,  2,    'h', 'i',                         // message
                     255, 0xaa, 0xbb});                           // bytes after the end: ignored
  auto r = parse(b);
  ASSERT_TRUE(r.ok()) << wire::to_string(r.error());
  EXPECT_EQ(r->op, DhcpOp::Reply);
  EXPECT_EQ(r->message_type, DhcpMessageType::Ack);
  EXPECT_EQ(r->xid, 0xcafef00du);
  EXPECT_EQ(r->yiaddr, Ipv4Address(10, 9, 0, 50));
  EXPECT_EQ(r->chaddr, kMac);
  EXPECT_EQ(r->server_id, Ipv4Address(10, 9, 0, 1));
  EXPECT_EQ(r->lease_time, 120u);
  EXPECT_EQ(r->renewal_time, 60u);
  EXPECT_EQ(r->rebinding_time, 105u);
  EXPECT_EQ(r->subnet_mask, Ipv4Address(255, 255, 255, 0));
  ASSERT_EQ(r->routers.count, 2u);
  EXPECT_EQ(r->routers.items[1], Ipv4Address(10, 9, 0, 2));
  ASSERT_EQ(r->dns_servers.count, 1u);
  EXPECT_EQ(r->dns_servers.items[0], Ipv4Address(10, 9, 0, 53));
  EXPECT_EQ(Bytes(r->message.begin(), r->message.end()), (Bytes{'h', 'i'}));
}

TEST(DhcpMessage, RoundTripsThroughEmit) {
  static const std::uint8_t cid[] = {1, 2, 3};
  DhcpRepr r;
  r.op = DhcpOp::Reply;
  r.message_type = DhcpMessageType::Offer;
  r.xid = 77;
  r.yiaddr = Ipv4Address(192, 168, 7, 9);
  r.siaddr = Ipv4Address(192, 168, 7, 1);
  r.chaddr = kMac;
  r.lease_time = 0xffffffffu;
  r.server_id = Ipv4Address(192, 168, 7, 1);
  r.subnet_mask = Ipv4Address(255, 255, 0, 0);
  r.routers.push(Ipv4Address(192, 168, 7, 1));
  r.dns_servers.push(Ipv4Address(1, 1, 1, 1));
  r.dns_servers.push(Ipv4Address(8, 8, 8, 8));
  r.client_id = cid;
  r.max_message_size = 1500;
  Bytes out(r.buffer_len());
  r.emit(out);
  auto back = parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->yiaddr, r.yiaddr);
  EXPECT_EQ(back->siaddr, r.siaddr);
  EXPECT_EQ(back->lease_time, r.lease_time);
  EXPECT_EQ(back->dns_servers, r.dns_servers);
  EXPECT_EQ(back->routers, r.routers);
  EXPECT_EQ(back->max_message_size, 1500);
  EXPECT_EQ(Bytes(back->client_id.begin(), back->client_id.end()), (Bytes{1, 2, 3}));
}

TEST(DhcpMessage, OverloadReadsFileThenSname) {
  Bytes b = message(2, 5, {}, Ipv4Address(10, 0, 0, 5), {53, 1, 2, 52, 1, 3, 255});
  // file (offset 108): the server id; sname (offset 44): the lease time.
  Bytes file_opts = {54, 4, 10, 0, 0, 1, 255};
  Bytes sname_opts = {51, 4, 0, 0, 1, 0, 255};
  std::copy(file_opts.begin(), file_opts.end(), b.begin() + 108);
  std::copy(sname_opts.begin(), sname_opts.end(), b.begin() + 44);
  auto r = parse(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server_id, Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(r->lease_time, 256u);
  // Without 52, the same bytes are a boot file name, not options.
  Bytes plain = message(2, 5, {}, Ipv4Address(10, 0, 0, 5), {53, 1, 2, 255});
  std::copy(file_opts.begin(), file_opts.end(), plain.begin() + 108);
  auto p = parse(plain);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->server_id);
}

TEST(DhcpMessage, SplitOptionsAreConcatenated) {
  // RFC 3396: a lease time in two parts (0,0 then 0,9) is one 4-byte value;
  // two whole 4-byte instances make an 8-byte lease time, which is wrong.
  auto r = parse(message(2, 1, {}, {}, {53, 1, 2, 51, 2, 0, 0, 51, 2, 0, 9, 255}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lease_time, 9u);
  auto twice = parse(message(2, 1, {}, {}, {53, 1, 2, 51, 4, 0, 0, 0, 9, 51, 4, 0, 0, 0, 1, 255}));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(), WireError::BadOption);
  // A DNS server list split in the middle of an address: 3 + 5 bytes.
  auto dns = parse(message(2, 1, {}, {}, {53, 1, 2, 6, 3, 10, 0, 0, 6, 5, 1, 10, 0, 0, 2, 255}));
  ASSERT_TRUE(dns.ok());
  ASSERT_EQ(dns->dns_servers.count, 2u);
  EXPECT_EQ(dns->dns_servers.items[0], Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(dns->dns_servers.items[1], Ipv4Address(10, 0, 0, 2));
}

TEST(DhcpMessage, SplitAcrossOptionsFileAndSname) {
  // RFC 3396 §7: the options field first, then file, then sname. The router
  // list starts in the options (10.0), goes on in file (0.1, 10.0) and ends
  // in sname (0.2).
  Bytes b = message(2, 5, {}, Ipv4Address(10, 0, 0, 5), {53, 1, 2, 52, 1, 3, 3, 2, 10, 0, 255});
  Bytes file_opts = {3, 4, 0, 1, 10, 0, 255};
  Bytes sname_opts = {3, 2, 0, 2, 255};
  std::copy(file_opts.begin(), file_opts.end(), b.begin() + 108);
  std::copy(sname_opts.begin(), sname_opts.end(), b.begin() + 44);
  auto r = parse(b);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->routers.count, 2u);
  EXPECT_EQ(r->routers.items[0], Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(r->routers.items[1], Ipv4Address(10, 0, 0, 2));
  // Option 52 in the file area does not count and is not allowed twice.
  Bytes again = b;
  Bytes file2 = {52, 1, 3, 255};
  std::copy(file2.begin(), file2.end(), again.begin() + 108);
  auto a = parse(again);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), WireError::BadOption);
}

TEST(DhcpMessage, MalformedMessages) {
  auto err = [](const Bytes& b) -> std::optional<WireError> {
    auto r = parse(b);
    if (r.ok()) return std::nullopt;
    return r.error();
  };
  Bytes good = message(2, 1, {}, {}, {53, 1, 2, 255});
  ASSERT_EQ(err(good), std::nullopt);
  EXPECT_EQ(err(Bytes(good.begin(), good.begin() + 239)), WireError::Truncated);
  Bytes bad_cookie = good;
  bad_cookie[239] = 98;
  EXPECT_EQ(err(bad_cookie), WireError::Unsupported);
  Bytes bad_htype = good;
  bad_htype[1] = 6;
  EXPECT_EQ(err(bad_htype), WireError::Unsupported);
  Bytes bad_op = good;
  bad_op[0] = 3;
  EXPECT_EQ(err(bad_op), WireError::Unsupported);
  EXPECT_EQ(err(message(2, 1, {}, {}, {51, 4, 0, 0, 0, 1, 255})), WireError::Unsupported);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2})), WireError::Truncated);  // no end
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 51})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 51, 9, 0})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 9, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 2, 2, 0, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 1, 3, 255, 255, 0, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 3, 5, 1, 2, 3, 4, 5, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 6, 0, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 54, 3, 1, 2, 3, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 52, 1, 4, 255})), WireError::BadOption);
  EXPECT_EQ(err(message(2, 1, {}, {}, {53, 1, 2, 52, 1, 1, 255})),
            WireError::Truncated);  // the file field holds no end option
}

TEST(DhcpMessage, TooManyRoutersKeepsFour) {
  Bytes opts = {53, 1, 5, 3, 24};
  for (int i = 1; i <= 6; ++i)
    opts.insert(opts.end(), {10, 0, 0, std::uint8_t(i)});
  opts.push_back(255);
  auto r = parse(message(2, 1, {}, {}, opts));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->routers.count, 4u);
  EXPECT_EQ(r->routers.items[3], Ipv4Address(10, 0, 0, 4));
}

}  // namespace
}  // namespace synack::dhcp
