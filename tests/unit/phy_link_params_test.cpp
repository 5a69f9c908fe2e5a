#include "phy/link_params.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace synack::phy {
namespace {

using namespace std::chrono_literals;

LinkParams parse_ok(std::string_view spec) {
  std::string error;
  auto p = LinkParams::parse(spec, &error);
  EXPECT_TRUE(p.has_value()) << spec << ": " << error;
  return p.value_or(LinkParams{});
}

std::string parse_error(std::string_view spec) {
  std::string error;
  auto p = LinkParams::parse(spec, &error);
  EXPECT_FALSE(p.has_value()) << spec << " should not parse";
  EXPECT_FALSE(error.empty()) << spec;
  return error;
}

TEST(PhyLinkParams, ParsesTheFullExample) {
  auto p = parse_ok("loss=2%,dup=1%,reorder=25%,delay=50ms,jitter=5ms,rate=100mbit,corrupt=0.1%");
  EXPECT_DOUBLE_EQ(p.loss, 0.02);
  EXPECT_DOUBLE_EQ(p.duplicate, 0.01);
  EXPECT_DOUBLE_EQ(p.reorder, 0.25);
  EXPECT_DOUBLE_EQ(p.corrupt, 0.001);
  EXPECT_EQ(p.delay, 50ms);
  EXPECT_EQ(p.jitter, 5ms);
  EXPECT_EQ(p.rate_bps, 100'000'000u);
  // Unmentioned fields keep their defaults.
  EXPECT_EQ(p.reorder_extra, LinkParams{}.reorder_extra);
  EXPECT_EQ(p.queue_limit_bytes, LinkParams{}.queue_limit_bytes);
}

TEST(PhyLinkParams, EmptyAndNoneAreDefaults) {
  EXPECT_EQ(parse_ok(""), LinkParams{});
  EXPECT_EQ(parse_ok("none"), LinkParams{});
  EXPECT_EQ(parse_ok("  "), LinkParams{});
}

TEST(PhyLinkParams, PercentAndFractionAgree) {
  EXPECT_DOUBLE_EQ(parse_ok("loss=20%").loss, parse_ok("loss=0.2").loss);
  EXPECT_DOUBLE_EQ(parse_ok("loss=100%").loss, 1.0);
  EXPECT_DOUBLE_EQ(parse_ok("loss=0").loss, 0.0);
  EXPECT_DOUBLE_EQ(parse_ok("duplicate=0.5").duplicate, 0.5);
  EXPECT_DOUBLE_EQ(parse_ok("corrupt=1e-3").corrupt, 0.001);
}

TEST(PhyLinkParams, DurationUnits) {
  EXPECT_EQ(parse_ok("delay=250us").delay, 250us);
  EXPECT_EQ(parse_ok("delay=7ms").delay, 7ms);
  EXPECT_EQ(parse_ok("delay=2s").delay, 2s);
  EXPECT_EQ(parse_ok("delay=1.5ms").delay, 1500us);
  EXPECT_EQ(parse_ok("jitter=0.25s").jitter, 250ms);
  EXPECT_EQ(parse_ok("reorder_extra=3ms").reorder_extra, 3ms);
}

TEST(PhyLinkParams, RateAndQueueUnits) {
  EXPECT_EQ(parse_ok("rate=64kbit").rate_bps, 64'000u);
  EXPECT_EQ(parse_ok("rate=12mbit").rate_bps, 12'000'000u);
  EXPECT_EQ(parse_ok("rate=10gbit").rate_bps, 10'000'000'000u);
  EXPECT_EQ(parse_ok("rate=9600bit").rate_bps, 9600u);
  EXPECT_EQ(parse_ok("rate=2.5mbit").rate_bps, 2'500'000u);
  EXPECT_EQ(parse_ok("rate=0").rate_bps, 0u);
  EXPECT_EQ(parse_ok("queue=3000").queue_limit_bytes, 3000u);
  EXPECT_EQ(parse_ok("queue=64kb").queue_limit_bytes, 64'000u);
  EXPECT_EQ(parse_ok("queue_limit=64kib").queue_limit_bytes, 65'536u);
  EXPECT_EQ(parse_ok("queue=1mib").queue_limit_bytes, 1u << 20);
}

TEST(PhyLinkParams, ToleratesSpacesAroundItems) {
  auto p = parse_ok(" loss = 1% , delay= 3ms ");
  EXPECT_DOUBLE_EQ(p.loss, 0.01);
  EXPECT_EQ(p.delay, 3ms);
}

TEST(PhyLinkParams, LaterItemsOverrideEarlier) {
  EXPECT_EQ(parse_ok("delay=1ms,delay=2ms").delay, 2ms);
}

TEST(PhyLinkParams, ErrorsNameTheProblem) {
  EXPECT_NE(parse_error("lose=2%").find("unknown key \"lose\""), std::string::npos);
  EXPECT_NE(parse_error("loss").find("expected key=value"), std::string::npos);
  EXPECT_NE(parse_error("loss=2%,").find("expected key=value"), std::string::npos);
  EXPECT_NE(parse_error("loss=150%").find("exceed 100%"), std::string::npos);
  EXPECT_NE(parse_error("loss=1.5").find("exceed 100%"), std::string::npos);
  EXPECT_NE(parse_error("loss=2x").find("unknown unit \"x\""), std::string::npos);
  EXPECT_NE(parse_error("loss=").find("loss="), std::string::npos);
  EXPECT_NE(parse_error("loss=-1%").find("loss=-1%"), std::string::npos);
  EXPECT_NE(parse_error("delay=50").find("missing unit"), std::string::npos);
  EXPECT_NE(parse_error("delay=50min").find("unknown unit \"min\""), std::string::npos);
  EXPECT_NE(parse_error("jitter=-5ms").find("jitter=-5ms"), std::string::npos);
  EXPECT_NE(parse_error("rate=100").find("missing unit"), std::string::npos);
  EXPECT_NE(parse_error("rate=100mbps").find("unknown unit \"mbps\""), std::string::npos);
  EXPECT_NE(parse_error("queue=10gb").find("unknown unit"), std::string::npos);
  EXPECT_NE(parse_error("delay=abc").find("duration"), std::string::npos);
  EXPECT_NE(parse_error("loss=nan").find("loss=nan"), std::string::npos);
}

TEST(PhyLinkParams, ErrorOutputIsOptional) {
  EXPECT_FALSE(LinkParams::parse("bogus", nullptr).has_value());
  EXPECT_TRUE(LinkParams::parse("loss=1%", nullptr).has_value());
}

TEST(PhyLinkParams, ToStringShowsOnlyNonDefaults) {
  EXPECT_EQ(LinkParams{}.to_string(), "none");
  LinkParams p;
  p.loss = 0.02;
  p.delay = 50ms;
  EXPECT_EQ(p.to_string(), "loss=2%,delay=50ms");
  p.rate_bps = 12'000'000;
  p.jitter = 1500us;
  EXPECT_EQ(p.to_string(), "loss=2%,delay=50ms,jitter=1500us,rate=12mbit");
}

TEST(PhyLinkParams, ToStringRoundTrips) {
  const char* specs[] = {
      "loss=2%,dup=1%,reorder=25%,delay=50ms,jitter=5ms,rate=100mbit,corrupt=0.1%",
      "loss=0.3333333,delay=1s,rate=9600bit,queue=3000",
      "reorder=10%,reorder_extra=250us,jitter=7us,rate=10gbit,queue=64kib",
      "dup=100%,corrupt=0.0001%,rate=1500kbit",
  };
  for (const char* spec : specs) {
    LinkParams p = parse_ok(spec);
    LinkParams back = parse_ok(p.to_string());
    EXPECT_EQ(back, p) << spec << " -> " << p.to_string();
  }
}

}  // namespace
}  // namespace synack::phy
