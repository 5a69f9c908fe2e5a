// TunDevice against the real kernel. Each test runs in a thread that first
// moves into a fresh network namespace, so the interfaces and addresses it
// makes vanish with the thread. These tests need root and /dev/net/tun; they
// fail, not skip, when those are missing.
#include "phy/tun_device.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "phy/pcap_writer.hpp"
#include "support/netns.hpp"
#include "wire/ipv4.hpp"

namespace synack::phy {
namespace {

using namespace std::chrono_literals;

using synack::testing::in_fresh_netns;

TunOptions test_options(const std::string& name = "sktest0") {
  TunOptions o;
  o.name = name;
  o.host_addr = wire::Ipv4Cidr::parse("10.99.0.1/24");
  return o;
}

std::unique_ptr<TunDevice> open_or_fail(const TunOptions& o) {
  auto dev = TunDevice::open(o);
  if (!dev) {
    ADD_FAILURE() << dev.error();
    return nullptr;
  }
  return std::move(*dev);
}

// A UDP socket in the current namespace, bound to 10.99.0.1:port, with a
// receive timeout so no test can hang.
int kernel_udp(std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x0a630001);  // 10.99.0.1
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  return s;
}

void send_to_stack(int s, std::uint16_t port, const std::string& text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x0a630002);  // 10.99.0.2, behind the TUN
  ASSERT_EQ(::sendto(s, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
            static_cast<ssize_t>(text.size()))
      << std::strerror(errno);
}

bool wait_readable(int fd, int ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Is `frame` the kernel's UDP datagram to 10.99.0.2:port? (The kernel also
// sends IPv6 noise such as router solicitations; those are skipped.)
bool is_udp_to_stack(std::span<const std::uint8_t> frame, std::uint16_t port) {
  auto v = wire::Ipv4View<const std::uint8_t>::checked(frame);
  if (!v || v->protocol() != 17 || v->dst() != wire::Ipv4Address(10, 99, 0, 2)) return false;
  auto udp = v->payload();
  return udp.size() >= 8 && ((udp[2] << 8) | udp[3]) == port;
}

// An IPv4/UDP packet from 10.99.0.2:9 to 10.99.0.1:port (UDP checksum 0:
// optional over IPv4).
std::vector<std::uint8_t> udp_from_stack(std::uint16_t port, const std::string& text) {
  wire::Ipv4Repr ip;
  ip.src = wire::Ipv4Address(10, 99, 0, 2);
  ip.dst = wire::Ipv4Address(10, 99, 0, 1);
  ip.protocol = 17;
  ip.payload_len = static_cast<std::uint16_t>(8 + text.size());
  std::vector<std::uint8_t> p(20 + ip.payload_len);
  ip.emit(p);
  std::uint8_t* u = p.data() + 20;
  u[0] = 0, u[1] = 9, u[2] = std::uint8_t(port >> 8), u[3] = std::uint8_t(port);
  u[4] = std::uint8_t(ip.payload_len >> 8), u[5] = std::uint8_t(ip.payload_len);
  std::memcpy(u + 8, text.data(), text.size());
  return p;
}

// Reads frames until the UDP datagram to `port` shows up (a few seconds).
bool receive_udp(TunDevice& dev, Instant now, std::uint16_t port) {
  for (int rounds = 0; rounds < 50; ++rounds) {
    while (auto f = dev.receive(now))
      if (is_udp_to_stack(*f, port)) return true;
    if (!wait_readable(dev.fd(), 100)) continue;
  }
  return false;
}

std::string recv_text(int s, int flags = 0) {
  char buf[256];
  ssize_t n = ::recv(s, buf, sizeof buf, flags);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

TEST(TunDevice, OpenAssignsAddressPrefixMtuAndBringsUp) {
  in_fresh_netns([] {
    TunOptions o = test_options();
    o.mtu = 1400;
    auto dev = open_or_fail(o);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->name(), "sktest0");
    EXPECT_EQ(dev->caps().mtu, 1400u);
    EXPECT_EQ(dev->caps().medium, iface::Medium::Ip);
    EXPECT_GE(dev->fd(), 0);

    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    auto query = [&](unsigned long req) {
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, "sktest0", IFNAMSIZ - 1);
      EXPECT_EQ(::ioctl(s, req, &ifr), 0) << std::strerror(errno);
      return ifr;
    };
    auto addr_of = [](const sockaddr& sa) {
      sockaddr_in sin{};
      std::memcpy(&sin, &sa, sizeof sin);
      return ntohl(sin.sin_addr.s_addr);
    };
    EXPECT_EQ(addr_of(query(SIOCGIFADDR).ifr_addr), 0x0a630001u);        // 10.99.0.1
    EXPECT_EQ(addr_of(query(SIOCGIFNETMASK).ifr_netmask), 0xffffff00u);  // /24
    EXPECT_TRUE(query(SIOCGIFFLAGS).ifr_flags & IFF_UP);
    EXPECT_EQ(query(SIOCGIFMTU).ifr_mtu, 1400);
    ::close(s);
  });
}

TEST(TunDevice, KernelNameIsChosenWhenEmptyAndDeviceGoesAwayOnClose) {
  in_fresh_netns([] {
    TunOptions o;
    o.bring_up = false;
    auto dev = open_or_fail(o);
    ASSERT_TRUE(dev);
    std::string name = dev->name();
    EXPECT_EQ(name.rfind("tun", 0), 0u) << name;
    EXPECT_NE(::if_nametoindex(name.c_str()), 0u);
    dev.reset();
    EXPECT_EQ(::if_nametoindex(name.c_str()), 0u);  // not persistent
  });
}

TEST(TunDevice, BadOptionsGiveOneLineErrors) {
  TunOptions o = test_options("a-name-far-too-long");
  auto r = TunDevice::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "cannot create TUN device a-name-far-too-long: name longer than 15 characters");
  o = test_options();
  o.mtu = 20;
  r = TunDevice::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "cannot create TUN device sktest0: MTU 20 out of range (68..65535)");
  in_fresh_netns([] {
    // "lo" exists and is not a TUN device.
    auto lo = TunDevice::open(test_options("lo"));
    ASSERT_FALSE(lo);
    EXPECT_EQ(lo.error().rfind("cannot create TUN device lo: ", 0), 0u) << lo.error();
    EXPECT_EQ(lo.error().find('\n'), std::string::npos);
  });
}

