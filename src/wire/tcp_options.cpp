#include "wire/tcp_options.hpp"

#include <algorithm>

#include "wire/bytes.hpp"

namespace synack::wire {

namespace {

// Option space is at most 40 bytes (data offset <= 15 words, RFC 9293 §3.1).
constexpr std::size_t kMaxOptionBytes = 40;

// Bytes used by everything except SACK blocks.
std::size_t fixed_len(const TcpOptions& o) {
  std::size_t n = 0;
  if (o.mss) n += 4;
  if (o.sack_permitted && o.timestamps) {
    n += 12;  // SACK-permitted and timestamps share a word-aligned block
  } else {
    if (o.sack_permitted) n += 4;  // NOP NOP SACK-permitted
    if (o.timestamps) n += 12;     // NOP NOP timestamps
  }
  if (o.window_scale) n += 4;  // NOP window-scale
  return n;
}

// SACK blocks actually emitted: those that fit in the remaining option space
// (RFC 2018 §3: at most 4, or 3 alongside timestamps).
std::size_t sack_blocks_emitted(const TcpOptions& o) {
  std::size_t n = std::min<std::size_t>(o.sack_count, TcpOptions::kMaxSackBlocks);
  std::size_t room = kMaxOptionBytes - fixed_len(o);
  std::size_t fit = room >= 4 ? (room - 4) / 8 : 0;
  return std::min(n, fit);
}

}  // namespace

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
  std::size_t blocks = sack_blocks_emitted(*this);
  return fixed_len(*this) + (blocks ? 4 + 8 * blocks : 0);
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
  if (std::size_t blocks = sack_blocks_emitted(*this)) {
    put(1), put(1), put(5), put(static_cast<std::uint8_t>(2 + 8 * blocks));
    for (std::size_t k = 0; k < blocks; ++k) {
      store_be32(out, i, sack[k].left);
      store_be32(out, i + 4, sack[k].right);
      i += 8;
    }
  }
}

}  // namespace synack::wire
