// Fuzzes IcmpRepr::parse. Whatever parses is re-emitted and re-parsed; any field
// that does not survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/icmp.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // Byte 0, bit 0: patch a valid checksum in so parse() reaches the type switch.
  bool fix_checksum = data[0] & 1;
  std::vector<std::uint8_t> buf(data + 1, data + size);
  if (fix_checksum && buf.size() >= IcmpRepr::kHeaderLen) {
    buf[2] = buf[3] = 0;
    std::uint16_t c = internet_checksum(buf);
    buf[2] = static_cast<std::uint8_t>(c >> 8);
    buf[3] = static_cast<std::uint8_t>(c);
  }

  auto r = IcmpRepr::parse(buf);
  if (!r) return 0;
  check(r->total_len() == buf.size());
  check(r->type == IcmpType::EchoReply || r->type == IcmpType::EchoRequest ||
        r->type == IcmpType::DestUnreachable);

  std::vector<std::uint8_t> out(r->total_len());
  r->emit(out);
  check(internet_checksum(out) == 0);

  auto r2 = IcmpRepr::parse(out);
  check(r2.ok());
  check(r2->type == r->type && r2->code == r->code);
  check(r2->ident == r->ident && r2->seq_no == r->seq_no);
  check(r2->data.size() == r->data.size());
  check(r->data.empty() || std::memcmp(r2->data.data(), r->data.data(), r->data.size()) == 0);
  return 0;
}
