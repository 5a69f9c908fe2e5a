// TCP options: MSS (RFC 9293 §3.2), window scale and timestamps (RFC 7323),
// SACK (RFC 2018).
#include "wire/tcp_options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::optional<WireError> error_of(const Bytes& b) {
  auto r = TcpOptions::parse(b);
  if (r.ok()) return std::nullopt;
  return r.error();
}

TcpOptions parse_ok(const Bytes& b) {
  auto r = TcpOptions::parse(b);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : TcpOptions{};
}

Bytes emit(const TcpOptions& o) {
  Bytes out(o.encoded_len(), 0xcc);
  o.emit(out);
  return out;
}

TEST(WireTcpOptions, EmptyIsDefault) {
  EXPECT_EQ(parse_ok({}), TcpOptions{});
  EXPECT_EQ(TcpOptions{}.encoded_len(), 0u);
}

TEST(WireTcpOptions, ParsesEachKnownOption) {
  TcpOptions o = parse_ok({0x02, 0x04, 0x05, 0xb4});  // MSS 1460
  EXPECT_EQ(o.mss, 1460);
  o = parse_ok({0x03, 0x03, 0x0e, 0x01});  // WS 14, NOP
  EXPECT_EQ(o.window_scale, 14);
  o = parse_ok({0x04, 0x02, 0x01, 0x01});  // SACK-permitted
  EXPECT_TRUE(o.sack_permitted);
  o = parse_ok({0x01, 0x01, 0x08, 0x0a, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x2a});
  ASSERT_TRUE(o.timestamps);
  EXPECT_EQ(o.timestamps->tsval, 0xdeadbeefu);
  EXPECT_EQ(o.timestamps->tsecr, 42u);
}

TEST(WireTcpOptions, ParsesSackBlocks) {
  // RFC 2018 §3: kind 5, length 2 + 8n, n left/right edge pairs.
  Bytes b = {0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
             0x00, 0x20, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x05};
  TcpOptions o = parse_ok(b);
  ASSERT_EQ(o.sack_count, 2);
  EXPECT_EQ(o.sack[0], (SackBlock{0x10, 0x20}));
  EXPECT_EQ(o.sack[1], (SackBlock{0xfffffff0, 5}));
}

TEST(WireTcpOptions, SackWithMoreThanFourBlocksKeepsFour) {
  Bytes b = {0x05, 2 + 5 * 8};
  for (std::uint8_t k = 1; k <= 10; ++k)
    b.insert(b.end(), {0, 0, 0, k});
  TcpOptions o = parse_ok(b);
  ASSERT_EQ(o.sack_count, 4);
  EXPECT_EQ(o.sack[3], (SackBlock{7, 8}));
}

TEST(WireTcpOptions, SackWithNoBlocks) {
  TcpOptions o = parse_ok({0x05, 0x02});
  EXPECT_EQ(o.sack_count, 0);
}

TEST(WireTcpOptions, EndOfListStopsParsing) {
  // RFC 9293 §3.2: everything after End of Option List is ignored, even garbage.
  TcpOptions o = parse_ok({0x02, 0x04, 0x01, 0x00, 0x00, 0x03, 0x00, 0xff});
  EXPECT_EQ(o.mss, 256);
  EXPECT_FALSE(o.window_scale);
  EXPECT_EQ(parse_ok({0x00, 0x02, 0x04, 0x05, 0xb4}), TcpOptions{});
}

TEST(WireTcpOptions, NopsArePadding) {
  EXPECT_EQ(parse_ok(Bytes(40, 0x01)), TcpOptions{});
  TcpOptions o = parse_ok({0x01, 0x01, 0x01, 0x03, 0x03, 0x05});
  EXPECT_EQ(o.window_scale, 5);
}

TEST(WireTcpOptions, LengthZeroOrOneIsBadOption) {
  EXPECT_EQ(error_of({0x02, 0x00, 0x05, 0xb4}), WireError::BadOption);
  EXPECT_EQ(error_of({0x02, 0x01, 0x05, 0xb4}), WireError::BadOption);
  EXPECT_EQ(error_of({0x01, 0x63, 0x00}), WireError::BadOption);  // unknown kind too
  EXPECT_EQ(error_of({0x63, 0x01}), WireError::BadOption);
}

TEST(WireTcpOptions, LengthRunningPastHeaderIsBadOption) {
  EXPECT_EQ(error_of({0x02, 0x04, 0x05}), WireError::BadOption);
  EXPECT_EQ(error_of({0x08, 0x0a, 0, 0, 0, 0, 0, 0, 0}), WireError::BadOption);
  EXPECT_EQ(error_of({0x01, 0x01, 0x63, 0xff}), WireError::BadOption);
}

TEST(WireTcpOptions, KindWithoutLengthByteIsBadOption) {
  EXPECT_EQ(error_of({0x02}), WireError::BadOption);
  EXPECT_EQ(error_of({0x01, 0x01, 0x01, 0x03}), WireError::BadOption);
}

TEST(WireTcpOptions, OptionEndingExactlyAtHeaderEndIsFine) {
  TcpOptions o = parse_ok({0x01, 0x03, 0x03, 0x09});
  EXPECT_EQ(o.window_scale, 9);
}

TEST(WireTcpOptions, UnknownKindsSkippedByLength) {
  // Kind 30 (MPTCP, length 6), kind 34 (TFO cookie, length 10), kind 99 (length 2).
  Bytes b = {30,   6, 1, 2, 3, 4,  34, 10,   2,    4,    0xff,
             0xff, 3, 3, 3, 3, 99, 2,  0x02, 0x04, 0x02, 0x18};
  TcpOptions o = parse_ok(b);
  EXPECT_EQ(o.mss, 536);  // bytes inside unknown bodies were not taken as options
  EXPECT_FALSE(o.window_scale);
}

