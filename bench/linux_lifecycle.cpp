// The Linux kernel doing what bench/bench_lifecycle.cpp asks of synack, over
// loopback, in one thread: connect, a 64-byte request, accept, read it, a
// 64-byte response, read it, close the client, see EOF on the server and close
// it. Only 127.0.0.0/8 is ever used: the listener is on 127.0.0.1 and clients
// bind to other loopback addresses.
//
// Closing is a normal close (no SO_LINGER {1, 0}), so every client connection
// ends in TIME-WAIT for 60 s. To keep clients from running out of ephemeral
// ports towards 127.0.0.1:port (28232 of them; net.ipv4.tcp_tw_reuse is not
// relied upon), each client binds to the next source address of
// 127.1.0.1..127.1.255.254 with IP_BIND_ADDRESS_NO_PORT, so the kernel picks
// the port at connect() time for the full 4-tuple. That costs one setsockopt
// and one bind per cycle; the "fixed_src" variant skips them and lets the
// kernel choose ports from 127.0.0.1 (it may fail with EADDRNOTAVAIL once the
// ports are spent, depending on tcp_tw_reuse). Beyond
// net.ipv4.tcp_max_tw_buckets TIME-WAIT sockets the kernel stops creating
// them (closing becomes slightly cheaper); the counter tw_end reports the
// number from /proc/net/sockstat when each benchmark ends.
//
// Loopback delivers synchronously in the sender's softirq, so data is
// normally there by the time the other side reads; reads and accepts use
// MSG_DONTWAIT / a non-blocking listener and fall back to poll() with a 5 s
// limit, so a lost segment fails the benchmark instead of hanging it.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t kMsgLen = 64;
constexpr int kWaitMs = 5000;
constexpr int kBacklog = 4096;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The reason for a failure, kept for SkipWithError.
struct Failure {
  std::string text;
  bool set(const char* what) {
    text = std::string(what) + ": " + std::strerror(errno);
    return false;
  }
  bool set_plain(const char* what) {
    text = what;
    return false;
  }
};

sockaddr_in loopback(std::uint32_t host_order_addr, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_order_addr);
  a.sin_port = htons(port);
  return a;
}

constexpr std::uint32_t kListenAddr = 0x7f000001;  // 127.0.0.1
constexpr std::uint32_t kSourceBase = 0x7f010000;  // 127.1.0.0
constexpr std::uint32_t kSourceCount = 65534;      // 127.1.0.1 .. 127.1.255.254

// A listening socket on 127.0.0.1 with a kernel-chosen port; non-blocking so
// that an empty accept queue is seen, not waited on.
bool open_listener(Fd& fd, sockaddr_in& addr, Failure& f) {
  fd = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return f.set("socket");
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return f.set("SO_REUSEADDR");
  addr = loopback(kListenAddr, 0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return f.set("bind listener");
  if (::listen(fd.get(), kBacklog) != 0) return f.set("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return f.set("getsockname");
  return true;
}

bool wait_for(int fd, short events, Failure& f) {
  pollfd p{fd, events, 0};
  int r = ::poll(&p, 1, kWaitMs);
  if (r < 0) return f.set("poll");
  if (r == 0) return f.set_plain("timed out waiting on a loopback socket");
  return true;
}

class Client {
 public:
  explicit Client(bool rotate_source) : rotate_(rotate_source) {}

  // A blocking connect: over loopback to a listener with room in its
  // backlog, the handshake completes without anyone calling accept().
  bool connect(Fd& fd, const sockaddr_in& server, Failure& f) {
    fd = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return f.set("socket");
    if (rotate_) {
      int one = 1;
      if (::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
        return f.set("IP_BIND_ADDRESS_NO_PORT");
      sockaddr_in src = loopback(kSourceBase + 1 + next_, 0);
      next_ = (next_ + 1) % kSourceCount;
      if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0)
        return f.set("bind client");
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0)
      return f.set("connect");
    return true;
  }

 private:
  bool rotate_;
  std::uint32_t next_ = 0;
};

bool accept_one(int listener, Fd& out, Failure& f) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      out = Fd(fd);
      return true;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return f.set("accept");
    if (!wait_for(listener, POLLIN, f)) return false;
  }
  return f.set_plain("accept: nothing to accept");
}

bool write_all(int fd, const std::uint8_t* data, std::size_t len, Failure& f) {
  ssize_t n = ::write(fd, data, len);
  if (n < 0) return f.set("write");
  if (static_cast<std::size_t>(n) != len) return f.set_plain("short write");
  return true;
}

