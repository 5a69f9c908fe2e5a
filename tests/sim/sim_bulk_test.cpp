// Bulk transfers over seeded impaired links (issue 4, "Reliable, fast byte
// streams"): every byte must arrive exactly, every transfer must finish within
// a bound derived from the path, and at 1 % random loss the goodput must come
// near the Mathis et al. bound, which only a sender with fast recovery reaches.
//
//   SYNACK_BULK_SEEDS=n      seeds for ImpairedLinks... (default 16; 1000 for the soak)
//   SYNACK_BULK_SEED_BASE=b  first seed (default 1)
//   SYNACK_BULK_MIB=m        MiB per transfer (default 64)
//   SYNACK_BULK_SEED=s       run only seed s, printing its parameters and figures
//   SYNACK_BULK_TRACE=1      with SYNACK_BULK_SEED: print the run's last events
//   SYNACK_BULK_MATHIS_MIB=m MiB per transfer in the Mathis test (default 16)
//
// The soak the issue asks for, 1,000 seeds x 64 MiB, is the ctest entry
// sim_bulk_soak (label soak, not part of the default run):
//   ctest -C soak -L soak --output-on-failure
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sim_bulk.hpp"

using namespace synack;
using namespace synack::simtest;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMiB = 1 << 20;

#if defined(__SANITIZE_ADDRESS__)
// Under ASan and UBSan every segment costs several times more CPU.
constexpr std::uint64_t kDefaultSeeds = 4;
constexpr std::uint64_t kDefaultMiB = 4;
#else
constexpr std::uint64_t kDefaultSeeds = 16;  // ~6 s on one core
constexpr std::uint64_t kDefaultMiB = 64;
#endif

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  std::uint64_t n = std::strtoull(v, &end, 10);
  if (*end != '\0') {
    ADD_FAILURE() << name << "=" << v << " is not a number";
    return std::nullopt;
  }
  return n;
}

