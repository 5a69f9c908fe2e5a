#include "wire/checksum.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace synack::wire {

namespace {

// RFC 1071 §2: the one's-complement sum does not depend on byte order (a
// sum of byte-swapped words is the byte-swapped sum) and may be taken in
// wider words and folded at the end. So: native 32-bit loads into four
// 64-bit accumulators (no carry handling: 2^32 words before they could
// overflow), which compilers turn into SIMD adds, then one fold and one swap.
struct NativeSum {
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

  void add16(const std::uint8_t* p) {
    std::uint32_t w[4];
    std::memcpy(w, p, sizeof w);
    a0 += w[0];
    a1 += w[1];
    a2 += w[2];
    a3 += w[3];
  }
  // Whatever is left after the 16-byte blocks (fewer than 16 bytes).
  void add_tail(const std::uint8_t* p, std::size_t n) {
    while (n >= 4) {
      std::uint32_t w;
      std::memcpy(&w, p, 4);
      a0 += w;
      p += 4;
      n -= 4;
    }
    if (n >= 2) {
      std::uint16_t w;
      std::memcpy(&w, p, 2);
      a1 += w;
      p += 2;
      n -= 2;
    }
    // An odd last byte is the high byte of a big-endian word padded with
    // zero: in native little-endian order it is the low byte.
    if (n == 1)
      a2 += static_cast<std::uint64_t>(*p)
            << ((std::endian::native == std::endian::little) ? 0 : 8);
  }
  // Folded to 16 bits, in network byte order, added to `sum`.
  std::uint32_t finish(std::uint32_t sum) const {
    std::uint64_t s = (a0 & 0xffffffff) + (a0 >> 32) + (a1 & 0xffffffff) + (a1 >> 32) +
                      (a2 & 0xffffffff) + (a2 >> 32) + (a3 & 0xffffffff) + (a3 >> 32);
    while (s >> 16)
      s = (s & 0xffff) + (s >> 16);
    auto folded = static_cast<std::uint16_t>(s);
    if constexpr (std::endian::native == std::endian::little)
      folded = static_cast<std::uint16_t>((folded << 8) | (folded >> 8));
    std::uint64_t out = std::uint64_t(sum) + folded;
    return static_cast<std::uint32_t>((out & 0xffffffff) + (out >> 32));
  }
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SYNACK_CHECKSUM_AVX2 1
// AVX2, chosen at run time. Shuffles that widen 16-bit words run on one
// port only, so instead each word x gets its top bit flipped (x - 32768 as a
// signed word) and _mm256_madd_epi16 with ones adds pairs into 32-bit lanes
// on the multiply ports; the 32768 per word is added back at the end. Two
// accumulators take at most 16384 blocks of 64 bytes (|lane| <= 2^30) before
// they are emptied, sign-extended, into 64-bit totals. `dst`, if given, gets
// a copy of each block as it is summed. Returns the bytes covered (a
// multiple of 32).
template <bool kCopy>
__attribute__((target("avx2"), always_inline)) inline __m256i load_avx2(const std::uint8_t* p,
                                                                        std::uint8_t* dst,
                                                                        std::size_t at) {
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at));
  if constexpr (kCopy) _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + at), v);
  return v;
}

template <bool kCopy>
__attribute__((target("avx2"))) std::size_t sum_blocks_avx2(const std::uint8_t* p,
                                                            std::uint8_t* dst, std::size_t n,
                                                            std::uint64_t& total) {
  const __m256i flip = _mm256_set1_epi16(static_cast<short>(0x8000));
  const __m256i ones = _mm256_set1_epi16(1);
  std::size_t i = 0;
  __m256i wide = _mm256_setzero_si256();  // 4 x 64-bit signed partial totals
  while (n - i >= 32) {
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    std::size_t blocks = std::min<std::size_t>((n - i) / 64, 16384);
    for (std::size_t b = 0; b < blocks; ++b, i += 64) {
      __m256i v0 = _mm256_xor_si256(load_avx2<kCopy>(p, dst, i), flip);
      __m256i v1 = _mm256_xor_si256(load_avx2<kCopy>(p, dst, i + 32), flip);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(v0, ones));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(v1, ones));
    }
    if (blocks == 0) {  // one last 32-byte block
      a0 = _mm256_madd_epi16(_mm256_xor_si256(load_avx2<kCopy>(p, dst, i), flip), ones);
      i += 32;
    }
    __m256i a = _mm256_add_epi32(a0, a1);
    wide = _mm256_add_epi64(wide, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(a)));
    wide = _mm256_add_epi64(wide, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(a, 1)));
  }
  alignas(32) std::int64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), wide);
  std::int64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  total += static_cast<std::uint64_t>(sum + static_cast<std::int64_t>(i / 2) * 32768);
  return i;
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

// Sums (and, with kCopy, copies) `n` bytes: the SIMD blocks where the CPU has
// them, then 16-byte blocks and the tail in portable code.
template <bool kCopy, bool kSimd = true>
std::uint32_t sum_and_maybe_copy(std::uint32_t sum, const std::uint8_t* p, std::uint8_t* q,
                                 std::size_t n) {
  NativeSum s;
#ifdef SYNACK_CHECKSUM_AVX2
  if (kSimd && n >= 128 && have_avx2()) {
    std::uint64_t total = 0;
    std::size_t done = sum_blocks_avx2<kCopy>(p, q, n, total);
    // Sums of 16-bit words fold like sums of 32-bit ones: 2^16 = 1 (mod 0xffff).
    s.a1 += total;
    p += done;
    if constexpr (kCopy) q += done;
    n -= done;
  }
#endif
  for (; n >= 16; p += 16, n -= 16) {
    std::uint8_t block[16];
    std::memcpy(block, p, 16);
    s.add16(block);
    if constexpr (kCopy) {
      std::memcpy(q, block, 16);
      q += 16;
    }
  }
  if constexpr (kCopy) std::memcpy(q, p, n);
  s.add_tail(p, n);
  return s.finish(sum);
}

}  // namespace

std::uint32_t checksum_accumulate(std::uint32_t sum, std::span<const std::uint8_t> data) {
  return sum_and_maybe_copy<false>(sum, data.data(), nullptr, data.size());
}

std::uint32_t checksum_accumulate_portable(std::uint32_t sum, std::span<const std::uint8_t> data) {
  return sum_and_maybe_copy<false, false>(sum, data.data(), nullptr, data.size());
}

std::uint32_t checksum_copy(std::uint32_t sum, std::span<std::uint8_t> dst,
                            std::span<const std::uint8_t> src) {
  // One pass: each block is loaded once, summed and stored, so the bytes are
  // not read a second time just for the checksum.
  return sum_and_maybe_copy<true>(sum, src.data(), dst.data(), src.size());
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> data) {
  return static_cast<std::uint16_t>(~checksum_fold(checksum_accumulate(0, data)));
}

std::uint32_t pseudo_header_sum(const PseudoHeader& ph) {
  std::uint32_t s = 0;
  s += ph.src.to_u32() >> 16;
  s += ph.src.to_u32() & 0xffff;
  s += ph.dst.to_u32() >> 16;
  s += ph.dst.to_u32() & 0xffff;
  s += ph.protocol;
  s += ph.length;
  return s;
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                std::uint16_t new_value) {
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~old_value);
  sum += new_value;
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}

std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value) {
  checksum =
      checksum_update16(checksum, std::uint16_t(old_value >> 16), std::uint16_t(new_value >> 16));
  return checksum_update16(checksum, std::uint16_t(old_value), std::uint16_t(new_value));
}

}  // namespace synack::wire
