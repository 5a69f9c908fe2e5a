#include "wire/tcp_options.hpp"

#include "wire/bytes.hpp"

namespace synack::wire {

Result<TcpOptions, WireError> TcpOptions::parse(std::span<const std::uint8_t> b) {
  TcpOptions o;
  std::size_t i = 0;
  while (i < b.size()) {
    auto kind = static_cast<TcpOptionKind>(b[i]);
    if (kind == TcpOptionKind::End) break;
    if (kind == TcpOptionKind::Nop) {
      ++i;
      continue;
    }
    if (i + 1 >= b.size()) return WireError::BadOption;
    std::size_t len = b[i + 1];
    if (len < 2 || i + len > b.size()) return WireError::BadOption;
    auto body = b.subspan(i + 2, len - 2);
    switch (kind) {
      case TcpOptionKind::Mss:
        if (len == 4) o.mss = load_be16(body, 0);
        break;
      case TcpOptionKind::WindowScale:
        if (len == 3) o.window_scale = body[0];
        break;
      case TcpOptionKind::SackPermitted:
        if (len == 2) o.sack_permitted = true;
        break;
      case TcpOptionKind::Sack:
        if ((len - 2) % 8 == 0) {
          o.sack_count = 0;
          for (std::size_t k = 0; k + 8 <= body.size() && o.sack_count < kMaxSackBlocks; k += 8)
            o.sack[o.sack_count++] = {load_be32(body, k), load_be32(body, k + 4)};
        }
        break;
      case TcpOptionKind::Timestamps:
        if (len == 10) o.timestamps = TcpTimestamps{load_be32(body, 0), load_be32(body, 4)};
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

std::size_t TcpOptions::encoded_len() const {
  std::size_t n = 0;
  if (mss) n += 4;
  if (sack_permitted && timestamps) {
    n += 12;  // SACK-permitted and timestamps share a word-aligned block
  } else {
    if (sack_permitted) n += 4;  // NOP NOP SACK-permitted
    if (timestamps) n += 12;     // NOP NOP timestamps
  }
  if (window_scale) n += 4;  // NOP window-scale
  if (sack_count) n += 4 + 8 * std::size_t(sack_count);
  return n;
}

void TcpOptions::emit(std::span<std::uint8_t> out) const {
  std::size_t i = 0;
  auto put = [&](std::uint8_t v) { out[i++] = v; };
  if (mss) {
    put(2), put(4);
    store_be16(out, i, *mss);
    i += 2;
  }
  if (sack_permitted && timestamps) {
    put(4), put(2), put(8), put(10);
  } else {
    if (sack_permitted) put(1), put(1), put(4), put(2);
    if (timestamps) put(1), put(1), put(8), put(10);
  }
  if (timestamps) {
    store_be32(out, i, timestamps->tsval);
    store_be32(out, i + 4, timestamps->tsecr);
    i += 8;
  }
  if (window_scale) put(1), put(3), put(3), put(*window_scale);
  if (sack_count) {
    put(1), put(1), put(5), put(static_cast<std::uint8_t>(2 + 8 * sack_count));
    for (std::uint8_t k = 0; k < sack_count; ++k) {
      store_be32(out, i, sack[k].left);
      store_be32(out, i + 4, sack[k].right);
      i += 8;
    }
  }
}

}  // namespace synack::wire
