// EventLoop: sleeping, waking and stopping with a fake device on a socket
// pair (RuntimeEventLoop), then the whole stack against the real kernel over
// TUN inside a fresh network namespace (RuntimeTun: needs root; fails, never
// skips, without it). Real time is only bounded loosely, never measured
// tightly.
#include "runtime/event_loop.hpp"
#include "support/echo_server.hpp"
#include "support/netns.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "phy/tun_device.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"

namespace synack::runtime {
namespace {

using namespace std::chrono_literals;

iface::InterfaceConfig stack_config() {
  iface::InterfaceConfig c;
  c.name = "synack";
  c.address = *wire::Ipv4Cidr::parse("10.99.0.2/24");
  return c;
}

// A device on one end of a SOCK_SEQPACKET pair (boundaries kept, so one
// message is one frame); the test holds the other end.
class PairDevice final : public iface::Device {
 public:
  PairDevice() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_), 0);
  }
  ~PairDevice() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  iface::DeviceCaps caps() const override { return {}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override {
    receive_calls.push_back(now);
    ssize_t n = ::recv(fds_[0], buf_, sizeof buf_, 0);
    if (n <= 0) return std::nullopt;
    return std::span<const std::uint8_t>(buf_, static_cast<std::size_t>(n));
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    sent.emplace_back(frame.begin(), frame.end());
  }
  int fd() const { return fds_[0]; }
  int peer() const { return fds_[1]; }

  std::vector<Instant> receive_calls;
  std::vector<std::vector<std::uint8_t>> sent;

 private:
  int fds_[2] = {-1, -1};
  std::uint8_t buf_[2048];
};

// 10.99.0.1 (the kernel side) pings 10.99.0.2 (the stack).
std::vector<std::uint8_t> echo_request() {
  static const std::uint8_t payload[] = {'s', 'y', 'n', 'a', 'c', 'k'};
  wire::IcmpRepr icmp;
  icmp.ident = 0x1234;
  icmp.seq_no = 1;
  icmp.data = payload;
  wire::Ipv4Repr ip;
  ip.src = wire::Ipv4Address(10, 99, 0, 1);
  ip.dst = wire::Ipv4Address(10, 99, 0, 2);
  ip.protocol = 1;
  ip.payload_len = static_cast<std::uint16_t>(icmp.total_len());
  std::vector<std::uint8_t> p(20 + icmp.total_len());
  ip.emit(p);
  icmp.emit(std::span(p).subspan(20));
  return p;
}

bool is_echo_reply(std::span<const std::uint8_t> packet) {
  auto v = wire::Ipv4View<const std::uint8_t>::checked(packet);
  if (!v || v->protocol() != 1) return false;
  auto icmp = wire::IcmpRepr::parse(v->payload());
  return icmp && icmp->type == wire::IcmpType::EchoReply && icmp->ident == 0x1234;
}

TEST(RuntimeEventLoop, IdleLoopWakesOnlyForItsPeriodicTask) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  int ticks = 0;
  loop.every(10ms, [&] { ++ticks; });
  Instant start = loop.now();
  loop.run_for(105ms);
  EXPECT_GE(loop.now() - start, 105ms);
  EXPECT_GE(ticks, 3);
  EXPECT_LE(ticks, 11);
  EXPECT_LE(loop.stats().wakeups, static_cast<std::uint64_t>(ticks) + 5);  // no spinning
}

TEST(RuntimeEventLoop, ReadableFdIsPolledAndAnswered) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  auto req = echo_request();
  ASSERT_EQ(::send(dev.peer(), req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  loop.every(10ms, [] {});  // wakes the loop, so done() and the bound are checked
  Instant end = loop.now() + 5s;
  loop.run_until([&] { return !dev.sent.empty() || loop.now() >= end; });
  ASSERT_EQ(dev.sent.size(), 1u);
  EXPECT_TRUE(is_echo_reply(dev.sent[0]));
  EXPECT_EQ(stack.interface().counters().icmp_echo_replies, 1u);
}

TEST(RuntimeEventLoop, StopFromAnotherThreadAndBeforeRun) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    loop.stop();
  });
  loop.run_until([] { return false; });  // would sleep forever without stop()
  stopper.join();
  // A stop() with no run going makes the next run return at once.
  loop.stop();
  Instant before = loop.now();
  loop.run_for(10s);
  EXPECT_LT(loop.now() - before, 5s);
}

