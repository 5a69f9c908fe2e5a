// TapDevice against the real kernel: the whole stack (Medium::Ethernet) at
// 10.98.0.2 behind TAP sktap0, whose kernel side is 10.98.0.1/24. Each test
// runs in a thread that first moves into a fresh network namespace, so the
// interfaces it makes vanish with the thread. These tests need root and
// /dev/net/tun; they fail, not skip, when those are missing.
#include "phy/tap_device.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "phy/pcap_writer.hpp"
#include "phy/tun_device.hpp"
#include "runtime/event_loop.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "support/echo_server.hpp"
#include "support/netns.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"

namespace synack::phy {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kKernelIp = 0x0a620001;  // 10.98.0.1
constexpr std::uint32_t kStackIp = 0x0a620002;   // 10.98.0.2

using synack::testing::in_fresh_netns;

TapOptions tap_options(const std::string& name = "sktap0") {
  TapOptions o;
  o.name = name;
  o.host_addr = wire::Ipv4Cidr::parse("10.98.0.1/24");
  return o;
}

// The kernel side's MAC address (SIOCGIFHWADDR) and hardware type.
std::pair<wire::MacAddress, int> kernel_mac(const char* ifname) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  EXPECT_EQ(::ioctl(s, SIOCGIFHWADDR, &ifr), 0) << std::strerror(errno);
  ::close(s);
  auto* b = reinterpret_cast<const std::uint8_t*>(ifr.ifr_hwaddr.sa_data);
  return {wire::MacAddress::from_bytes(std::span(b, 6)), ifr.ifr_hwaddr.sa_family};
}

// The kernel's ARP table line for `ip` in this thread's namespace, or "".
std::string kernel_arp_entry(const std::string& ip) {
  std::ifstream f("/proc/thread-self/net/arp");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(ip + " ", 0) == 0) return line;
  return {};
}

int kernel_socket(int type, int proto) {
  int s = ::socket(AF_INET, type | SOCK_CLOEXEC, proto);
  EXPECT_GE(s, 0) << std::strerror(errno);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return s;
}

sockaddr_in inet(std::uint32_t ip, std::uint16_t port) {
  return sockaddr_in{AF_INET, htons(port), {htonl(ip)}, {}};
}

// The stack behind the TAP, driven by an EventLoop.
struct TapHost {
  explicit TapHost(PcapWriter* pcap = nullptr, const LinkParams* impair = nullptr) {
    auto d = TapDevice::open(tap_options());
    if (!d) {
      ADD_FAILURE() << d.error();
      return;
    }
    dev = std::move(*d);
    if (pcap) dev->set_pcap(pcap);
    if (impair) dev->set_impairment(*impair, 7);
    iface::InterfaceConfig c;
    c.name = "synack";
    c.address = *wire::Ipv4Cidr::parse("10.98.0.2/24");
    stack = std::make_unique<socket::Stack>(c);
    loop = std::make_unique<runtime::EventLoop>(*stack, *dev);
    loop->every(10ms, [] {});  // so that done() is checked often
  }
  // Runs the loop while `kernel_side` runs in a thread of its own (in this
  // namespace), until it returned and `done()` holds; 10 s at most.
  void run_with(
      const std::function<void()>& kernel_side,
      const std::function<bool()>& done = [] { return true; }) {
    std::atomic<bool> finished{false};
    std::thread k([&] {
      kernel_side();
      finished = true;
    });
    Instant end = loop->now() + 10s;
    loop->run_until([&] { return (finished && done()) || loop->now() >= end; });
    k.join();
  }
  const iface::EthernetLink& link() const { return *stack->interface().ethernet(); }

  std::unique_ptr<TapDevice> dev;
  std::unique_ptr<socket::Stack> stack;
  std::unique_ptr<runtime::EventLoop> loop;
};

void with_tap_host(PcapWriter* pcap, const LinkParams* impair,
                   const std::function<void(TapHost&)>& body) {
  in_fresh_netns([&] {
    TapHost h(pcap, impair);
    if (h.loop) body(h);
  });
}

