// Fuzzes TcpView::checked + TcpRepr::parse. Whatever parses is re-emitted and
// re-parsed; any field that does not survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

PseudoHeader pseudo(Ipv4Address s, Ipv4Address d, std::size_t len) {
  return {s, d, static_cast<std::uint8_t>(IpProtocol::Tcp), static_cast<std::uint16_t>(len)};
}

// Options must match except for trailing SACK blocks dropped for lack of room.
void check_same_options(const TcpOptions& orig, const TcpOptions& back) {
  check(back.mss == orig.mss && back.window_scale == orig.window_scale);
  check(back.sack_permitted == orig.sack_permitted && back.timestamps == orig.timestamps);
  check(back.sack_count <= orig.sack_count);
  for (std::size_t k = 0; k < back.sack_count; ++k)
    check(back.sack[k] == orig.sack[k]);
  if (back.sack_count < orig.sack_count)
    check(back.encoded_len() + (back.sack_count ? 8 : 12) > 40);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Byte 0: bit 0 patches a valid checksum in; bytes 1-8: source and destination.
  if (size < 9 || size - 9 > 0xffff) return 0;
  bool fix_checksum = data[0] & 1;
  Ipv4Address src(load_be32({data + 1, 4}, 0)), dst(load_be32({data + 5, 4}, 0));
  std::vector<std::uint8_t> buf(data + 9, data + size);
  PseudoHeader ph = pseudo(src, dst, buf.size());

  if (fix_checksum) {
    auto mv = TcpView<std::uint8_t>::checked(buf);
    if (mv) {
      mv->set_checksum(0);
      std::uint32_t sum = checksum_accumulate(pseudo_header_sum(ph), buf);
      mv->set_checksum(static_cast<std::uint16_t>(~checksum_fold(sum)));
    }
  }
  auto v = TcpView<const std::uint8_t>::checked(buf);
  if (!v) return 0;
  check(v->header_len() >= 20 && v->header_len() <= buf.size());
  check(v->options().size() + 20 + v->payload().size() == buf.size());

  auto r = TcpRepr::parse(*v, ph);
  if (!r) return 0;
  check(r->payload.size() == v->payload().size());
  check(r->header_len() <= 60 && r->header_len() % 4 == 0);

  std::vector<std::uint8_t> out(r->total_len());
  r->emit(out, src, dst);
  auto v2 = TcpView<const std::uint8_t>::checked(out);
  check(v2.ok());
  check(v2->header_len() == r->header_len());
  auto r2 = TcpRepr::parse(*v2, pseudo(src, dst, out.size()));
  check(r2.ok());
  check(r2->src_port == r->src_port && r2->dst_port == r->dst_port);
  check(r2->seq == r->seq && r2->flags == r->flags);
  // The acknowledgment field is only meaningful (and only emitted) with ACK.
  check(r2->ack == (r->has(tcp_flags::kAck) ? r->ack : synack::SeqNum(0)));
  check(r2->window == r->window && r2->urgent == r->urgent);
  check_same_options(r->options, r2->options);
  check(r2->payload.size() == r->payload.size());
  check(r->payload.empty() ||
        std::memcmp(r2->payload.data(), r->payload.data(), r->payload.size()) == 0);
  check(r2->seq_len() == r->seq_len());
  return 0;
}
