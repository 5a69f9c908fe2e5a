// The Linux side of bench/run_syn_flood.sh: sends spoofed SYNs (random
// sources in 10.99.0.0/16, MSS, window scale, SACK-permitted and timestamps,
// like bench_syn_flood's) through a raw socket as fast as it can, in batches
// of 64 with sendmmsg(2), to a kernel listener behind a veth pair. The script
// reads the listener namespace's counters to get the SYNs the kernel handled.
//
//   linux_syn_flood DST_IP PORT SECONDS [MAX_SYNS]
// Prints one line: `sent N in S s`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

std::uint16_t checksum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}

// IPv4 (20) + TCP (20) + options (20): MSS, SACK-permitted, timestamps, NOP, window scale.
constexpr std::size_t kLen = 60;

std::vector<std::uint8_t> syn(std::mt19937_64& rng, std::uint32_t dst, std::uint16_t port) {
  std::uint64_t r = rng();
  std::uint32_t src = 0x0a630000u | static_cast<std::uint32_t>(r & 0xffff);
  std::vector<std::uint8_t> b(kLen, 0);
  std::uint8_t* ip = b.data();
  std::uint8_t* tcp = ip + 20;
  ip[0] = 0x45;
  put16(ip + 2, kLen);
  put16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  put32(ip + 12, src);
  put32(ip + 16, dst);
  put16(ip + 10, checksum(ip, 20));
  put16(tcp, static_cast<std::uint16_t>(1024 + (r >> 16) % 60000));
  put16(tcp + 2, port);
  put32(tcp + 4, static_cast<std::uint32_t>(r >> 32));
  tcp[12] = 10 << 4;  // 40-byte header
  tcp[13] = 0x02;     // SYN
  put16(tcp + 14, 64240);
  const std::uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  std::memcpy(tcp + 20, opts, sizeof opts);
  std::uint8_t pseudo[12];
  put32(pseudo, src);
  put32(pseudo + 4, dst);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16(pseudo + 10, 40);
  std::uint32_t sum = 0;
  for (int i = 0; i < 12; i += 2)
    sum += static_cast<std::uint32_t>(pseudo[i] << 8 | pseudo[i + 1]);
  put16(tcp + 16, checksum(tcp, 40, sum));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DST_IP PORT SECONDS [MAX_SYNS]\n", argv[0]);
    return 2;
  }
  in_addr dst{};
  if (inet_pton(AF_INET, argv[1], &dst) != 1) {
    std::fprintf(stderr, "bad address %s\n", argv[1]);
    return 2;
  }
  auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  double seconds = std::atof(argv[3]);
  std::uint64_t max = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : ~0ull;
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    std::perror("raw socket (root needed)");
    return 1;
  }
  std::mt19937_64 rng(42);
  std::vector<std::vector<std::uint8_t>> pkts;
  std::size_t distinct = std::min<std::uint64_t>(max, 1 << 16);
  for (std::size_t i = 0; i < distinct; ++i)
    pkts.push_back(syn(rng, ntohl(dst.s_addr), port));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr = dst;
  constexpr int kBatch = 64;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  auto t0 = std::chrono::steady_clock::now();
  auto end = t0 + std::chrono::duration<double>(seconds);
  std::uint64_t sent = 0;
  while (sent < max && std::chrono::steady_clock::now() < end) {
    int n = static_cast<int>(std::min<std::uint64_t>(kBatch, max - sent));
    for (int i = 0; i < n; ++i) {
      auto& p = pkts[(sent + static_cast<std::uint64_t>(i)) % pkts.size()];
      iov[i] = {p.data(), p.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &to;
      msgs[i].msg_hdr.msg_namelen = sizeof to;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int got = sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
    if (got > 0) sent += static_cast<std::uint64_t>(got);
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("sent %llu in %.3f s\n", static_cast<unsigned long long>(sent), took);
  return 0;
}
