// Fuzzes ArpView::checked + ArpRepr::parse. Whatever parses is re-emitted and
// re-parsed; any field that does not survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/arp.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // Byte 0, bit 0: patch the IPv4-over-Ethernet fixed fields in so parse()
  // gets past them more often.
  bool fix_kind = data[0] & 1;
  std::vector<std::uint8_t> buf(data + 1, data + size);
  if (fix_kind && buf.size() >= 6) {
    const std::uint8_t kind[] = {0x00, 0x01, 0x08, 0x00, 0x06, 0x04};
    std::memcpy(buf.data(), kind, sizeof kind);
  }
  auto v = ArpView<const std::uint8_t>::checked(buf);
  if (!v) return 0;
  // Every getter must stay inside the buffer (ASan checks the accesses).
  check(v->packet_len() <= buf.size());
  check(v->sender_hardware().size() == v->hardware_len());
  check(v->target_protocol().size() == v->protocol_len());
  volatile std::uint32_t sink = v->hardware_type() + v->protocol_type() + v->operation();
  for (auto s :
       {v->sender_hardware(), v->sender_protocol(), v->target_hardware(), v->target_protocol()})
    for (std::uint8_t b : s)
      sink = sink + b;
  (void)sink;

  auto r = ArpRepr::parse(*v);
  if (!r) return 0;
  check(v->packet_len() == ArpRepr::kPacketLen);

  std::vector<std::uint8_t> out(r->packet_len());
  r->emit(out);
  check(std::memcmp(out.data(), buf.data(), out.size()) == 0);
  auto v2 = ArpView<const std::uint8_t>::checked(out);
  check(v2.ok());
  auto r2 = ArpRepr::parse(*v2);
  check(r2.ok());
  check(r2->operation == r->operation);
  check(r2->sender_mac == r->sender_mac && r2->sender_ip == r->sender_ip);
  check(r2->target_mac == r->target_mac && r2->target_ip == r->target_ip);
  return 0;
}