// Reads exactly `len` bytes (len = 0: expects end of stream).
bool read_exact(int fd, std::uint8_t* buf, std::size_t len, Failure& f) {
  std::size_t got = 0;
  for (int rounds = 0; rounds < 16; ++rounds) {
    ssize_t n = ::recv(fd, buf + got, len == 0 ? 1 : len - got, MSG_DONTWAIT);
    if (n > 0) {
      if (len == 0) return f.set_plain("data where end of stream was expected");
      got += static_cast<std::size_t>(n);
      if (got == len) return true;
      continue;
    }
    if (n == 0) {
      if (len == 0) return true;
      return f.set_plain("unexpected end of stream");
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return f.set("recv");
    if (!wait_for(fd, POLLIN, f)) return false;
  }
  return f.set_plain("read did not complete");
}

// TIME-WAIT sockets on this host right now (the "tw" field of
// /proc/net/sockstat), or -1 if unknown.
double time_wait_count() {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream words(line);
    std::string key;
    long value = 0;
    words >> key;
    while (words >> key >> value)
      if (key == "tw") return static_cast<double>(value);
  }
  return -1;
}

struct Messages {
  std::array<std::uint8_t, kMsgLen> request;
  std::array<std::uint8_t, kMsgLen> response;
  std::array<std::uint8_t, 2 * kMsgLen> buf{};
  Messages() {
    request.fill('q');
    response.fill('r');
  }
};

// ---- one cycle at a time -----------------------------------------------------------

bool one_cycle(Client& client, int listener, const sockaddr_in& server, Messages& m, Failure& f) {
  Fd c;
  Fd s;
  if (!client.connect(c, server, f)) return false;
  if (!write_all(c.get(), m.request.data(), kMsgLen, f)) return false;
  if (!accept_one(listener, s, f)) return false;
  if (!read_exact(s.get(), m.buf.data(), kMsgLen, f)) return false;
  if (!write_all(s.get(), m.response.data(), kMsgLen, f)) return false;
  if (!read_exact(c.get(), m.buf.data(), kMsgLen, f)) return false;
  c.reset();  // FIN; the client ends in TIME-WAIT
  if (!read_exact(s.get(), m.buf.data(), 0, f)) return false;
  s.reset();  // FIN; the final ACK comes back at once over loopback
  return true;
}

void BM_LinuxLifecycle(benchmark::State& state, bool rotate_source) {
  Failure f;
  Fd listener;
  sockaddr_in server{};
  if (!open_listener(listener, server, f)) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  Client client(rotate_source);
  Messages m;
  bool ok = true;
  for (auto _ : state) {
    if (!(ok = one_cycle(client, listener.get(), server, m, f))) break;
  }
  if (!ok) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tw_end"] = time_wait_count();
}

// ---- many cycles in flight -----------------------------------------------------------

// N cycles at once, phase by phase, as bench_lifecycle.cpp does with synack.
void BM_LinuxLifecycleInFlight(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Failure f;
  Fd listener;
  sockaddr_in server{};
  if (!open_listener(listener, server, f)) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  Client client(true);
  Messages m;
  std::vector<Fd> clients(n);
  std::vector<Fd> servers(n);
  auto batch = [&]() -> bool {
    for (auto& c : clients)
      if (!client.connect(c, server, f)) return false;
    for (auto& c : clients)
      if (!write_all(c.get(), m.request.data(), kMsgLen, f)) return false;
    for (auto& s : servers)
      if (!accept_one(listener.get(), s, f)) return false;
    for (auto& s : servers) {
      if (!read_exact(s.get(), m.buf.data(), kMsgLen, f)) return false;
      if (!write_all(s.get(), m.response.data(), kMsgLen, f)) return false;
    }
    for (auto& c : clients) {
      if (!read_exact(c.get(), m.buf.data(), kMsgLen, f)) return false;
      c.reset();
    }
    for (auto& s : servers) {
      if (!read_exact(s.get(), m.buf.data(), 0, f)) return false;
      s.reset();
    }
    return true;
  };
  bool ok = true;
  for (auto _ : state) {
    if (!(ok = batch())) break;
  }
  if (!ok) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["tw_end"] = time_wait_count();
}

// ---- ping-pong on an established connection ------------------------------------------

void BM_LinuxPingPong(benchmark::State& state) {
  Failure f;
  Fd listener;
  sockaddr_in server{};
  Client client(true);
  Fd c;
  Fd s;
  if (!open_listener(listener, server, f) || !client.connect(c, server, f) ||
      !accept_one(listener.get(), s, f)) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  Messages m;
  bool ok = true;
  for (auto _ : state) {
    ok = write_all(c.get(), m.request.data(), kMsgLen, f) &&
         read_exact(s.get(), m.buf.data(), kMsgLen, f) &&
         write_all(s.get(), m.response.data(), kMsgLen, f) &&
         read_exact(c.get(), m.buf.data(), kMsgLen, f);
    if (!ok) break;
  }
  if (!ok) {
    state.SkipWithError(f.text.c_str());
    return;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("linux/lifecycle", BM_LinuxLifecycle, true);
  benchmark::RegisterBenchmark("linux/lifecycle_fixed_src", BM_LinuxLifecycle, false);
  benchmark::RegisterBenchmark("linux/lifecycle_inflight", BM_LinuxLifecycleInFlight)->Arg(1000);
  benchmark::RegisterBenchmark("linux/pingpong", BM_LinuxPingPong);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