TEST(WireTcpOptions, KnownOptionWithWrongLengthIsIgnored) {
  EXPECT_FALSE(parse_ok({0x02, 0x03, 0x05, 0x01}).mss);                     // MSS needs 4
  EXPECT_FALSE(parse_ok({0x02, 0x06, 0x05, 0xb4, 0x00, 0x00}).mss);         // MSS needs 4
  EXPECT_FALSE(parse_ok({0x03, 0x04, 0x07, 0x00}).window_scale);            // WS needs 3
  EXPECT_FALSE(parse_ok({0x03, 0x02}).window_scale);                        // WS needs 3
  EXPECT_FALSE(parse_ok({0x04, 0x03, 0x00, 0x01}).sack_permitted);          // needs 2
  EXPECT_FALSE(parse_ok({0x08, 0x06, 0, 0, 0, 1}).timestamps);              // TS needs 10
  EXPECT_EQ(parse_ok({0x05, 0x07, 0, 0, 0, 1, 0, 0, 0, 0}).sack_count, 0);  // 2+8n
  // The wrong-length option is still skipped by its length.
  TcpOptions o = parse_ok({0x02, 0x03, 0x03, 0x03, 0x03, 0x07, 0x01, 0x01});
  EXPECT_FALSE(o.mss);
  EXPECT_EQ(o.window_scale, 7);  // not 3: the byte at [2] was the MSS body
}

TEST(WireTcpOptions, RepeatedOptionLastWins) {
  TcpOptions o = parse_ok({0x02, 0x04, 0x00, 0x01, 0x02, 0x04, 0x00, 0x02});
  EXPECT_EQ(o.mss, 2);
}

TEST(WireTcpOptions, EncodedLengths) {
  TcpOptions o;
  o.mss = 1;
  EXPECT_EQ(o.encoded_len(), 4u);
  o.window_scale = 0;  // a present zero still counts
  EXPECT_EQ(o.encoded_len(), 8u);
  o.sack_permitted = true;
  EXPECT_EQ(o.encoded_len(), 12u);
  o.timestamps = TcpTimestamps{};
  EXPECT_EQ(o.encoded_len(), 20u);  // SACK-permitted shares the timestamps word block
  o.sack_permitted = false;
  EXPECT_EQ(o.encoded_len(), 20u);
  TcpOptions s;
  s.sack_count = 1;
  EXPECT_EQ(s.encoded_len(), 12u);
  s.sack_count = 4;
  EXPECT_EQ(s.encoded_len(), 36u);
}

TEST(WireTcpOptions, EncodedLengthCapsSackBlocksAtFortyBytes) {
  // RFC 2018 §3: with timestamps only three blocks fit in 40 bytes.
  TcpOptions o;
  o.timestamps = TcpTimestamps{1, 2};
  o.sack_count = 4;
  EXPECT_EQ(o.encoded_len(), 40u);
  Bytes out = emit(o);
  EXPECT_EQ(out[12 + 3], 2 + 3 * 8);
  TcpOptions back = parse_ok(out);
  EXPECT_EQ(back.sack_count, 3);
  o.mss = 1460;
  o.window_scale = 7;
  o.sack_permitted = true;
  EXPECT_EQ(o.encoded_len(), 40u);  // 20 + 4 + 2 * 8
  EXPECT_EQ(parse_ok(emit(o)).sack_count, 2);
}

TEST(WireTcpOptions, EmitSynLayoutIsExact) {
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{0x11223344, 0};
  o.window_scale = 7;
  EXPECT_EQ(emit(o), (Bytes{0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
                            0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07}));
}

TEST(WireTcpOptions, EmitSeparateSackPermittedAndSackBlocks) {
  TcpOptions o;
  o.sack_permitted = true;
  EXPECT_EQ(emit(o), (Bytes{0x01, 0x01, 0x04, 0x02}));
  TcpOptions t;
  t.timestamps = TcpTimestamps{1, 2};
  t.sack_count = 1;
  t.sack[0] = {0x01020304, 0x05060708};
  EXPECT_EQ(emit(t), (Bytes{0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
                            0x01, 0x01, 0x05, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(WireTcpOptions, RandomisedRoundTrip) {
  std::mt19937 rng(2018);
  for (int i = 0; i < 5000; ++i) {
    TcpOptions o;
    if (rng() % 2) o.mss = static_cast<std::uint16_t>(rng());
    if (rng() % 2) o.window_scale = static_cast<std::uint8_t>(rng());
    o.sack_permitted = rng() % 2;
    if (rng() % 2) o.timestamps = TcpTimestamps{std::uint32_t(rng()), std::uint32_t(rng())};
    std::size_t fixed = o.encoded_len();
    std::size_t fit = fixed <= 28 ? (40 - fixed - 4) / 8 : 0;
    o.sack_count = static_cast<std::uint8_t>(rng() % (std::min<std::size_t>(fit, 4) + 1));
    for (int k = 0; k < o.sack_count; ++k)
      o.sack[k] = {std::uint32_t(rng()), std::uint32_t(rng())};
    Bytes out = emit(o);
    ASSERT_EQ(out.size() % 4, 0u);
    ASSERT_LE(out.size(), 40u);
    ASSERT_EQ(parse_ok(out), o) << "iteration " << i;
  }
}

}  // namespace
}  // namespace synack::wire
