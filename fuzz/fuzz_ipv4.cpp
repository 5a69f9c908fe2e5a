// Fuzzes Ipv4View::checked + Ipv4Repr::parse. Whatever parses is re-emitted and
// re-parsed; any field that does not survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // Byte 0, bit 0: patch a valid header checksum in so parse() gets past it.
  bool fix_checksum = data[0] & 1;
  std::vector<std::uint8_t> buf(data + 1, data + size);

  if (fix_checksum) {
    auto mv = Ipv4View<std::uint8_t>::checked(buf);
    if (mv) {
      mv->set_checksum(0);
      mv->set_checksum(internet_checksum(mv->header()));
    }
  }
  auto v = Ipv4View<const std::uint8_t>::checked(buf);
  if (!v) return 0;
  // Every getter must stay inside the buffer (ASan checks the accesses).
  check(v->header_len() >= 20 && v->header_len() <= buf.size());
  check(v->header().size() + v->payload().size() == v->total_len());
  volatile std::uint32_t sink = v->version() + v->dscp_ecn() + v->ident() + v->frag_offset() +
                                v->ttl() + v->protocol() + v->checksum() + v->src().to_u32() +
                                v->dst().to_u32() + v->dont_frag() + v->more_frags();
  (void)sink;

  auto r = Ipv4Repr::parse(*v);
  if (!r) return 0;
  check(r->payload_len == v->payload().size());
  check(!v->more_frags() && v->frag_offset() == 0);

  std::vector<std::uint8_t> out(r->header_len() + r->payload_len);
  r->emit(out);
  if (r->payload_len)
    std::memcpy(out.data() + r->header_len(), v->payload().data(), r->payload_len);

  auto v2 = Ipv4View<const std::uint8_t>::checked(out);
  check(v2.ok());
  auto r2 = Ipv4Repr::parse(*v2);
  check(r2.ok());
  check(r2->src == r->src && r2->dst == r->dst);
  check(r2->protocol == r->protocol && r2->ttl == r->ttl && r2->ident == r->ident);
  check(r2->dont_frag == r->dont_frag && r2->payload_len == r->payload_len);
  check(std::memcmp(v2->payload().data(), v->payload().data(), r->payload_len) == 0);
  return 0;
}