double seconds(Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

double mbit(double bps) {
  return bps / 1e6;
}

// ---- the completion bounds --------------------------------------------------------
//
// The time an ideal sender needs: a handshake and a close (3 round trips)
// plus the bytes at the lower of what the path carries (capacity_bps) and,
// when segments are lost, what a loss-limited TCP reaches (mathis_bps at the
// data path's loss rate). Each transfer must end within factor x that + slack
// and never go max_gap without new bytes at the receiver.
struct Bound {
  const char* name;
  double factor;
  Duration slack;
  Duration max_gap;
};
// Always required: completion and no stall. The RTO-only sender of the stack
// before fast retransmit took up to 52 x the ideal time over 1,000 seeds x
// 64 MiB (10 % loss at a 1.4 ms RTT, where each loss costs a 200 ms RTO), and
// its longest gap was 57.8 s: at ~10 % loss each way a retransmission or its
// ACK is lost one time in five, and 8 such losses in a row back the RTO off
// that far. A stall of the stack itself lasts until the connection times out
// (~925 s with retries2 = 15), far above the 300 s allowed here.
constexpr Bound kCompletionBound{"completion", 100, 60s, 300s};
// What working recovery (fast retransmit, SACK) must reach on every seed.
constexpr Bound kRecoveryBound{"recovery", 10, 10s, 10s};

// LongFatPipeRunsNearCapacity: the fraction of the path's capacity a
// loss-free transfer must reach.
constexpr double kPipeFraction = 0.6;
// GoodputNearMathisBoundAtOnePercentLoss: the fraction of the Mathis bound
// (C = 1.22) required at each round-trip time. Delayed ACKs alone lower the
// model's constant to 0.87 (0.71 of the bound) unless the sender counts
// bytes acknowledged (RFC 3465), as Linux does.
constexpr double kMathisFraction = 0.8;
// ... and the most retransmission timeouts per data segment lost.
constexpr double kMaxTimeoutShare = 0.2;

double loss_limited_bps(const BulkSpec& spec, std::uint32_t mss) {
  double cap = capacity_bps(spec, mss);
  if (spec.data.loss <= 0) return cap;
  return std::min(cap, mathis_bps(mss, base_rtt(spec), spec.data.loss));
}

Duration ideal_time(const BulkSpec& spec, std::uint32_t mss) {
  double s = 3 * seconds(base_rtt(spec)) +
             static_cast<double>(spec.bytes) * 8 / loss_limited_bps(spec, mss);
  return Duration(static_cast<std::int64_t>(s * 1e6));
}

Duration time_bound(const Bound& b, const BulkSpec& spec, std::uint32_t mss) {
  return Duration(static_cast<std::int64_t>(static_cast<double>(ideal_time(spec, mss).count()) *
                                            b.factor)) +
         b.slack;
}

std::string reproducer(std::uint64_t seed, std::uint64_t mib) {
  const testing::TestInfo* t = testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format(
      "reproduce: SYNACK_BULK_SEED={} SYNACK_BULK_MIB={} ./build/sim_tests "
      "--gtest_filter=SimBulk.{} --gtest_also_run_disabled_tests",
      seed, mib, t ? t->name() : "ImpairedLinksByteExactWithinBound");
}

// One line per transfer: the path, then what happened.
std::string figures(const BulkSpec& spec, const BulkOutcome& out) {
  const std::uint32_t mss = out.sender_mss ? out.sender_mss : 1448;
  return fmt::format(
      "seed {:4} {} loss {:5.2f}% rtt {:6.1f} ms rate {:6.1f} Mbit/s: {:8.2f} s virtual, "
      "{:7.2f} Mbit/s goodput, {:5.2f} of the ideal ({:.2f} Mbit/s); {} rexmits, {} RTOs, "
      "longest gap {:.2f} s",
      spec.seed, spec.server_sends ? "s->c" : "c->s", spec.data.loss * 100,
      seconds(base_rtt(spec)) * 1e3, mbit(static_cast<double>(spec.data.rate_bps)),
      seconds(out.elapsed), mbit(out.goodput_bps()),
      seconds(ideal_time(spec, mss)) / std::max(seconds(out.elapsed), 1e-9),
      mbit(loss_limited_bps(spec, mss)), out.sender.retransmits, out.sender.timeouts,
      seconds(out.longest_gap));
}

// Problems with one transfer, empty when it kept every promise.
std::vector<std::string> check(const Bound& b, const BulkSpec& spec, const BulkOutcome& out) {
  std::vector<std::string> problems;
  if (out.first_bad_offset)
    problems.push_back(fmt::format("byte {} differs from what was sent", *out.first_bad_offset));
  if (!out.error.empty()) problems.push_back(out.error);
  if (out.ok()) {
    const std::uint32_t mss = out.sender_mss ? out.sender_mss : 1448;
    if (out.elapsed > time_bound(b, spec, mss))
      problems.push_back(
          fmt::format("took {:.2f} s, {} bound {:.2f} s ({} x the ideal {:.2f} s + {} s)",
                      seconds(out.elapsed), b.name, seconds(time_bound(b, spec, mss)), b.factor,
                      seconds(ideal_time(spec, mss)), seconds(b.slack)));
  }
  if (out.longest_gap > b.max_gap)
    problems.push_back(fmt::format("stalled: {:.2f} s without new bytes ({} bound {} s)",
                                   seconds(out.longest_gap), b.name, seconds(b.max_gap)));
  return problems;
}

// Runs the seeds of SYNACK_BULK_SEEDS, or only SYNACK_BULK_SEED, against `b`.
void run_seeds(const Bound& b) {
  const std::uint64_t mib = env_u64("SYNACK_BULK_MIB").value_or(kDefaultMiB);
  if (auto seed = env_u64("SYNACK_BULK_SEED")) {
    BulkSpec spec = BulkSpec::from_seed(*seed, mib * kMiB);
    std::cout << spec.describe() << "\n";
    BulkOutcome out = run_bulk(spec);
    std::cout << figures(spec, out) << "\n";
    std::cout << fmt::format(
        "  data link: {} frames, {} lost, {} queue drops, {} duplicated, {} reordered; "
        "ack link: {} frames, {} lost\n",
        out.data_link.submitted, out.data_link.lost, out.data_link.queue_drops,
        out.data_link.duplicated, out.data_link.reordered, out.ack_link.submitted,
        out.ack_link.lost);
    for (const auto& p : check(b, spec, out))
      ADD_FAILURE() << p << "\n" << reproducer(*seed, mib);
    return;
  }
  const std::uint64_t count = env_u64("SYNACK_BULK_SEEDS").value_or(kDefaultSeeds);
  const std::uint64_t base = env_u64("SYNACK_BULK_SEED_BASE").value_or(1);
  std::vector<std::pair<std::uint64_t, std::string>> failures;
  std::vector<double> ratios;  // ideal time / time taken, per completed seed
  Duration virtual_total{0}, worst_gap{0};
  auto wall_start = std::chrono::steady_clock::now();
  for (std::uint64_t seed = base; seed < base + count; ++seed) {
    BulkSpec spec = BulkSpec::from_seed(seed, mib * kMiB);
    BulkOutcome out = run_bulk(spec);
    virtual_total += out.elapsed;
    const std::uint32_t mss = out.sender_mss ? out.sender_mss : 1448;
    if (out.ok()) {
      ratios.push_back(seconds(ideal_time(spec, mss)) / seconds(out.elapsed));
      worst_gap = std::max(worst_gap, out.longest_gap);
    }
    // One line per seed: the per-seed record of the run.
    std::cout << figures(spec, out) << "\n";
    for (const auto& p : check(b, spec, out))
      failures.emplace_back(seed, fmt::format("{}\n    {}", p, spec.describe()));
  }
  auto wall = std::chrono::steady_clock::now() - wall_start;
  std::sort(ratios.begin(), ratios.end());
  auto pct = [&](double q) {
    return ratios.empty()
               ? 0.0
               : ratios[static_cast<std::size_t>(q * static_cast<double>(ratios.size() - 1))];
  };
  std::cout << fmt::format(
      "{} seeds x {} MiB from seed {} ({} bound): {} problem(s); {:.1f} s wall, {:.0f} s "
      "virtual; fraction of the ideal time reached: min {:.3f}, 10th pct {:.3f}, median {:.3f}, "
      "max {:.3f}; longest gap {:.2f} s\n",
      count, mib, base, b.name, failures.size(), std::chrono::duration<double>(wall).count(),
      seconds(virtual_total), pct(0), pct(0.1), pct(0.5), pct(1), seconds(worst_gap));
  for (std::size_t i = 0; i < failures.size() && i < 50; ++i)
    std::cout << fmt::format("  seed {}: {}\n", failures[i].first, failures[i].second);
  if (!failures.empty())
    ADD_FAILURE() << failures.size() << " problem(s); " << reproducer(failures.front().first, mib);
}

}  // namespace

