#include "wire/checksum.hpp"

namespace synack::wire {

std::uint32_t checksum_accumulate(std::uint32_t sum, std::span<const std::uint8_t> data) {
  std::size_t i = 0;
  std::uint64_t s = sum;
  for (; i + 1 < data.size(); i += 2)
    s += (std::uint32_t(data[i]) << 8) | data[i + 1];
  if (i < data.size()) s += std::uint32_t(data[i]) << 8;
  while (s >> 32)
    s = (s & 0xffffffff) + (s >> 32);
  return static_cast<std::uint32_t>(s);
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
