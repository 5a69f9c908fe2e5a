#include "tcp/isn_generator.hpp"

#include <array>

#include "wire/bytes.hpp"

namespace synack::tcp {

namespace {
std::array<std::uint8_t, 13> tuple_bytes(const FourTuple& t, std::uint8_t tweak) {
  std::array<std::uint8_t, 13> b{};
  wire::store_be32(b, 0, t.local_addr.to_u32());
  wire::store_be32(b, 4, t.remote_addr.to_u32());
  wire::store_be16(b, 8, t.local_port);
  wire::store_be16(b, 10, t.remote_port);
  b[12] = tweak;
  return b;
}
}  // namespace

SeqNum IsnGenerator::generate(const FourTuple& t, Instant now) const {
  auto f = static_cast<std::uint32_t>(siphash24(key_, tuple_bytes(t, 0)));
  auto m = static_cast<std::uint32_t>(to_us(now) / 4);
  return SeqNum(m + f);
}

std::uint32_t IsnGenerator::ts_offset(const FourTuple& t) const {
  return static_cast<std::uint32_t>(siphash24(key_, tuple_bytes(t, 1)));
}

}  // namespace synack::tcp
