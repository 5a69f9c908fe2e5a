// Fuzzes EthernetView::checked + EthernetRepr::parse. Whatever parses is
// re-emitted (header and payload) and re-parsed; any field that does not
// survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/ethernet.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> buf(data, data + size);
  auto v = EthernetView<const std::uint8_t>::checked(buf);
  if (!v) return 0;
  // Every getter must stay inside the buffer (ASan checks the accesses).
  check(v->header().size() + v->payload().size() == buf.size());
  volatile std::uint32_t sink = v->ethertype() + v->dst().bytes()[5] + v->src().bytes()[0] +
                                v->dst().is_multicast() + v->src().is_local();
  (void)sink;

  auto r = EthernetRepr::parse(*v);
  if (!r) return 0;
  check(static_cast<std::uint16_t>(r->ethertype) >= 0x0600);

  std::vector<std::uint8_t> out(r->header_len() + v->payload().size());
  r->emit(out);
  if (!v->payload().empty())
    std::memcpy(out.data() + r->header_len(), v->payload().data(), v->payload().size());
  check(out == buf);
  auto v2 = EthernetView<const std::uint8_t>::checked(out);
  check(v2.ok());
  auto r2 = EthernetRepr::parse(*v2);
  check(r2.ok());
  check(r2->dst == r->dst && r2->src == r->src && r2->ethertype == r->ethertype);
  // MAC text round trip.
  check(MacAddress::parse(r->src.to_string()) == r->src);
  return 0;
}
