// Ipv4Address and Ipv4Cidr: dotted-quad text, ordering, prefixes.
#include "wire/ipv4_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synack::wire {
namespace {

TEST(WireIpv4Address, ConstructFromOctetsIsHostOrder) {
  Ipv4Address a(192, 168, 1, 10);
  EXPECT_EQ(a.to_u32(), 0xc0a8010au);
  auto o = a.octets();
  EXPECT_EQ(o[0], 192);
  EXPECT_EQ(o[1], 168);
  EXPECT_EQ(o[2], 1);
  EXPECT_EQ(o[3], 10);
  EXPECT_EQ(Ipv4Address(0xc0a8010au), a);
  EXPECT_EQ(Ipv4Address().to_u32(), 0u);
}

TEST(WireIpv4Address, ParsesDottedQuad) {
  struct {
    const char* text;
    std::uint32_t want;
  } cases[] = {{"10.0.0.1", 0x0a000001},        {"0.0.0.0", 0},
               {"255.255.255.255", 0xffffffff}, {"1.2.3.4", 0x01020304},
               {"127.0.0.1", 0x7f000001},       {"93.184.216.34", 0x5db8d822}};
  for (const auto& c : cases) {
    auto a = Ipv4Address::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(a->to_u32(), c.want) << c.text;
  }
}

TEST(WireIpv4Address, RejectsMalformedText) {
  for (const char* bad :
       {"",           "1",        "1.2.3",     "1.2.3.4.5",  "256.0.0.1",         "1.2.3.256",
        "1..2.3",     ".1.2.3",   "1.2.3.",    "1.2.3.4 ",   " 1.2.3.4",          "a.b.c.d",
        "1.2.3.-4",   "1.2.3.+4", "1.2.3.0x4", "1.2.3.1000", "1.2.3.99999999999", "1,2,3,4",
        "1.2.3.4/24", "::1"}) {
    EXPECT_FALSE(Ipv4Address::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(WireIpv4Address, ToStringRoundTrips) {
  EXPECT_EQ(Ipv4Address(10, 0, 1, 201).to_string(), "10.0.1.201");
  EXPECT_EQ(Ipv4Address().to_string(), "0.0.0.0");
  EXPECT_EQ(Ipv4Address(0xffffffff).to_string(), "255.255.255.255");
  for (std::uint32_t v : {0x01020304u, 0xc0a80001u, 0x7f000001u, 0x80000000u}) {
    auto back = Ipv4Address::parse(Ipv4Address(v).to_string());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->to_u32(), v);
  }
}

TEST(WireIpv4Address, OrdersNumerically) {
  EXPECT_LT(Ipv4Address(9, 255, 255, 255), Ipv4Address(10, 0, 0, 0));
  EXPECT_LT(Ipv4Address(10, 0, 0, 1), Ipv4Address(10, 0, 0, 2));
  EXPECT_GT(Ipv4Address(192, 0, 0, 0), Ipv4Address(10, 255, 0, 0));
  EXPECT_EQ(Ipv4Address(1, 2, 3, 4), Ipv4Address(0x01020304));
  EXPECT_NE(Ipv4Address(1, 2, 3, 4), Ipv4Address(4, 3, 2, 1));
}

TEST(WireIpv4Address, UsableInConstantExpressions) {
  static_assert(Ipv4Address(10, 0, 0, 1).to_u32() == 0x0a000001);
  static_assert(Ipv4Address(1, 0, 0, 0) > Ipv4Address(0, 255, 255, 255));
  SUCCEED();
}

TEST(WireIpv4Cidr, ParsesAddressAndPrefix) {
  auto c = Ipv4Cidr::parse("10.0.1.201/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, Ipv4Address(10, 0, 1, 201));
  EXPECT_EQ(c->prefix_len, 24);
  EXPECT_EQ(c->netmask(), 0xffffff00u);
  EXPECT_EQ(c->to_string(), "10.0.1.201/24");
}

TEST(WireIpv4Cidr, PrefixExtremes) {
  auto zero = Ipv4Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->netmask(), 0u);
  EXPECT_TRUE(zero->contains(Ipv4Address(8, 8, 8, 8)));
  auto host = Ipv4Cidr::parse("1.2.3.4/32");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->netmask(), 0xffffffffu);
  EXPECT_TRUE(host->contains(Ipv4Address(1, 2, 3, 4)));
  EXPECT_FALSE(host->contains(Ipv4Address(1, 2, 3, 5)));
  EXPECT_EQ((Ipv4Cidr{Ipv4Address(), 1}).netmask(), 0x80000000u);
  EXPECT_EQ((Ipv4Cidr{Ipv4Address(), 31}).netmask(), 0xfffffffeu);
}

TEST(WireIpv4Cidr, Contains) {
  Ipv4Cidr net{Ipv4Address(192, 168, 16, 0), 20};  // 192.168.16.0 - 192.168.31.255
  EXPECT_TRUE(net.contains(Ipv4Address(192, 168, 16, 0)));
  EXPECT_TRUE(net.contains(Ipv4Address(192, 168, 31, 255)));
  EXPECT_FALSE(net.contains(Ipv4Address(192, 168, 32, 0)));
  EXPECT_FALSE(net.contains(Ipv4Address(192, 168, 15, 255)));
}

TEST(WireIpv4Cidr, RejectsMalformedText) {
  for (const char* bad : {"10.0.0.1", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/2x",
                          "10.0.0/8", "/8", "10.0.0.1/ 8", "10.0.0.1/8/8", "10.0.0.1/+8"}) {
    EXPECT_FALSE(Ipv4Cidr::parse(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace synack::wire
