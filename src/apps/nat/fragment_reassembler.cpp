#include "apps/nat/fragment_reassembler.hpp"

#include <algorithm>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace synack::nat {
namespace {

using wire::load_be16;
using wire::load_be32;

constexpr std::uint16_t kDf = 0x4000, kMf = 0x2000, kOffsetMask = 0x1fff;
constexpr std::size_t kMaxPacket = 65535;

}  // namespace

bool is_ipv4_fragment(std::span<const std::uint8_t> packet) {
  return (load_be16(packet, 6) & (kMf | kOffsetMask)) != 0;
}

void FragmentReassembler::remove(std::size_t index) {
  bytes_ -= pending_[index].bytes;
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
}

void FragmentReassembler::expire(Instant now) {
  for (std::size_t i = 0; i < pending_.size();) {
    if (pending_[i].deadline <= now) {
      ++counters_.timed_out;
      remove(i);
    } else {
      ++i;
    }
  }
}

Instant FragmentReassembler::poll_at() const {
  Instant t = kNever;
  for (const Pending& p : pending_)
    t = earliest(t, p.deadline);
  return t;
}

void FragmentReassembler::make_room(std::size_t bytes, std::size_t keep) {
  bool adding = keep >= pending_.size();
  auto over = [&] {
    return bytes_ + bytes > limits_.max_bytes ||
           (adding && pending_.size() + 1 > limits_.max_datagrams);
  };
  while (over()) {
    // The oldest datagram goes first: it is the likeliest never to complete.
    std::size_t oldest = pending_.size();
    for (std::size_t i = 0; i < pending_.size(); ++i)
      if (i != keep &&
          (oldest == pending_.size() || pending_[i].deadline < pending_[oldest].deadline))
        oldest = i;
    if (oldest == pending_.size()) return;
    ++counters_.evicted;
    remove(oldest);
    if (!adding && keep > oldest) --keep;  // erase() shifted it down
  }
}

std::optional<FragmentReassembler::Datagram> FragmentReassembler::add(
    Instant now, std::span<const std::uint8_t> fragment) {
  ++counters_.fragments;
  expire(now);
  std::size_t hl = std::size_t(fragment[0] & 0x0f) * 4;
  std::size_t total_len = load_be16(fragment, 2);
  std::span<const std::uint8_t> payload = fragment.subspan(hl, total_len - hl);
  std::uint16_t ff = load_be16(fragment, 6);
  std::size_t offset = std::size_t(ff & kOffsetMask) * 8;
  bool more = (ff & kMf) != 0;
  std::size_t end = offset + payload.size();
  // RFC 791 §3.2: every fragment but the last carries a multiple of 8
  // bytes; no datagram exceeds 65535 bytes (a larger one is an attack).
  if ((more && (payload.empty() || payload.size() % 8 != 0)) || hl + end > kMaxPacket) {
    ++counters_.malformed;
    return std::nullopt;
  }
  Key key{wire::Ipv4Address(load_be32(fragment, 12)), wire::Ipv4Address(load_be32(fragment, 16)),
          load_be16(fragment, 4), fragment[9]};
  auto find = [&] {
    return static_cast<std::size_t>(std::find_if(pending_.begin(), pending_.end(),
                                                 [&](const Pending& p) { return p.key == key; }) -
                                    pending_.begin());
  };
  std::size_t i = find();
  make_room(payload.size(), i);
  i = find();
  if (bytes_ + payload.size() > limits_.max_bytes) {
    ++counters_.evicted;  // this datagram alone is over the limit
    if (i < pending_.size()) remove(i);
    return std::nullopt;
  }
  if (i == pending_.size()) {
    pending_.push_back(Pending{key, now + limits_.timeout, {}, {}, std::nullopt, 0, 0});
  }
  Pending& p = pending_[i];
  auto drop_datagram = [&](std::uint64_t& counter) {
    ++counter;
    remove(i);
    return std::nullopt;
  };
  if (!more) {
    if (p.total && *p.total != end) return drop_datagram(counters_.malformed);
    if (!p.pieces.empty() && p.pieces.back().end() > end) return drop_datagram(counters_.malformed);
  } else if (p.total && end > *p.total) {
    return drop_datagram(counters_.malformed);
  }
  auto at = std::lower_bound(p.pieces.begin(), p.pieces.end(), offset,
                             [](const Piece& x, std::size_t o) { return x.offset < o; });
  if (at != p.pieces.end() && at->offset == offset && at->data.size() == payload.size() &&
      std::equal(payload.begin(), payload.end(), at->data.begin())) {
    ++counters_.duplicates;  // a retransmission or a duplicating link
    return std::nullopt;
  }
  bool overlaps_next = at != p.pieces.end() && at->offset < end;
  bool overlaps_prev = at != p.pieces.begin() && std::prev(at)->end() > offset;
  if (overlaps_next || overlaps_prev) return drop_datagram(counters_.overlaps);
  p.pieces.insert(at, Piece{offset, std::vector<std::uint8_t>(payload.begin(), payload.end())});
  p.bytes += payload.size();
  bytes_ += payload.size();
  p.largest_fragment = std::max(p.largest_fragment, total_len);
  p.ecn_seen = static_cast<std::uint8_t>(p.ecn_seen | (1u << (fragment[1] & 3)));
  if (!more) p.total = end;
  if (offset == 0) p.header.assign(fragment.begin(), fragment.begin() + hl);
  return complete(i);
}

std::optional<FragmentReassembler::Datagram> FragmentReassembler::complete(std::size_t index) {
  Pending& p = pending_[index];
  if (!p.total || p.header.empty()) return std::nullopt;
  std::size_t expected = 0;
  for (const Piece& x : p.pieces) {
    if (x.offset != expected) return std::nullopt;
    expected = x.end();
  }
  if (expected != *p.total) return std::nullopt;
  std::size_t hl = p.header.size();
  if (hl + *p.total > kMaxPacket) {
    ++counters_.malformed;
    remove(index);
    return std::nullopt;
  }
  // RFC 3168 §5.3: reassembly must not lose a congestion mark. A CE on any
  // fragment goes on the datagram, unless another fragment was Not-ECT:
  // then the datagram is dropped (the CE must not be set on it).
  constexpr std::uint8_t kNotEct = 1u << 0, kCe = 1u << 3;
  if ((p.ecn_seen & kCe) && (p.ecn_seen & kNotEct)) {
    ++counters_.malformed;
    remove(index);
    return std::nullopt;
  }
  out_.assign(p.header.begin(), p.header.end());
  if (p.ecn_seen & kCe) out_[1] = static_cast<std::uint8_t>(out_[1] | 3);
  out_.reserve(hl + *p.total);
  for (const Piece& x : p.pieces)
    out_.insert(out_.end(), x.data.begin(), x.data.end());
  // The whole datagram's header: its length, no fragment fields (DF as the
  // first fragment had it), and the header checksum afresh.
  wire::store_be16(out_, 2, static_cast<std::uint16_t>(out_.size()));
  wire::store_be16(out_, 6, static_cast<std::uint16_t>(load_be16(out_, 6) & kDf));
  wire::store_be16(out_, 10, 0);
  wire::store_be16(out_, 10, wire::internet_checksum(std::span(out_).first(hl)));
  Datagram d{out_, p.largest_fragment};
  ++counters_.reassembled;
  remove(index);
  return d;
}

}  // namespace synack::nat
