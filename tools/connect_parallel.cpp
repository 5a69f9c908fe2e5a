#include "connect_parallel.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <span>

#include "net_cores.hpp"
#include "runtime/cores.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::tools {
namespace {

// The --send file, mapped once and read by every connection on every core
// (read only): K connections cost no file descriptor or buffer each.
class MappedFile {
 public:
  ~MappedFile() {
    if (addr_ != MAP_FAILED && addr_ != nullptr) ::munmap(addr_, size_);
  }
  // False (errno set) when the file cannot be opened or mapped.
  bool open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return false;
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    return addr_ != MAP_FAILED;
  }
  std::span<const std::uint8_t> bytes() const {
    if (size_ == 0) return {};
    return {static_cast<const std::uint8_t*>(addr_), size_};
  }

 private:
  void* addr_ = nullptr;
  std::size_t size_ = 0;
};

// One of the K connections: it sends the --send file and counts what
// arrives, like connect does with one (without --out).
struct Flow {
  std::size_t id = 0;
  socket::TcpStream s;
  std::span<const std::uint8_t> left;  // what is still to send
  bool input_done = false;
  bool closing = false;
  std::uint64_t sent = 0, received = 0;
  std::string error;  // why it could not be opened
};

void pump(Flow& f, bool shutdown_after_send) {
  socket::TcpStream& s = f.s;
  if (!s.connected() && s.state() != tcp::TcpState::CloseWait) return;
  while (!f.input_done) {
    if (f.left.empty()) {
      f.input_done = true;
      if (shutdown_after_send) s.shutdown();
      break;
    }
    std::size_t n = s.write(f.left);
    f.left = f.left.subspan(n);
    f.sent += n;
    if (n == 0) break;
  }
  std::uint8_t buf[16384];
  while (std::size_t n = s.read(buf))
    f.received += n;
  if (s.at_eof() && f.input_done && !f.closing) {
    f.closing = true;
    s.close();
  }
}

std::string outcome(const Flow& f) {
  if (!f.error.empty()) return f.error;
  if (!f.s.closed()) return "interrupted";
  switch (f.s.error()) {
    case socket::SocketError::None:
      return "ok";
    case socket::SocketError::Refused:
      return "refused";
    case socket::SocketError::TimedOut:
      return "timed out";
    case socket::SocketError::Reset:
      return "reset";
    default:
      return std::string(socket::to_string(f.s.error()));
  }
}

}  // namespace

int run_connect_parallel(const ConnectArgs& a, wire::Ipv4Address ip, std::uint16_t port) {
  const auto n = static_cast<std::size_t>(a.cores);
  const auto k = static_cast<std::size_t>(a.parallel);
  int code = 0;
  MappedFile file;
  if (!a.send_file.empty() && !file.open(a.send_file)) {
    std::fprintf(stderr, "synack connect: error: cannot read --send file %s: %s\n",
                 a.send_file.c_str(), std::strerror(errno));
    return 1;
  }
  auto cores = open_net_cores("connect", a.net, n, /*own_ports=*/true, code);
  if (cores.empty()) return code;
  // Core c runs connections c, c + n, c + 2n, ...
  std::vector<std::vector<std::unique_ptr<Flow>>> flows(n);
  for (std::size_t i = 0; i < k; ++i) {
    auto f = std::make_unique<Flow>();
    f->id = i;
    NetCore& c = cores[i % n];
    if (!a.send_file.empty()) {
      f->left = file.bytes();
    } else {
      f->input_done = true;
    }
    auto stream = c.stack->connect(ip, port, c.cfg);
    if (stream) {
      f->s = std::move(*stream);
      Flow* p = f.get();
      f->s.on_event([p, sh = a.shutdown_after_send] { pump(*p, sh); });
    } else {
      f->error = std::string(socket::to_string(stream.error()));
    }
    flows[i % n].push_back(std::move(f));
  }

  runtime::SignalWaiter waiter({SIGINT, SIGTERM});
  std::atomic<std::size_t> finished{0};
  std::atomic<bool> interrupted{false};
  runtime::CoreThreads threads;
  threads.start(n, [&](std::size_t c) {
    runtime::EventLoop& loop = *cores[c].loop;
    auto& mine = flows[c];
    loop.run_until([&] {
      for (auto& f : mine)
        if (f->error.empty() && !f->s.closed()) return false;
      return true;
    });
    if (interrupted.load()) {
      for (auto& f : mine)
        if (f->error.empty() && !f->s.closed()) f->s.abort();
    }
    loop.drain(std::chrono::seconds(1));  // the last ACKs or RSTs reach the wire
    ++finished;
    waiter.wake();
  });
  while (finished.load() < n) {
    if (auto sig = waiter.wait()) {
      interrupted = true;
      for (auto& c : cores)
        c.loop->stop();
      break;
    }
  }
  threads.join();

  std::size_t ok = 0;
  std::string detail;
  for (std::size_t i = 0; i < k; ++i) {
    const Flow& f = *flows[i % n][i / n];
    std::string how = outcome(f);
    if (how == "ok") ++ok;
    detail +=
        fmt::format("; #{} core {} sent {} received {} {}", f.id, i % n, f.sent, f.received, how);
  }
  std::printf("parallel %zu connections on %zu core%s: %zu ok, %zu failed%s\n", k, n,
              n == 1 ? "" : "s", ok, k - ok, detail.c_str());
  std::fflush(stdout);
  if (a.net.stats) {
    std::vector<const phy::TunDevice*> queues;
    std::vector<const socket::Stack*> stacks;
    for (auto& c : cores) {
      queues.push_back(c.dev.get());
      stacks.push_back(c.stack.get());
    }
    std::fputs((cores_device_report(queues) + cores_buffer_report(stacks)).c_str(), stderr);
  }
  if (interrupted.load()) {
    std::fprintf(stderr, "synack connect: interrupted\n");
    return 1;
  }
  return ok == k ? 0 : 1;
}

}  // namespace synack::tools