// An ICMP echo request from a raw socket to the stack; true when the reply came.
bool kernel_ping(std::uint16_t ident) {
  int raw = kernel_socket(SOCK_RAW, IPPROTO_ICMP);
  static const std::uint8_t payload[] = {'t', 'a', 'p'};
  wire::IcmpRepr icmp;
  icmp.ident = ident;
  icmp.seq_no = 1;
  icmp.data = payload;
  std::vector<std::uint8_t> msg(icmp.total_len());
  icmp.emit(msg);
  sockaddr_in to = inet(kStackIp, 0);
  bool ok = false;
  if (::sendto(raw, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) {
    std::uint8_t buf[2048];
    for (int i = 0; i < 20 && !ok; ++i) {
      ssize_t n = ::recv(raw, buf, sizeof buf, 0);
      if (n <= 0) break;
      auto v = wire::Ipv4View<const std::uint8_t>::checked(std::span(buf, std::size_t(n)));
      if (!v || v->src() != wire::Ipv4Address(kStackIp)) continue;
      auto r = wire::IcmpRepr::parse(v->payload());
      ok = r && r->type == wire::IcmpType::EchoReply && r->ident == ident;
    }
  }
  ::close(raw);
  return ok;
}

using synack::testing::EchoServer;

// A kernel TCP client: sends `data` to the stack's port 7 from a writer
// thread, half-closes, and returns what came back.
std::string kernel_echo(const std::string& data, int* err) {
  int s = kernel_socket(SOCK_STREAM, 0);
  sockaddr_in a = inet(kStackIp, 7);
  *err = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
  std::string back;
  if (*err == 0) {
    std::thread writer([&] {
      for (std::size_t off = 0; off < data.size();) {
        ssize_t n = ::send(s, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::shutdown(s, SHUT_WR);
    });
    char buf[8192];
    while (true) {
      ssize_t n = ::recv(s, buf, sizeof buf, 0);
      if (n <= 0) break;
      back.append(buf, static_cast<std::size_t>(n));
    }
    writer.join();
  }
  ::close(s);
  return back;
}

TEST(TapDevice, OpenGivesAnEthernetInterfaceWithTheHostAddress) {
  in_fresh_netns([] {
    TapOptions o = tap_options();
    o.mtu = 1400;
    auto dev = TapDevice::open(o);
    ASSERT_TRUE(dev) << dev.error();
    EXPECT_EQ((*dev)->name(), "sktap0");
    EXPECT_EQ((*dev)->caps().mtu, 1400u);
    EXPECT_EQ((*dev)->caps().medium, iface::Medium::Ethernet);
    auto [mac, hwtype] = kernel_mac("sktap0");
    EXPECT_EQ(hwtype, ARPHRD_ETHER);
    EXPECT_TRUE(mac.is_unicast());
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "sktap0", IFNAMSIZ - 1);
    ASSERT_EQ(::ioctl(s, SIOCGIFADDR, &ifr), 0);
    sockaddr_in sin{};
    std::memcpy(&sin, &ifr.ifr_addr, sizeof sin);
    EXPECT_EQ(ntohl(sin.sin_addr.s_addr), kKernelIp);
    ASSERT_EQ(::ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
    ::close(s);
    // The kernel picks "tapN" when no name is given.
    TapOptions unnamed;
    unnamed.bring_up = false;
    auto auto_dev = TapDevice::open(unnamed);
    ASSERT_TRUE(auto_dev) << auto_dev.error();
    EXPECT_EQ((*auto_dev)->name().rfind("tap", 0), 0u) << (*auto_dev)->name();
  });
}

TEST(TapDevice, ErrorsNameTheTapDevice) {
  auto r = TapDevice::open(tap_options("a-name-far-too-long"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "cannot create TAP device a-name-far-too-long: name longer than 15 characters");
  in_fresh_netns([] {
    // A TUN interface cannot be reopened as TAP.
    TunOptions o;
    o.name = "sktun0";
    auto tun = TunDevice::open(o);
    ASSERT_TRUE(tun) << tun.error();
    auto clash = TapDevice::open(tap_options("sktun0"));
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().rfind("cannot create TAP device sktun0: ", 0), 0u) << clash.error();
  });
  in_fresh_netns([] {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    ASSERT_EQ(::syscall(SYS_capget, &hdr, data), 0) << std::strerror(errno);
    data[0].effective &= ~(1u << CAP_NET_ADMIN);
    data[0].permitted &= ~(1u << CAP_NET_ADMIN);
    data[0].inheritable &= ~(1u << CAP_NET_ADMIN);
    ASSERT_EQ(::syscall(SYS_capset, &hdr, data), 0) << std::strerror(errno);
    auto denied = TapDevice::open(tap_options("sktap9"));
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error(),
              "cannot create TAP device sktap9: permission denied (root or CAP_NET_ADMIN is "
              "needed)");
  });
}

TEST(TapDevice, KernelResolvesTheStackByArpPingsItAndEchoes64KiB) {
  auto path = std::filesystem::temp_directory_path() /
              ("synack_tap_" + std::to_string(::getpid()) + ".pcap");
  std::string err;
  auto pcap = PcapWriter::open(path.string(), &err, PcapLinkType::Ethernet);
  ASSERT_TRUE(pcap) << err;
  with_tap_host(pcap.get(), nullptr, [](TapHost& h) {
    EchoServer echo(*h.stack, 7);
    std::string data(64 * 1024, '\0');
    for (std::size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
    bool pinged = false;
    std::string arp_line;
    std::string back;
    int echo_err = -1;
    h.run_with([&] {
      pinged = kernel_ping(0x7a7a);
      arp_line = kernel_arp_entry("10.98.0.2");
      back = kernel_echo(data, &echo_err);
    });
    EXPECT_TRUE(pinged);
    // The kernel learned the stack's default MAC, 02:00 + its IPv4 address.
    EXPECT_NE(arp_line.find("02:00:0a:62:00:02"), std::string::npos) << arp_line;
    EXPECT_EQ(echo_err, 0) << std::strerror(echo_err);
    EXPECT_EQ(back.size(), data.size());
    EXPECT_TRUE(back == data);
    EXPECT_EQ(echo.conns.size(), 1u);
    const auto& link = h.link();
    EXPECT_GE(link.counters().arp_replies, 1u);
    EXPECT_EQ(link.neighbors().lookup(h.loop->now(), wire::Ipv4Address(kKernelIp)),
              kernel_mac("sktap0").first);
    EXPECT_EQ(h.dev->counters().tx_dropped, 0u);
  });
  EXPECT_GE(pcap->frames_written(), 10u);
  pcap->close();
  // LINKTYPE_ETHERNET (1) in the file header's network field.
  std::ifstream f(path, std::ios::binary);
  char header[24] = {};
  f.read(header, sizeof header);
  std::uint32_t link = 0;
  std::memcpy(&link, header + 20, 4);
  EXPECT_EQ(link, 1u);
  std::filesystem::remove(path);
}

TEST(TapDevice, StackResolvesTheKernelWhenItConnects) {
  with_tap_host(nullptr, nullptr, [](TapHost& h) {
    int l = kernel_socket(SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = inet(kKernelIp, 9000);
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(l, 4), 0);

    h.stack->set_time(h.loop->now());
    auto c = h.stack->connect(wire::Ipv4Address(kKernelIp), 9000);
    ASSERT_TRUE(c);
    socket::TcpStream stream = std::move(*c);
    stream.write(std::string_view("hello over ethernet"));
    std::string got;
    stream.on_event([&] {
      std::uint8_t buf[256];
      while (std::size_t n = stream.read(buf))
        got.append(reinterpret_cast<char*>(buf), n);
    });
    std::string heard;
    h.run_with(
        [&] {
          int s = ::accept(l, nullptr, nullptr);
          if (s < 0) return;
          char buf[256];
          ssize_t n = ::recv(s, buf, sizeof buf, 0);
          if (n > 0) heard.assign(buf, static_cast<std::size_t>(n));
          ::send(s, "welcome", 7, MSG_NOSIGNAL);
          ::close(s);
        },
        [&] { return got == "welcome"; });
    ::close(l);
    EXPECT_EQ(heard, "hello over ethernet");
    EXPECT_EQ(got, "welcome");
    const auto& link = h.link();
    EXPECT_GE(link.counters().arp_requests, 1u);
    EXPECT_EQ(link.neighbors().counters().resolved, 1u);
    EXPECT_EQ(link.neighbors().lookup(h.loop->now(), wire::Ipv4Address(kKernelIp)),
              kernel_mac("sktap0").first);
  });
}

TEST(TapDevice, ImpairedLinkDelaysArpAndPing) {
  LinkParams p;
  p.delay = 20ms;
  with_tap_host(nullptr, &p, [](TapHost& h) {
    bool pinged = false;
    Duration rtt{0};
    h.run_with([&] {
      Instant sent = h.loop->now();
      pinged = kernel_ping(0x1d1d);
      rtt = h.loop->now() - sent;
    });
    ASSERT_TRUE(pinged);
    // ARP request and reply, then the echo request and reply: 4 x 20 ms.
    EXPECT_GE(rtt, 80ms);
    EXPECT_GE(h.dev->ingress_impairment()->stats().delivered, 2u);
    EXPECT_GE(h.dev->egress_impairment()->stats().delivered, 2u);
  });
}

}  // namespace
}  // namespace synack::phy
