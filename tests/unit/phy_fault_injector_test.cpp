#include "phy/fault_injector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <set>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace synack::phy {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

Instant at_us(std::int64_t us) {
  return instant_from_us(us);
}

// A frame whose first four bytes carry its index, padded to `size`.
Bytes numbered(std::uint32_t i, std::size_t size = 64) {
  Bytes f(std::max<std::size_t>(size, 4), 0xa5);
  f[0] = std::uint8_t(i >> 24);
  f[1] = std::uint8_t(i >> 16);
  f[2] = std::uint8_t(i >> 8);
  f[3] = std::uint8_t(i);
  return f;
}
std::uint32_t number_of(const Bytes& f) {
  return (std::uint32_t(f[0]) << 24) | (std::uint32_t(f[1]) << 16) | (std::uint32_t(f[2]) << 8) |
         f[3];
}

// Pops everything, in delivery order.
std::vector<FaultInjector::Delivery> drain(FaultInjector& fi) {
  std::vector<FaultInjector::Delivery> out;
  while (auto d = fi.pop_due_delivery(kNever))
    out.push_back(std::move(*d));
  return out;
}

LinkParams everything() {
  LinkParams p;
  p.delay = 20ms;
  p.jitter = 3ms;
  p.loss = 0.1;
  p.duplicate = 0.05;
  p.reorder = 0.1;
  p.reorder_extra = 5ms;
  p.corrupt = 0.05;
  p.rate_bps = 50'000'000;
  p.queue_limit_bytes = 20'000;
  return p;
}

// Submits a fixed workload of varied sizes and returns the schedule.
std::vector<FaultInjector::Delivery> run(const LinkParams& p, std::uint64_t seed) {
  FaultInjector fi(p, seed);
  for (std::uint32_t i = 0; i < 2000; ++i)
    fi.submit(at_us(i * 150), numbered(i, 60 + (i * 37) % 1400));
  return drain(fi);
}

bool same_schedule(const std::vector<FaultInjector::Delivery>& a,
                   const std::vector<FaultInjector::Delivery>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].at != b[i].at || a[i].frame != b[i].frame) return false;
  return true;
}

TEST(PhyFaultInjector, SameSeedGivesIdenticalSchedule) {
  auto a = run(everything(), 42);
  auto b = run(everything(), 42);
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(same_schedule(a, b));
}

TEST(PhyFaultInjector, DifferentSeedGivesDifferentSchedule) {
  EXPECT_FALSE(same_schedule(run(everything(), 42), run(everything(), 43)));
}

TEST(PhyFaultInjector, NoImpairmentsDeliverEverythingInOrderWithExactDelay) {
  LinkParams p;
  p.delay = 5ms;
  FaultInjector fi(p, 1);
  for (std::uint32_t i = 0; i < 1000; ++i)
    fi.submit(at_us(i * 100), numbered(i));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 1000u);
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(number_of(out[i].frame), i);
    EXPECT_EQ(out[i].frame, numbered(i));
    EXPECT_EQ(out[i].at, at_us(i * 100) + 5ms);
  }
  EXPECT_EQ(fi.stats().submitted, 1000u);
  EXPECT_EQ(fi.stats().delivered, 1000u);
  EXPECT_EQ(fi.stats().lost + fi.stats().duplicated + fi.stats().corrupted + fi.stats().reordered +
                fi.stats().queue_drops,
            0u);
}

