#include "wire/checksum.hpp"

#include <bit>
#include <cstring>

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

}  // namespace

std::uint32_t checksum_accumulate(std::uint32_t sum, std::span<const std::uint8_t> data) {
  NativeSum s;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  for (; n >= 16; p += 16, n -= 16)
    s.add16(p);
  s.add_tail(p, n);
  return s.finish(sum);
}

std::uint32_t checksum_copy(std::uint32_t sum, std::span<std::uint8_t> dst,
                            std::span<const std::uint8_t> src) {
  // One pass: each 16-byte block is loaded once, summed and stored, so the
  // bytes are not read a second time just for the checksum.
  NativeSum s;
  const std::uint8_t* p = src.data();
  std::uint8_t* q = dst.data();
  std::size_t n = src.size();
  for (; n >= 16; p += 16, q += 16, n -= 16) {
    std::uint8_t block[16];
    std::memcpy(block, p, 16);
    s.add16(block);
    std::memcpy(q, block, 16);
  }
  std::memcpy(q, p, n);
  s.add_tail(p, n);
  return s.finish(sum);
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
