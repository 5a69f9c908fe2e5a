// Linux's side of bench_memory: N TCP connections over 127.0.0.1, each
// sending 64 bytes each way and reading them, and the kernel memory they
// hold: the growth of /proc/meminfo's Slab (socket, inode, dentry, file and
// hash-table objects) plus /proc/net/sockstat's TCP buffer pages, divided by
// 2N (both ends are sockets here). The figure is machine-wide, so anything
// else allocating at the same time adds noise; run it on a quiet machine.
//
// usage: linux_memory [N]     (default 10000)
// The client ends live in a child process, so each process needs only N
// descriptors (a container may not let root raise the hard limit).
// Output: one "key value" per line, like bench_memory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "linux_memory: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// kB of a /proc/meminfo field.
long meminfo_kb(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0)
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  return 0;
}

// Pages of TCP buffer memory ("TCP: inuse .. mem P").
long sockstat_tcp_pages() {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream words(line);
    std::string w;
    while (words >> w)
      if (w == "mem" && words >> w) return std::strtol(w.c_str(), nullptr, 10);
  }
  return 0;
}

long kernel_bytes() {
  return meminfo_kb("Slab") * 1024 + sockstat_tcp_pages() * 4096;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000;
  if (n == 0) fail("usage: linux_memory [N>0]");
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < n + 64) {
    std::fprintf(stderr, "linux_memory: %zu connections need %zu descriptors, the limit is %lu\n",
                 n, n + 64, static_cast<unsigned long>(lim.rlim_cur));
    return 1;
  }

  int lst = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (lst < 0 || bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(lst, 4096) != 0)
    fail("listen");
  socklen_t len = sizeof a;
  getsockname(lst, reinterpret_cast<sockaddr*>(&a), &len);

  long base = kernel_bytes();
  char msg[64], buf[64];
  std::memset(msg, 'm', sizeof msg);
  int done[2], release[2];  // child -> parent: all connected; parent -> child: exit
  if (pipe(done) != 0 || pipe(release) != 0) fail("pipe");
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    close(done[0]);
    close(release[1]);  // or the read below never sees end of file
    std::vector<int> fds;
    for (std::size_t i = 0; i < n; ++i) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("connect");
      if (write(c, msg, sizeof msg) != 64) fail("write");
      if (recv(c, buf, sizeof buf, MSG_WAITALL) != 64) fail("read");
      fds.push_back(c);
    }
    if (write(done[1], "x", 1) != 1) fail("pipe write");
    char x;
    (void)read(release[0], &x, 1);  // until the parent has measured
    _exit(0);
  }
  close(done[1]);
  close(release[0]);
  std::vector<int> fds;
  for (std::size_t i = 0; i < n; ++i) {
    int s = accept(lst, nullptr, nullptr);
    if (s < 0) fail("accept");
    if (write(s, msg, sizeof msg) != 64) fail("write");
    if (recv(s, buf, sizeof buf, MSG_WAITALL) != 64) fail("read");
    fds.push_back(s);
  }
  char x;
  if (read(done[0], &x, 1) != 1) fail("child failed");
  sleep(1);  // delayed ACKs and slab accounting settle
  long after = kernel_bytes();
  std::printf("connections %zu\n", n);
  std::printf("kernel_per_end_bytes %.0f\n", static_cast<double>(after - base) / (2.0 * n));
  close(release[1]);
  waitpid(child, nullptr, 0);
  for (int fd : fds)
    close(fd);
  close(lst);
  return 0;
}
