// A multi-queue TUN against the real kernel, and the eBPF program that
// steers its packets: the kernel must deliver each packet on the queue that
// steering_queue() computes. Each test runs in a fresh network namespace
// (needs root and /dev/net/tun; fails, not skips, without them).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "phy/tun_device.hpp"
#include "phy/tun_steering.hpp"
#include "support/netns.hpp"
#include "wire/ipv4.hpp"

namespace synack::phy {
namespace {

using synack::testing::in_fresh_netns;

TunOptions options(const std::string& name) {
  TunOptions o;
  o.name = name;
  o.host_addr = wire::Ipv4Cidr::parse("10.97.0.1/24");
  return o;
}

// A UDP datagram from the kernel's 10.97.0.1:sport to 10.97.0.2:dport.
void kernel_send(std::uint16_t sport, std::uint16_t dport) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(sport);
  a.sin_addr.s_addr = htonl(0x0a610001);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  a.sin_port = htons(dport);
  a.sin_addr.s_addr = htonl(0x0a610002);
  ASSERT_EQ(::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 1)
      << std::strerror(errno);
  ::close(s);
}

// Sends one datagram per (sport, dport) and returns, per destination port,
// the queue it arrived on (the kernel's IPv6 noise is skipped).
std::map<std::uint16_t, std::size_t> deliver(
    std::vector<std::unique_ptr<TunDevice>>& queues,
    const std::vector<std::pair<std::uint16_t, std::uint16_t>>& flows) {
  for (auto [sport, dport] : flows)
    kernel_send(sport, dport);
  std::map<std::uint16_t, std::size_t> got;
  for (int round = 0; round < 50 && got.size() < flows.size(); ++round) {
    std::vector<pollfd> fds;
    for (auto& q : queues)
      fds.push_back({q->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), 100);
    for (std::size_t i = 0; i < queues.size(); ++i)
      while (auto f = queues[i]->receive(Instant{})) {
        auto v = wire::Ipv4View<const std::uint8_t>::checked(*f);
        if (!v || v->protocol() != 17 || v->payload().size() < 8) continue;
        auto udp = v->payload();
        got[static_cast<std::uint16_t>((udp[2] << 8) | udp[3])] = i;
      }
  }
  return got;
}

std::vector<std::uint8_t> udp_packet(std::uint16_t sport, std::uint16_t dport) {
  std::vector<std::uint8_t> p(28, 0);
  p[0] = 0x45;
  p[9] = 17;
  std::uint8_t src[4] = {10, 97, 0, 1};
  std::memcpy(&p[12], src, 4);
  p[20] = std::uint8_t(sport >> 8), p[21] = std::uint8_t(sport);
  p[22] = std::uint8_t(dport >> 8), p[23] = std::uint8_t(dport);
  return p;
}

TEST(TunQueues, OpenQueuesSharesOneInterfaceThatGoesAwayWithTheLast) {
  in_fresh_netns([] {
    auto queues = TunDevice::open_queues(options("skcq0"), 3);
    ASSERT_TRUE(queues) << queues.error();
    ASSERT_EQ(queues->size(), 3u);
    for (auto& q : *queues)
      EXPECT_EQ(q->name(), "skcq0");
    EXPECT_NE(::if_nametoindex("skcq0"), 0u);
    queues->pop_back();
    EXPECT_NE(::if_nametoindex("skcq0"), 0u);
    queues->clear();
    EXPECT_EQ(::if_nametoindex("skcq0"), 0u);
  });
}

TEST(TunQueues, OneQueueIsAPlainDevice) {
  in_fresh_netns([] {
    auto queues = TunDevice::open_queues(options("skcq1"), 1);
    ASSERT_TRUE(queues) << queues.error();
    // A single-queue device: another single-queue open is refused (busy).
    auto again = TunDevice::open(options("skcq1"));
    EXPECT_FALSE(again);
  });
}

TEST(TunSteering, HashSpreadsEvenSourcePorts) {
  // Linux gives connect() even ports: the low bits alone would not spread.
  SteeringRule rule;
  rule.queues = 2;
  std::size_t per_queue[2] = {0, 0};
  for (std::uint16_t port = 40000; port < 40400; port += 2)
    ++per_queue[steering_queue(rule, udp_packet(port, 7))];
  EXPECT_GT(per_queue[0], 60u);
  EXPECT_GT(per_queue[1], 60u);
}

TEST(TunSteering, PortChunksMapToTheirQueue) {
  SteeringRule rule{32768, 100, 4};
  EXPECT_EQ(steering_queue(rule, udp_packet(80, 32768)), 0u);
  EXPECT_EQ(steering_queue(rule, udp_packet(80, 32867)), 0u);
  EXPECT_EQ(steering_queue(rule, udp_packet(80, 32868)), 1u);
  EXPECT_EQ(steering_queue(rule, udp_packet(80, 33167)), 3u);
  // Outside the chunks: the hash, as without a port rule.
  SteeringRule hash_only{0, 0, 4};
  EXPECT_EQ(steering_queue(rule, udp_packet(80, 7)), steering_queue(hash_only, udp_packet(80, 7)));
  // Not TCP or UDP: queue 0.
  auto icmp = udp_packet(80, 32868);
  icmp[9] = 1;
  EXPECT_EQ(steering_queue(rule, icmp), 0u);
}

TEST(TunSteering, TheKernelDeliversWhereSteeringQueueSays) {
  in_fresh_netns([] {
    const std::uint16_t n = 3;
    auto queues = TunDevice::open_queues(options("skcq2"), n);
    ASSERT_TRUE(queues) << queues.error();
    SteeringRule rule{32768, 50, n};
    auto prog = load_steering_program(rule);
    ASSERT_TRUE(prog) << prog.error();
    std::string err = (*queues)[1]->set_steering(*prog);
    ::close(*prog);
    ASSERT_EQ(err, "");
    // Destination ports in the chunks and outside them (the hash).
    std::vector<std::pair<std::uint16_t, std::uint16_t>> flows;
    for (std::uint16_t i = 0; i < 12; ++i)
      flows.push_back(
          {static_cast<std::uint16_t>(40000 + 2 * i), static_cast<std::uint16_t>(32768 + 13 * i)});
    for (std::uint16_t i = 0; i < 24; ++i)
      flows.push_back(
          {static_cast<std::uint16_t>(41000 + 2 * i), static_cast<std::uint16_t>(7000 + i)});
    auto got = deliver(*queues, flows);
    ASSERT_EQ(got.size(), flows.size());
    std::set<std::size_t> used;
    for (auto [sport, dport] : flows) {
      std::size_t want = steering_queue(rule, udp_packet(sport, dport));
      EXPECT_EQ(got[dport], want) << sport << " -> " << dport;
      used.insert(got[dport]);
    }
    EXPECT_EQ(used.size(), n);  // every queue got some
  });
}

}  // namespace
}  // namespace synack::phy
