#include "tcp/isn_generator.hpp"

#include <array>

#include "wire/bytes.hpp"

namespace synack::tcp {

SeqNum IsnGenerator::generate(const FourTuple& t, Instant now) const {
  std::array<std::uint8_t, 12> b{};
  wire::store_be32(b, 0, t.local_addr.to_u32());
  wire::store_be32(b, 4, t.remote_addr.to_u32());
  wire::store_be16(b, 8, t.local_port);
  wire::store_be16(b, 10, t.remote_port);
  auto f = static_cast<std::uint32_t>(siphash24(key_, b));
  auto m = static_cast<std::uint32_t>(to_us(now) / 4);
  return SeqNum(m + f);
}

}  // namespace synack::tcp