TEST(PhyFaultInjector, NothingIsDueBeforeItsTime) {
  LinkParams p;
  p.delay = 10ms;
  FaultInjector fi(p, 1);
  EXPECT_FALSE(fi.next_delivery().has_value());
  EXPECT_FALSE(fi.pop_due(kNever).has_value());
  fi.submit(at_us(1000), numbered(7));
  ASSERT_TRUE(fi.next_delivery().has_value());
  EXPECT_EQ(*fi.next_delivery(), at_us(11'000));
  EXPECT_FALSE(fi.pop_due(at_us(10'999)).has_value());
  EXPECT_EQ(fi.in_flight(), 1u);
  auto f = fi.pop_due(at_us(11'000));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, numbered(7));
  EXPECT_EQ(fi.in_flight(), 0u);
}

TEST(PhyFaultInjector, EqualArrivalTimesKeepSubmissionOrder) {
  LinkParams p;
  p.delay = 1ms;
  FaultInjector fi(p, 9);
  for (std::uint32_t i = 0; i < 50; ++i)
    fi.submit(at_us(0), numbered(i));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 50u);
  for (std::uint32_t i = 0; i < 50; ++i)
    EXPECT_EQ(number_of(out[i].frame), i);
}

TEST(PhyFaultInjector, LossRateWithinStatisticalBounds) {
  LinkParams p;
  p.loss = 0.2;
  FaultInjector fi(p, 2024);
  std::uint64_t hooked = 0;
  fi.set_on_lost([&](Instant, std::span<const std::uint8_t> f) {
    ++hooked;
    EXPECT_EQ(f.size(), 64u);
  });
  for (std::uint32_t i = 0; i < 10'000; ++i)
    fi.submit(at_us(i), numbered(i));
  auto out = drain(fi);
  // 20 % +- 2 % is five standard deviations for n = 10,000.
  EXPECT_GE(fi.stats().lost, 1800u);
  EXPECT_LE(fi.stats().lost, 2200u);
  EXPECT_EQ(hooked, fi.stats().lost);
  EXPECT_EQ(out.size() + fi.stats().lost, 10'000u);
  EXPECT_EQ(fi.stats().delivered, out.size());
  // Survivors keep their order.
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return number_of(a.frame) < number_of(b.frame);
  }));
}

TEST(PhyFaultInjector, LossHookGetsTheSubmitInstantAndBytes) {
  LinkParams p;
  p.loss = 1;
  FaultInjector fi(p, 3);
  std::vector<std::pair<Instant, Bytes>> lost;
  fi.set_on_lost([&](Instant t, std::span<const std::uint8_t> f) {
    lost.emplace_back(t, Bytes(f.begin(), f.end()));
  });
  fi.submit(at_us(123), numbered(1));
  fi.submit(at_us(456), numbered(2, 100));
  EXPECT_FALSE(fi.next_delivery().has_value());
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost[0].first, at_us(123));
  EXPECT_EQ(lost[0].second, numbered(1));
  EXPECT_EQ(lost[1].first, at_us(456));
  EXPECT_EQ(lost[1].second, numbered(2, 100));
}

TEST(PhyFaultInjector, DuplicationProducesExactCopies) {
  LinkParams p;
  p.delay = 2ms;
  p.duplicate = 1;
  FaultInjector fi(p, 5);
  for (std::uint32_t i = 0; i < 100; ++i)
    fi.submit(at_us(i * 1000), numbered(i, 200));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 200u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(out[2 * i].frame, numbered(i, 200));
    EXPECT_EQ(out[2 * i + 1].frame, out[2 * i].frame);
    EXPECT_EQ(out[2 * i].at, out[2 * i + 1].at);
  }
  EXPECT_EQ(fi.stats().duplicated, 100u);
  EXPECT_EQ(fi.stats().delivered, 200u);
}

TEST(PhyFaultInjector, DuplicationRateWithinBounds) {
  LinkParams p;
  p.duplicate = 0.1;
  FaultInjector fi(p, 6);
  for (std::uint32_t i = 0; i < 10'000; ++i)
    fi.submit(at_us(i), numbered(i));
  auto out = drain(fi);
  EXPECT_GE(fi.stats().duplicated, 850u);
  EXPECT_LE(fi.stats().duplicated, 1150u);
  EXPECT_EQ(out.size(), 10'000u + fi.stats().duplicated);
}

TEST(PhyFaultInjector, CorruptionFlipsExactlyOneBit) {
  LinkParams p;
  p.corrupt = 1;
  FaultInjector fi(p, 7);
  // Valid IPv4 headers, so the checksum can be seen to reject every one.
  wire::Ipv4Repr ip;
  ip.src = wire::Ipv4Address(10, 0, 0, 1);
  ip.dst = wire::Ipv4Address(10, 0, 0, 2);
  ip.protocol = 6;
  Bytes original(20);
  ip.emit(original);
  ASSERT_EQ(wire::internet_checksum(original), 0);
  for (int i = 0; i < 500; ++i)
    fi.submit(at_us(i), original);
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 500u);
  std::set<std::size_t> bytes_hit;
  for (const auto& d : out) {
    ASSERT_EQ(d.frame.size(), original.size());
    int flipped = 0;
    for (std::size_t k = 0; k < original.size(); ++k) {
      int n = std::popcount(static_cast<unsigned>(d.frame[k] ^ original[k]));
      flipped += n;
      if (n) bytes_hit.insert(k);
    }
    EXPECT_EQ(flipped, 1);
    EXPECT_NE(wire::internet_checksum(d.frame), 0);
  }
  EXPECT_EQ(fi.stats().corrupted, 500u);
  // The bit is chosen over the whole frame, not only its start.
  EXPECT_EQ(bytes_hit.size(), original.size());
}

TEST(PhyFaultInjector, ReorderingLetsLaterFramesOvertake) {
  LinkParams p;
  p.delay = 1ms;
  p.reorder = 0.25;
  p.reorder_extra = 10ms;
  FaultInjector fi(p, 8);
  const std::uint32_t n = 4000;
  for (std::uint32_t i = 0; i < n; ++i)
    fi.submit(at_us(i * 100), numbered(i));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), n);
  std::size_t held = 0, overtaken = 0;
  for (std::size_t k = 0; k < out.size(); ++k) {
    std::uint32_t i = number_of(out[k].frame);
    Duration latency = out[k].at - at_us(i * 100);
    // Each frame arrives either on time or held back by exactly the extra.
    EXPECT_TRUE(latency == 1ms || latency == 11ms) << latency.count();
    if (latency == 11ms) ++held;
    if (k > 0 && i < number_of(out[k - 1].frame)) ++overtaken;
  }
  EXPECT_EQ(held, fi.stats().reordered);
  EXPECT_GE(held, 900u);
  EXPECT_LE(held, 1100u);
  EXPECT_GT(overtaken, 0u);
  EXPECT_FALSE(std::is_sorted(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return number_of(a.frame) < number_of(b.frame);
  }));
}

TEST(PhyFaultInjector, JitterStaysWithinBounds) {
  LinkParams p;
  p.delay = 10ms;
  p.jitter = 2ms;
  FaultInjector fi(p, 10);
  for (std::uint32_t i = 0; i < 2000; ++i)
    fi.submit(at_us(i * 10'000), numbered(i));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 2000u);
  std::set<std::int64_t> latencies;
  for (const auto& d : out) {
    Duration latency = d.at - at_us(number_of(d.frame) * 10'000);
    EXPECT_GE(latency, 8ms);
    EXPECT_LE(latency, 12ms);
    latencies.insert(latency.count());
  }
  EXPECT_GT(latencies.size(), 100u);
  EXPECT_LT(*latencies.begin(), 8'500);
  EXPECT_GT(*latencies.rbegin(), 11'500);
}

TEST(PhyFaultInjector, JitterNeverDeliversBeforeSending) {
  LinkParams p;
  p.delay = 1ms;
  p.jitter = 5ms;
  FaultInjector fi(p, 11);
  for (std::uint32_t i = 0; i < 1000; ++i)
    fi.submit(at_us(i * 10'000), numbered(i));
  for (const auto& d : drain(fi))
    EXPECT_GE(d.at, at_us(number_of(d.frame) * 10'000));
}

TEST(PhyFaultInjector, RateLimitAddsSerialisationDelay) {
  LinkParams p;
  p.rate_bps = 12'000'000;  // 1500 bytes take exactly 1 ms
  p.delay = 5ms;
  FaultInjector fi(p, 12);
  for (std::uint32_t i = 0; i < 3; ++i)
    fi.submit(at_us(0), numbered(i, 1500));
  EXPECT_EQ(fi.queued_bytes(at_us(0)), 4500u);
  EXPECT_EQ(fi.queued_bytes(at_us(1000)), 3000u);
  // Once the wire is idle again, only one frame's time is added.
  fi.submit(at_us(10'000), numbered(3, 1500));
  fi.submit(at_us(10'000), numbered(4, 750));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].at, at_us(6'000));
  EXPECT_EQ(out[1].at, at_us(7'000));
  EXPECT_EQ(out[2].at, at_us(8'000));
  EXPECT_EQ(out[3].at, at_us(16'000));
  EXPECT_EQ(out[4].at, at_us(16'500));
}

TEST(PhyFaultInjector, RateRoundingDoesNotAccumulate) {
  LinkParams p;
  p.rate_bps = 10'000'000'000;  // 1500 bytes take 1.2 us
  p.queue_limit_bytes = 1'000'000;
  FaultInjector fi(p, 13);
  for (std::uint32_t i = 0; i < 100; ++i)
    fi.submit(at_us(0), numbered(i, 1500));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 100u);
  EXPECT_EQ(out.front().at, at_us(2));  // 1.2 us rounded up
  EXPECT_EQ(out.back().at, at_us(120));
}

TEST(PhyFaultInjector, FullQueueTailDrops) {
  LinkParams p;
  p.rate_bps = 12'000'000;
  p.queue_limit_bytes = 3000;
  FaultInjector fi(p, 14);
  std::vector<std::uint32_t> lost;
  fi.set_on_lost([&](Instant, std::span<const std::uint8_t> f) {
    lost.push_back(number_of(Bytes(f.begin(), f.end())));
  });
  for (std::uint32_t i = 0; i < 3; ++i)
    fi.submit(at_us(0), numbered(i, 1500));
  EXPECT_EQ(fi.stats().queue_drops, 1u);
  EXPECT_EQ(lost, std::vector<std::uint32_t>{2});
  // After the first frame has left, there is room again.
  fi.submit(at_us(1000), numbered(3, 1500));
  EXPECT_EQ(fi.stats().queue_drops, 1u);
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(number_of(out[2].frame), 3u);
  EXPECT_EQ(out[2].at, at_us(3000));
}

TEST(PhyFaultInjector, WithoutRateThereIsNoQueue) {
  LinkParams p;
  p.queue_limit_bytes = 10;
  FaultInjector fi(p, 15);
  for (std::uint32_t i = 0; i < 100; ++i)
    fi.submit(at_us(0), numbered(i, 1500));
  EXPECT_EQ(fi.stats().queue_drops, 0u);
  EXPECT_EQ(drain(fi).size(), 100u);
}

TEST(PhyFaultInjector, NewParamsApplyToLaterFrames) {
  LinkParams p;
  p.delay = 1ms;
  FaultInjector fi(p, 16);
  fi.submit(at_us(0), numbered(0));
  p.delay = 3ms;
  fi.set_params(p);
  fi.submit(at_us(0), numbered(1));
  auto out = drain(fi);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].at, at_us(1000));
  EXPECT_EQ(out[1].at, at_us(3000));
  EXPECT_EQ(fi.params().delay, 3ms);
}

TEST(PhyFaultInjector, RecycledBufferCarriesTheNextFrame) {
  // A buffer handed back holds the next submitted frame (no allocation), and
  // the frame's bytes are the new ones.
  FaultInjector inj(LinkParams{}, 1);
  inj.submit(at_us(0), Bytes(1500, 1));
  auto first = inj.pop_due(at_us(0));
  ASSERT_TRUE(first);
  const std::uint8_t* storage = first->data();
  inj.recycle(std::move(*first));
  inj.submit(at_us(1), Bytes(60, 2));
  auto second = inj.pop_due(at_us(1));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data(), storage);
  EXPECT_EQ(*second, Bytes(60, 2));
}

}  // namespace
}  // namespace synack::phy