TEST(RuntimeEventLoop, StopSignalEndsTheRun) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  {
    EventLoop loop(stack, dev, dev.fd());
    loop.stop_on_signals({SIGUSR1});
    bool raised = false;
    // raise() targets this thread, where SIGUSR1 is now blocked.
    loop.every(10ms, [&] {
      if (!std::exchange(raised, true)) ::raise(SIGUSR1);
    });
    loop.run_for(10s);
    EXPECT_TRUE(raised);
    EXPECT_EQ(loop.stop_signal(), SIGUSR1);
  }
  sigset_t now_blocked;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &now_blocked);
  EXPECT_FALSE(sigismember(&now_blocked, SIGUSR1));  // restored
}

TEST(RuntimeEventLoop, WakesForTheDeviceDeadlineWithoutSpinning) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  Instant due = loop.now() + 30ms;
  loop.set_device_deadline([&]() -> std::optional<Instant> {
    bool served = std::any_of(dev.receive_calls.begin(), dev.receive_calls.end(),
                              [&](Instant t) { return t >= due; });
    return served ? std::nullopt : std::optional<Instant>(due);
  });
  loop.run_for(300ms);
  auto first = std::find_if(dev.receive_calls.begin(), dev.receive_calls.end(),
                            [&](Instant t) { return t >= due; });
  ASSERT_NE(first, dev.receive_calls.end());
  EXPECT_LT(*first, due + 200ms);  // woke for it, not at the end of the run
  EXPECT_LE(loop.stats().wakeups, 6u);
}

TEST(RuntimeEventLoop, ADeadlineStuckInThePastDoesNotSpin) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  loop.set_device_deadline([]() -> std::optional<Instant> { return Instant{}; });
  loop.run_for(50ms);
  EXPECT_GT(loop.stats().forced_sleeps, 0u);
  EXPECT_LT(loop.stats().wakeups, 200u);
}

