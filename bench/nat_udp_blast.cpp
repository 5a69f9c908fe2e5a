// A UDP packet blaster and counter for bench/nat_bench.py (not a Google
// Benchmark program): Python cannot send small datagrams fast enough to load
// a router, so the benchmark's sender and receiver are this.
//
//   nat_udp_blast send DST_IP PORT SECONDS PAYLOAD_BYTES   (prints datagrams sent)
//   nat_udp_blast recv BIND_IP PORT SECONDS                (prints datagrams received
//                                                           and the seconds between the
//                                                           first and the last)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int send_mode(const char* ip, int port, double seconds, std::size_t size) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, ip, &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return perror("connect"), 1;
  constexpr int kBatch = 64;
  std::vector<char> payload(size, 'x');
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {payload.data(), payload.size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  unsigned long long sent = 0;
  while (seconds_since(t0) < seconds) {
    int n = sendmmsg(fd, msgs, kBatch, 0);
    if (n > 0) sent += static_cast<unsigned>(n);
  }
  std::printf("%llu\n", sent);
  return 0;
}

int recv_mode(const char* ip, int port, double seconds) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, ip, &at.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) return perror("bind"), 1;
  timeval tv{0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::printf("ready\n");
  std::fflush(stdout);
  constexpr int kBatch = 64;
  static char bufs[kBatch][2048];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {bufs[i], sizeof bufs[i]};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point first{}, last{};
  unsigned long long got = 0;
  while (seconds_since(start) < seconds) {
    int n = recvmmsg(fd, msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    if (got == 0) first = std::chrono::steady_clock::now();
    got += static_cast<unsigned>(n);
    last = std::chrono::steady_clock::now();
  }
  std::printf("%llu %.6f\n", got, got ? std::chrono::duration<double>(last - first).count() : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::strcmp(argv[1], "send") == 0)
    return send_mode(argv[2], std::atoi(argv[3]), std::atof(argv[4]),
                     static_cast<std::size_t>(std::atoi(argv[5])));
  if (argc == 5 && std::strcmp(argv[1], "recv") == 0)
    return recv_mode(argv[2], std::atoi(argv[3]), std::atof(argv[4]));
  std::fprintf(stderr,
               "usage: nat_udp_blast send DST_IP PORT SECONDS PAYLOAD_BYTES\n"
               "       nat_udp_blast recv BIND_IP PORT SECONDS\n");
  return 2;
}
