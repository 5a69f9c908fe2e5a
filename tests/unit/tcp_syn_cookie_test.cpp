// SynCookie: encode/decode round trips, MSS rounding, ageing over counter
// periods, forgeries, and the options carried in TSval (RFC 4987 §3.6).
#include "tcp/syn_cookie.hpp"

#include <gtest/gtest.h>

using namespace synack;
using namespace synack::tcp;
using namespace std::chrono_literals;

namespace {
const FourTuple kTuple{wire::Ipv4Address(10, 0, 0, 2), 80, wire::Ipv4Address(10, 0, 0, 1), 4000};
const SipKey kSecret{0x0123456789abcdefull, 0xfedcba9876543210ull};
}  // namespace

TEST(SynCookie, MssRoundsDownToTable) {
  EXPECT_EQ(SynCookie::mss_index(100), 0);  // below 536 still gives 536
  EXPECT_EQ(SynCookie::mss_index(536), 0);
  EXPECT_EQ(SynCookie::mss_index(1299), 0);
  EXPECT_EQ(SynCookie::mss_index(1300), 1);
  EXPECT_EQ(SynCookie::mss_index(1439), 1);
  EXPECT_EQ(SynCookie::mss_index(1440), 2);
  EXPECT_EQ(SynCookie::mss_index(1459), 2);
  EXPECT_EQ(SynCookie::mss_index(1460), 3);
  EXPECT_EQ(SynCookie::mss_index(9000), 3);
}

TEST(SynCookie, RoundTripEveryMssWindowScaleSackCombination) {
  SynCookie c(kSecret);
  int checked = 0;
  for (std::uint8_t mss = 0; mss < 4; ++mss) {
    for (int ws = -1; ws <= 14; ++ws) {  // -1: no window scaling
      for (bool sack : {false, true}) {
        for (bool ecn : {false, true}) {
          SeqNum isn(0x9000'0000u + mss * 977 + static_cast<std::uint32_t>(ws + 1) * 13);
          std::uint32_t counter = 1000 + mss;
          std::uint32_t cookie = c.encode(kTuple, isn, mss, counter);
          auto got = c.decode(kTuple, isn, cookie, counter);
          ASSERT_TRUE(got.has_value());
          EXPECT_EQ(*got, mss);
          CookieTsOptions o{ws >= 0, static_cast<std::uint8_t>(ws < 0 ? 0 : ws), sack, ecn};
          std::uint32_t ts_now = 0x1234'5678u + static_cast<std::uint32_t>(ws) * 7;
          std::uint32_t tsval = SynCookie::encode_tsval(ts_now, o);
          EXPECT_LE(tsval, ts_now);  // our clock never runs backwards
          EXPECT_LT(ts_now - tsval, 128u);
          EXPECT_EQ(SynCookie::decode_tsecr(tsval), o);
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 16 * 2 * 2);
}

TEST(SynCookie, TsvalNeverAheadAcrossWrap) {
  CookieTsOptions o{false, 0, true, true};  // low bits 0b111111
  std::uint32_t tsval = SynCookie::encode_tsval(5, o);
  EXPECT_EQ(tsval, 0xffffffffu);  // 5 rounded down to 0, plus 63, minus 64: wraps
  EXPECT_TRUE(static_cast<std::int32_t>(5 - tsval) > 0);
}

TEST(SynCookie, ValidForTwoCounterPeriods) {
  SynCookie c(kSecret);
  SeqNum isn(1000);
  std::uint32_t cookie = c.encode(kTuple, isn, 3, 7);
  EXPECT_EQ(c.decode(kTuple, isn, cookie, 7), 3);
  EXPECT_EQ(c.decode(kTuple, isn, cookie, 8), 3);
  EXPECT_FALSE(c.decode(kTuple, isn, cookie, 9).has_value());    // stale
  EXPECT_FALSE(c.decode(kTuple, isn, cookie, 6).has_value());    // from the future
  EXPECT_FALSE(c.decode(kTuple, isn, cookie, 263).has_value());  // 8-bit counter wrapped
}

TEST(SynCookie, CounterTicksOncePerMinute) {
  EXPECT_EQ(SynCookie::counter(Instant{}), 0u);
  EXPECT_EQ(SynCookie::counter(Instant{} + 59'999'999us), 0u);
  EXPECT_EQ(SynCookie::counter(Instant{} + 60s), 1u);
  EXPECT_EQ(SynCookie::counter(Instant{} + 121s), 2u);
}

TEST(SynCookie, ForgeriesFail) {
  SynCookie c(kSecret);
  SeqNum isn(1000);
  std::uint32_t cookie = c.encode(kTuple, isn, 2, 5);
  FourTuple other_port = kTuple;
  other_port.remote_port = 4001;
  FourTuple other_addr = kTuple;
  other_addr.remote_addr = wire::Ipv4Address(10, 0, 0, 9);
  EXPECT_FALSE(c.decode(other_port, isn, cookie, 5).has_value());
  EXPECT_FALSE(c.decode(other_addr, isn, cookie, 5).has_value());
  // A client ISN off by a little only shifts the MSS index (the ISN is
  // added in, as in Linux's design); far off it fails.
  EXPECT_EQ(c.decode(kTuple, isn + 1, cookie, 5), 1);
  EXPECT_FALSE(c.decode(kTuple, isn + 1000, cookie, 5).has_value());
  EXPECT_FALSE(c.decode(kTuple, isn, cookie + 1000, 5).has_value());
  EXPECT_FALSE(c.decode(kTuple, isn, cookie ^ 0x0080'0000u, 5).has_value());
  SynCookie other_secret(SipKey{1, 2});
  EXPECT_FALSE(other_secret.decode(kTuple, isn, cookie, 5).has_value());
  // Guessing: of 100,000 random cookies for one tuple, about 4 in 2^24 per
  // period could pass; none of these do.
  int passed = 0;
  std::uint32_t x = 12345;
  for (int i = 0; i < 100'000; ++i) {
    x = x * 1664525u + 1013904223u;
    if (c.decode(kTuple, isn, x, 5)) ++passed;
  }
  EXPECT_EQ(passed, 0);
}

TEST(SynCookie, SecretRotatesEveryPeriod) {
  SynCookie c(kSecret);
  SeqNum isn(1000);
  // Same tuple, ISN and MSS one minute apart: besides the counter in the top
  // byte, the MAC bits differ because the period's key differs.
  std::uint32_t a = c.encode(kTuple, isn, 0, 10);
  std::uint32_t b = c.encode(kTuple, isn, 0, 11);
  EXPECT_NE((a & 0xffffff), (b & 0xffffff));
  // Decoding an old period after a new one recomputes the old key.
  EXPECT_EQ(c.decode(kTuple, isn, a, 11), 0);
  EXPECT_EQ(c.decode(kTuple, isn, b, 11), 0);
}

TEST(SynCookie, TsecrLowNibbleFifteenMeansNoScaling) {
  for (std::uint32_t w = 0; w <= 14; ++w) {
    CookieTsOptions o = SynCookie::decode_tsecr(0x1000'0000u | w);
    EXPECT_TRUE(o.wscale_ok);
    EXPECT_EQ(o.snd_wscale, w);
  }
  CookieTsOptions none = SynCookie::decode_tsecr(0x1000'000fu | 0x10);
  EXPECT_FALSE(none.wscale_ok);
  EXPECT_TRUE(none.sack_ok);
  EXPECT_FALSE(none.ecn_ok);
}
