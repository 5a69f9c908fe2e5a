// Fuzzes TcpOptions::parse on raw option bytes. Whatever parses is re-emitted and
// re-parsed; any option that does not survive the round trip traps.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wire/tcp_options.hpp"

using namespace synack::wire;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// `back` must equal `orig`, except that trailing SACK blocks may be dropped when
// one more would not fit in the 40-byte option space.
void check_same(const TcpOptions& orig, const TcpOptions& back) {
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
  auto r = TcpOptions::parse(std::span(data, size));
  if (!r) return 0;
  check(r->sack_count <= TcpOptions::kMaxSackBlocks);
  std::size_t len = r->encoded_len();
  check(len % 4 == 0 && len <= 40);

  std::vector<std::uint8_t> out(len);
  r->emit(out);
  auto r2 = TcpOptions::parse(out);
  check(r2.ok());
  check(r2->encoded_len() == len);
  check_same(*r, *r2);
  return 0;
}
