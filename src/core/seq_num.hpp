#pragma once
// 32-bit TCP sequence numbers with wrap-around comparison (RFC 9293 §3.4).
#include <cstdint>

namespace synack {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(std::uint32_t v) : v_(v) {}
  constexpr std::uint32_t raw() const { return v_; }

  constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(v_ + n); }
  constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(v_ - n); }
  constexpr SeqNum& operator+=(std::uint32_t n) {
    v_ += n;
    return *this;
  }
  // Signed distance from `o` to this, valid while |distance| < 2^31.
  constexpr std::int32_t operator-(SeqNum o) const { return static_cast<std::int32_t>(v_ - o.v_); }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
  constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
  constexpr bool operator>(SeqNum o) const { return (*this - o) > 0; }
  constexpr bool operator>=(SeqNum o) const { return (*this - o) >= 0; }

  // lo <= this < hi (modular). An empty range [x, x) contains nothing.
  constexpr bool in_range(SeqNum lo, SeqNum hi) const { return lo <= *this && *this < hi; }
  // lo <= this <= hi (modular).
  constexpr bool in_closed_range(SeqNum lo, SeqNum hi) const { return lo <= *this && *this <= hi; }

 private:
  std::uint32_t v_ = 0;
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) {
  return a < b ? b : a;
}
constexpr SeqNum seq_min(SeqNum a, SeqNum b) {
  return a < b ? a : b;
}

}  // namespace synack