TEST(RuntimeEventLoop, SourceFdWakesTheLoopAndItsDeadlineToo) {
  socket::Stack stack(stack_config());
  PairDevice dev;
  EventLoop loop(stack, dev, dev.fd());
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::string got;
  Instant due = loop.now() + 40ms;
  Instant fired{};
  int calls = 0;
  loop.add_source(
      pipe_fds[0], [&] { return fired == Instant{} ? due : kNever; },
      [&] {
        ++calls;
        char buf[16];
        ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        if (fired == Instant{} && loop.now() >= due) fired = loop.now();
        return false;
      });
  std::thread writer([&] {
    std::this_thread::sleep_for(80ms);
    ASSERT_EQ(::write(pipe_fds[1], "hi", 2), 2);
  });
  Instant end = loop.now() + 5s;
  loop.run_until([&] { return got == "hi" || loop.now() >= end; });
  writer.join();
  EXPECT_EQ(got, "hi");         // the fd woke the loop
  EXPECT_NE(fired, Instant{});  // and the deadline did before it
  EXPECT_LT(fired, due + 30ms);
  EXPECT_LE(loop.stats().wakeups, 10u);  // nothing else: no spinning
  EXPECT_GE(calls, 2);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

// --- against the kernel, over TUN ------------------------------------------------

// The stack at 10.99.0.2 behind TUN sktest0, whose kernel side is 10.99.0.1.
struct TunHost {
  explicit TunHost(const phy::LinkParams* impair = nullptr) {
    phy::TunOptions o;
    o.name = "sktest0";
    o.host_addr = wire::Ipv4Cidr::parse("10.99.0.1/24");
    auto d = phy::TunDevice::open(o);
    if (!d) {
      ADD_FAILURE() << d.error();
      return;
    }
    dev = std::move(*d);
    if (impair) dev->set_impairment(*impair, 7);
    stack = std::make_unique<socket::Stack>(stack_config());
    loop = std::make_unique<EventLoop>(*stack, *dev);
  }
  // Runs the loop while `kernel_side` runs in its own thread (which stops the
  // loop when done); 10 s at most.
  void run_with(const std::function<void()>& kernel_side) {
    std::thread k([&] {
      kernel_side();
      loop->stop();
    });
    loop->run_for(10s);
    k.join();
  }
  std::unique_ptr<phy::TunDevice> dev;
  std::unique_ptr<socket::Stack> stack;
  std::unique_ptr<EventLoop> loop;
};

// Runs `body` on a TunHost in a thread of its own with a new network
// namespace; the namespace and the TUN device in it vanish with the thread.
void with_tun_host(const phy::LinkParams* impair, const std::function<void(TunHost&)>& body) {
  synack::testing::in_fresh_netns([&] {
    TunHost h(impair);
    if (h.loop) body(h);
  });
}

sockaddr_in stack_addr(std::uint16_t port) {
  return sockaddr_in{AF_INET, htons(port), {htonl(0x0a630002)}, {}};  // 10.99.0.2
}

int kernel_socket(int type, int proto) {
  int s = ::socket(AF_INET, type | SOCK_CLOEXEC, proto);
  EXPECT_GE(s, 0) << std::strerror(errno);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return s;
}

// Sends an echo request from a raw socket and waits for the reply; true when
// it came back.
bool kernel_ping(int raw) {
  auto pkt = echo_request();
  sockaddr_in to = stack_addr(0);
  auto icmp = std::span(pkt).subspan(20);  // raw ICMP sockets add the IP header
  if (::sendto(raw, icmp.data(), icmp.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return false;
  std::uint8_t buf[2048];
  for (int i = 0; i < 20; ++i) {
    ssize_t n = ::recv(raw, buf, sizeof buf, 0);
    if (n <= 0) return false;
    if (is_echo_reply(std::span(buf, static_cast<std::size_t>(n)))) return true;
  }
  return false;
}

int connect_errno(int s, std::uint16_t port) {
  sockaddr_in a = stack_addr(port);
  return ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
}

TEST(RuntimeTun, KernelPingIsAnsweredAndUdpGetsPortUnreachable) {
  with_tun_host(nullptr, [](TunHost& h) {
    bool pinged = false;
    int udp_errno = 0;
    h.run_with([&] {
      int raw = kernel_socket(SOCK_RAW, IPPROTO_ICMP);
      pinged = kernel_ping(raw);
      ::close(raw);
      // A connected UDP socket learns of the ICMP port unreachable.
      int udp = kernel_socket(SOCK_DGRAM, 0);
      if (connect_errno(udp, 9) == 0 && ::send(udp, "x", 1, 0) == 1) {
        char c;
        if (::recv(udp, &c, 1, 0) < 0) udp_errno = errno;
      }
      ::close(udp);
    });
    EXPECT_TRUE(pinged);
    EXPECT_EQ(udp_errno, ECONNREFUSED) << std::strerror(udp_errno);
    EXPECT_GE(h.stack->interface().counters().icmp_echo_replies, 1u);
    EXPECT_GE(h.stack->interface().counters().icmp_unreachable_sent, 1u);
  });
}

using synack::testing::EchoServer;

// Connects to 10.99.0.2:7, sends `data` from a writer thread (so neither side
// waits on the other's window), half-closes, and reads everything back.
std::string kernel_echo(const std::string& data, int* err) {
  int s = kernel_socket(SOCK_STREAM, 0);
  *err = connect_errno(s, 7);
  std::string back;
  if (*err != 0) {
    ::close(s);
    return back;
  }
  std::thread writer([&] {
    std::size_t off = 0;
    while (off < data.size()) {
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
  ::close(s);
  return back;
}

TEST(RuntimeTun, KernelTcpEchoOf64KiBAndRefusedClosedPort) {
  with_tun_host(nullptr, [](TunHost& h) {
    EchoServer echo(*h.stack, 7);
    std::string data(64 * 1024, '\0');
    for (std::size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
    std::string back;
    int echo_err = -1;
    int closed_err = 0;
    h.run_with([&] {
      back = kernel_echo(data, &echo_err);
      int s = kernel_socket(SOCK_STREAM, 0);
      closed_err = connect_errno(s, 8);
      ::close(s);
    });
    EXPECT_EQ(echo_err, 0) << std::strerror(echo_err);
    EXPECT_EQ(back.size(), data.size());
    EXPECT_TRUE(back == data);
    EXPECT_EQ(closed_err, ECONNREFUSED) << std::strerror(closed_err);
    EXPECT_EQ(echo.conns.size(), 1u);
    EXPECT_EQ(h.dev->counters().tx_dropped, 0u);
  });
}

TEST(RuntimeTun, ImpairedLinkDelaysEachDirection) {
  phy::LinkParams p;
  p.delay = 20ms;
  with_tun_host(&p, [](TunHost& h) {
    EchoServer echo(*h.stack, 7);
    bool pinged = false;
    Duration rtt{0};
    std::string back;
    int err = -1;
    h.run_with([&] {
      int raw = kernel_socket(SOCK_RAW, IPPROTO_ICMP);
      Instant sent = h.loop->now();  // now() may be read from any thread
      pinged = kernel_ping(raw);
      rtt = h.loop->now() - sent;
      ::close(raw);
      back = kernel_echo("through a slow link", &err);
    });
    ASSERT_TRUE(pinged);
    EXPECT_GE(rtt, 40ms);  // 20 ms in, 20 ms out; only a lower bound is asserted
    EXPECT_EQ(err, 0);
    EXPECT_EQ(back, "through a slow link");
    EXPECT_GE(h.dev->ingress_impairment()->stats().delivered, 1u);
    EXPECT_GE(h.dev->egress_impairment()->stats().delivered, 1u);
  });
}

}  // namespace
}  // namespace synack::runtime
