// RFC 5961 §7: ACKs that answer invalid segments are rate limited, per
// connection (Linux's tcp_invalid_ratelimit, 500 ms) and per host (the
// challenge-ACK budget, randomised per second); segments with data are
// always answered.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptRfc5961, OutOfWindowAcksAreLimitedPerConnection) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  // Pure ACKs far outside the window (blind injection, or an ACK loop).
  for (int i = 0; i < 5; ++i)
    s.inject(Seg::make(ACK, 500'000 + i, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 1, 1001);
  s.expect_silence_until(499ms);
  EXPECT_EQ(c.info().stats.acks_rate_limited, 4u);
  s.inject(Seg::make(ACK, 600'000, s.iss() + 1));
  s.expect_silence_until(500ms);
  s.inject(Seg::make(ACK, 600'000, s.iss() + 1));
  s.expect(500ms, ACK, s.iss() + 1, 1001);
}

TEST(ScriptRfc5961, DuplicateDataIsAlwaysAnswered) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "abc"));
  s.expect(0s, ACK, s.iss() + 1, 1004);
  // Old duplicates with data drive the sender's recovery: never limited.
  for (int i = 0; i < 3; ++i) {
    s.inject(Seg::make(ACK, 1001, s.iss() + 1, "abc"));
    s.expect(0s, ACK, s.iss() + 1, 1004);
  }
  EXPECT_EQ(c.info().stats.acks_rate_limited, 0u);
}

TEST(ScriptRfc5961, ChallengeAcksShareTheConnectionsLimit) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(RST, 1005, 0));  // in window, not exact: challenge
  s.expect(0s, ACK, s.iss() + 1, 1001);
  s.inject(Seg::syn(1001));                          // challenge, limited
  s.inject(Seg::make(ACK, 1001, s.iss() + 50'000));  // acks unsent data, limited
  s.expect_silence_until(499ms);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
  EXPECT_EQ(c.info().stats.challenge_acks, 1u);
  EXPECT_EQ(c.info().stats.acks_rate_limited, 2u);
}

TEST(ScriptRfc5961, ChallengeAcksAreLimitedPerHostWithARandomisedBudget) {
  tcp::TcpConfig cfg;
  cfg.invalid_ratelimit = Duration(0);  // only the host's budget applies
  cfg.challenge_ack_limit = 4;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  for (int i = 0; i < 20; ++i)
    s.inject(Seg::syn(1001));
  auto limited = s.tcp().counters().challenge_acks_limited;
  std::uint64_t sent = 20 - limited;
  // This second's budget lies in [limit/2, 3*limit/2).
  EXPECT_GE(sent, 2u);
  EXPECT_LT(sent, 6u);
  for (std::uint64_t i = 0; i < sent; ++i)
    s.expect(0s, ACK, s.iss() + 1, 1001);
  s.expect_silence_until(999ms);
  EXPECT_EQ(c.info().stats.challenge_acks, sent);
  // A new second, a new budget.
  s.run_until(1s);
  s.inject(Seg::syn(1001));
  s.expect(1s, ACK, s.iss() + 1, 1001);
}

TEST(ScriptRfc5961, TimeWaitAnswersAreLimitedToo) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));
  s.expect(0s, ACK, s.iss() + 2, 1002);
  ASSERT_EQ(s.tcp().time_wait().size(), 1u);
  for (int i = 0; i < 3; ++i)
    s.inject(Seg::make(ACK, 90'000 + i, s.iss() + 2));  // out of window
  s.expect(0s, ACK, s.iss() + 2, 1002);
  s.expect_silence_until(499ms);
  EXPECT_EQ(s.tcp().counters().time_wait_acks_limited, 2u);
}
