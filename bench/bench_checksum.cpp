// The Internet checksum's speed beside memcpy's, in the same run: a
// 1,500-byte frame and a 64 KiB segment, the sum alone (receive path), the
// sum fused with the copy (send path, wire::checksum_copy), and memcpy of the
// same buffer. The ratio printed at the end is checksum bandwidth over memcpy
// bandwidth (issue goal: at least 0.5). Not a test: nothing is asserted.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "rate_reporter.hpp"
#include "wire/checksum.hpp"

using namespace synack;

namespace {

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return v;
}

void finish(benchmark::State& state, std::size_t size) {
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(size);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["Gbit"] = benchmark::Counter(bytes * 8 / 1e9, benchmark::Counter::kIsRate);
}

void BM_Checksum(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  auto buf = pattern(size);
  for (auto _ : state) {
    std::uint32_t s = wire::checksum_accumulate(0, buf);
    benchmark::DoNotOptimize(s);
  }
  finish(state, size);
}

void BM_ChecksumCopy(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  auto src = pattern(size);
  std::vector<std::uint8_t> dst(size);
  for (auto _ : state) {
    std::uint32_t s = wire::checksum_copy(0, dst, src);
    benchmark::DoNotOptimize(s);
    benchmark::ClobberMemory();
  }
  finish(state, size);
}

void BM_Memcpy(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  auto src = pattern(size);
  std::vector<std::uint8_t> dst(size);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  finish(state, size);
}

// 20 and 64 bytes: an IPv4 header and a small segment, where the fixed cost
// of a call, not bandwidth, is what counts.
BENCHMARK(BM_Checksum)->Name("checksum")->ArgName("bytes")->Arg(20)->Arg(64)->Arg(1500)->Arg(65536);
BENCHMARK(BM_ChecksumCopy)->Name("checksum_copy")->ArgName("bytes")->Arg(1500)->Arg(65536);
BENCHMARK(BM_Memcpy)->Name("memcpy")->ArgName("bytes")->Arg(1500)->Arg(65536);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::RateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const auto& r = reporter.rates();
  for (const char* size : {"1500", "65536"}) {
    auto m = r.find(std::string("memcpy/bytes:") + size);
    if (m == r.end() || m->second <= 0) continue;
    for (const char* what : {"checksum", "checksum_copy"}) {
      auto c = r.find(std::string(what) + "/bytes:" + size);
      if (c == r.end()) continue;
      std::printf("%s/%s: %.1f Gbit/s, memcpy %.1f Gbit/s, ratio %.2f (goal >= 0.50)\n", what, size,
                  c->second, m->second, c->second / m->second);
    }
  }
  return 0;
}