// The checker itself must be able to fail: a wrong byte anywhere, bytes
// shifted by one, or a repeated block are all found, at the right offset.
TEST(SimBulk, PatternFindsTheFirstWrongByte) {
  StreamPattern sent(42), checked(42);
  std::vector<std::uint8_t> buf(10'000);
  sent.fill(12'345, buf);
  EXPECT_EQ(checked.mismatch(12'345, buf), std::string::npos);
  // Filled in two unaligned pieces, the bytes are the same.
  std::vector<std::uint8_t> a(3'001), b(6'999);
  sent.fill(12'345, a);
  sent.fill(12'345 + 3'001, b);
  EXPECT_EQ(checked.mismatch(12'345, a), std::string::npos);
  EXPECT_EQ(checked.mismatch(12'345 + 3'001, b), std::string::npos);

  auto flipped = buf;
  flipped[7'777] ^= 0x10;
  EXPECT_EQ(checked.mismatch(12'345, flipped), 7'777u);
  EXPECT_NE(checked.mismatch(12'346, buf), std::string::npos);  // shifted by one byte
  std::vector<std::uint8_t> again(4'096);
  sent.fill(0, again);
  EXPECT_NE(checked.mismatch(4'096, again), std::string::npos);  // a repeated block
  EXPECT_NE(checked.mismatch(12'345 + 256, buf), std::string::npos);
  StreamPattern other(43);
  std::vector<std::uint8_t> theirs(64);
  other.fill(12'345, theirs);
  EXPECT_NE(checked.mismatch(12'345, theirs), std::string::npos);  // another stream's bytes
}

TEST(SimBulk, ImpairedLinksByteExactWithinBound) {
  run_seeds(kCompletionBound);
}

// The same seeds held to the bound that working loss recovery must meet (an
// RTO-only sender misses it wherever loss is high and the round trip short:
// a 200 ms RTO per loss against a ~2 ms RTT).
TEST(SimBulk, ImpairedLinksWithinRecoveryBound) {
  run_seeds(kRecoveryBound);
}

namespace {

// A clean path but for `loss` on the data direction: no reordering, jitter or
// duplication, and a 100 Mbit/s link with a queue deep enough never to drop,
// so that random loss alone limits the sender.
BulkSpec plain_path(std::uint64_t seed, Duration rtt, double loss, std::uint64_t bytes) {
  BulkSpec s;
  s.seed = seed;
  s.bytes = bytes;
  s.server_sends = (seed & 1) != 0;
  s.data.delay = s.acks.delay = rtt / 2;
  s.data.rate_bps = s.acks.rate_bps = 100'000'000;
  s.data.queue_limit_bytes = s.acks.queue_limit_bytes = 8 << 20;
  s.data.loss = loss;
  return s;
}

}  // namespace

// A 64 MiB transfer over the largest bandwidth-delay product of the issue,
// 100 Mbit/s x 200 ms, without loss: slow start must open the window to the
// 4 MiB receive buffer, and the queue of one BDP absorbs the overshoot, so the
// sender must keep the pipe nearly full.
TEST(SimBulk, LongFatPipeRunsNearCapacity) {
  BulkSpec s = plain_path(7, 200ms, 0, 64 * kMiB);
  s.data.queue_limit_bytes = s.acks.queue_limit_bytes = 2'500'000;
  BulkOutcome out = run_bulk(s);
  ASSERT_TRUE(out.ok()) << out.error << "\n" << s.describe();
  const double cap = capacity_bps(s, out.sender_mss);
  std::cout << figures(s, out) << "\n"
            << fmt::format("  capacity {:.2f} Mbit/s, goodput {:.3f} of it\n", mbit(cap),
                           out.goodput_bps() / cap);
  // Slow start from 10 segments to a 4 MiB window takes ~9 round trips
  // (1.8 s) besides the 5.6 s the bytes need at line rate, so a sender that
  // keeps the pipe full once it is open reaches ~0.75 of capacity overall
  // (the stack before fast retransmit: 0.746).
  EXPECT_GE(out.goodput_bps(), kPipeFraction * cap) << s.describe();
}

// Mathis et al. at 1 % random loss: goodput ~ MSS/RTT x 1.22/sqrt(0.01). A
// sender that repairs single losses by fast retransmit (and SACK) within a
// round trip reaches a good fraction of it; one that waits for the RTO
// (>= 200 ms) and restarts from one segment does not at short round trips,
// and at long ones still shows itself by its timeouts. So two requirements
// per RTT, over three seeds pooled: goodput >= kMathisFraction of the bound,
// and at most kMaxTimeoutShare of the data segments the link lost repaired
// by a retransmission timeout.
//
// Before fast retransmit and SACK, the RTO-only sender reached 0.32, 0.58,
// 0.71 and 0.75 of the bound at RTT 10, 50, 100 and 200 ms, with ~87 % of
// lost segments ending in a timeout.
TEST(SimBulk, GoodputNearMathisBoundAtOnePercentLoss) {
  const std::uint64_t bytes = env_u64("SYNACK_BULK_MATHIS_MIB").value_or(16) * kMiB;
  std::vector<std::string> problems;
  for (Duration rtt : {10ms, 50ms, 100ms, 200ms}) {
    double bits = 0, secs = 0, mathis = 0;
    std::uint64_t lost = 0, timeouts = 0;
    for (std::uint64_t k = 1; k <= 3; ++k) {
      const std::uint64_t seed = 1000 * static_cast<std::uint64_t>(to_ms(rtt)) + k;
      BulkSpec s = plain_path(seed, rtt, 0.01, bytes);
      BulkOutcome out = run_bulk(s);
      ASSERT_TRUE(out.ok()) << out.error << "\n" << s.describe();
      std::cout << figures(s, out) << "\n";
      bits += static_cast<double>(out.delivered) * 8;
      secs += seconds(out.elapsed);
      lost += out.data_link.lost;
      timeouts += out.sender.timeouts;
      mathis = mathis_bps(out.sender_mss, base_rtt(s), s.data.loss);
    }
    const double ratio = bits / secs / mathis;
    const double share =
        static_cast<double>(timeouts) / static_cast<double>(std::max<std::uint64_t>(lost, 1));
    std::cout << fmt::format(
        "  RTT {} ms, 1 % loss: goodput {:.3f} Mbit/s, Mathis bound {:.3f} Mbit/s, ratio {:.3f} "
        "(required {:.2f}); {} timeouts for {} lost segments ({:.2f}, at most {:.2f})\n",
        to_ms(rtt), mbit(bits / secs), mbit(mathis), ratio, kMathisFraction, timeouts, lost, share,
        kMaxTimeoutShare);
    if (ratio < kMathisFraction)
      problems.push_back(fmt::format("RTT {} ms: {:.3f} of the Mathis bound, below {}", to_ms(rtt),
                                     ratio, kMathisFraction));
    if (share > kMaxTimeoutShare)
      problems.push_back(fmt::format("RTT {} ms: {} timeouts for {} lost segments, above {}",
                                     to_ms(rtt), timeouts, lost, kMaxTimeoutShare));
  }
  for (const auto& p : problems)
    ADD_FAILURE() << p;
}

// Short transfers are where tail losses hurt: 8 KiB (6 segments) over 40 ms
// at 5 % loss, 200 seeds, once with the tail loss probe (RFC 8985 §7) and once
// without. Without it a lost tail waits for the RTO (at least 200 ms, five
// RTTs here); with it the probe resends it, or its SACK shows the holes below
// it lost, two RTTs after the last ACK. The same seeds must see at least a
// quarter fewer timeouts and finish sooner overall.
TEST(SimBulk, LossProbeRepairsTailsBeforeTheTimeout) {
  constexpr std::uint64_t kSeeds = 200;
  struct Sum {
    double secs = 0;
    std::uint64_t timeouts = 0, probes = 0;
  } with, without;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    for (bool probe : {true, false}) {
      BulkSpec s = plain_path(seed, 40ms, 0.05, 8 << 10);
      s.loss_probe = probe;
      BulkOutcome out = run_bulk(s);
      ASSERT_TRUE(out.ok()) << out.error << "\n" << s.describe();
      Sum& sum = probe ? with : without;
      sum.secs += seconds(out.elapsed);
      sum.timeouts += out.sender.timeouts;
      sum.probes += out.sender.loss_probes;
    }
  }
  std::cout << fmt::format(
      "  8 KiB at 5 % loss, 40 ms, {} seeds: with the probe {:.1f} ms mean, {} timeouts, {} "
      "probes; without {:.1f} ms mean, {} timeouts\n",
      kSeeds, with.secs / kSeeds * 1e3, with.timeouts, with.probes, without.secs / kSeeds * 1e3,
      without.timeouts);
  EXPECT_EQ(without.probes, 0u);
  EXPECT_GT(with.probes, 0u);
  EXPECT_LE(with.timeouts * 4, without.timeouts * 3);
  EXPECT_LT(with.secs, without.secs);
}

// Regression for the stalls the soak found (9 of 1,000 seeds x 64 MiB, all on
// paths that reorder or drop bursts at the queue): the receiver holds 32
// out-of-order ranges, the hole in front of them is several segments wide, and
// the retransmission that fills its first part would be a 33rd range, so
// Assembler::add refuses it; the same happens to every retransmission until
// the sender gives up (retries2, ~925 s). A segment at the receive point can
// always be taken, as it is consumed at once.
TEST(SimBulk, FillsTheFrontHoleWhenReassemblyRangesAreFull) {
  BulkSpec s = BulkSpec::from_seed(223, 1 * kMiB);  // 1.2 % reordering, 45 queue drops
  BulkOutcome out = run_bulk(s);
  std::cout << figures(s, out) << "\n";
  EXPECT_TRUE(out.ok()) << out.error << "\n" << s.describe();
  EXPECT_LT(out.longest_gap, 10s);
}