TEST(TunDevice, WithoutCapNetAdminTheMessageSaysWhatIsNeeded) {
  in_fresh_netns([] {
    // Capabilities are per thread: drop CAP_NET_ADMIN in this one only.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    ASSERT_EQ(::syscall(SYS_capget, &hdr, data), 0) << std::strerror(errno);
    data[0].effective &= ~(1u << CAP_NET_ADMIN);
    data[0].permitted &= ~(1u << CAP_NET_ADMIN);
    data[0].inheritable &= ~(1u << CAP_NET_ADMIN);
    ASSERT_EQ(::syscall(SYS_capset, &hdr, data), 0) << std::strerror(errno);
    auto r = TunDevice::open(test_options("sktest9"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(),
              "cannot create TUN device sktest9: permission denied (root or CAP_NET_ADMIN is "
              "needed)");
  });
}

TEST(TunDevice, ExchangesPacketsWithTheKernelAndCapturesThem) {
  in_fresh_netns([] {
    auto dev = open_or_fail(test_options());
    ASSERT_TRUE(dev);
    auto path = std::filesystem::temp_directory_path() /
                ("synack_tun_" + std::to_string(::getpid()) + ".pcap");
    std::string err;
    auto pcap = PcapWriter::open(path.string(), &err);
    ASSERT_TRUE(pcap) << err;
    dev->set_pcap(pcap.get());
    Instant now = instant_from_us(1000);

    int s = kernel_udp(5555);
    // Non-blocking: draining whatever the kernel sent so far (IPv6 noise
    // after bring-up) ends with nullopt instead of waiting.
    int drained = 0;
    while (drained < 100 && dev->receive(now))
      ++drained;
    EXPECT_LT(drained, 100);
    send_to_stack(s, 9, "ping");
    EXPECT_TRUE(receive_udp(*dev, now, 9));
    EXPECT_GE(dev->counters().rx_frames, 1u);
    EXPECT_GE(dev->counters().rx_bytes, 32u);

    dev->transmit(now, udp_from_stack(5555, "pong"));
    EXPECT_EQ(recv_text(s), "pong");
    EXPECT_EQ(dev->counters().tx_frames, 1u);
    EXPECT_EQ(dev->counters().tx_bytes, 32u);
    EXPECT_EQ(dev->counters().tx_dropped, 0u);
    EXPECT_FALSE(dev->next_deadline());
    EXPECT_GE(pcap->frames_written(), 2u);
    pcap->close();
    ::close(s);
    std::filesystem::remove(path);
  });
}

TEST(TunDevice, ImpairmentHoldsFramesInBothDirectionsUntilDue) {
  in_fresh_netns([] {
    auto dev = open_or_fail(test_options());
    ASSERT_TRUE(dev);
    LinkParams p;
    p.delay = 20ms;
    dev->set_impairment(p, 42);
    ASSERT_NE(dev->egress_impairment(), nullptr);
    int s = kernel_udp(5555);

    // Ingress: read from the fd at t0, handed to the stack at t0 + 20 ms.
    Instant t0 = instant_from_us(1'000'000);
    send_to_stack(s, 9, "ping");
    ASSERT_TRUE(wait_readable(dev->fd()));
    EXPECT_FALSE(dev->receive(t0));
    ASSERT_TRUE(dev->next_deadline());
    EXPECT_EQ(*dev->next_deadline(), t0 + 20ms);
    bool early = false;
    while (auto f = dev->receive(t0 + 19ms))
      early = early || is_udp_to_stack(*f, 9);
    EXPECT_FALSE(early);
    EXPECT_TRUE(receive_udp(*dev, t0 + 20ms, 9));

    // Egress: written to the kernel only once a receive() at t1 + 20 ms runs.
    Instant t1 = t0 + 1s;
    dev->transmit(t1, udp_from_stack(5555, "pong"));
    EXPECT_EQ(recv_text(s, MSG_DONTWAIT), "");
    EXPECT_EQ(dev->counters().tx_frames, 0u);
    ASSERT_TRUE(dev->next_deadline());
    EXPECT_LE(*dev->next_deadline(), t1 + 20ms);
    while (dev->receive(t1 + 20ms)) {
    }
    EXPECT_EQ(recv_text(s), "pong");
    EXPECT_EQ(dev->counters().tx_frames, 1u);
    EXPECT_EQ(dev->egress_impairment()->stats().delivered, 1u);

    dev->clear_impairment();
    EXPECT_EQ(dev->egress_impairment(), nullptr);
    EXPECT_FALSE(dev->next_deadline());
    ::close(s);
  });
}

}  // namespace
}  // namespace synack::phy
