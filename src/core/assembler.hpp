#pragma once
// Tracks which byte ranges past the receive point have arrived out of order, so
// that the receiver can hand them over once the gap before them fills.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synack {

class Assembler {
 public:
  explicit Assembler(std::size_t max_ranges = 32) : max_ranges_(max_ranges) {}

  // Records bytes [offset, offset+len) relative to the current receive point.
  // Returns false (and records nothing) when that would need more ranges than
  // allowed; the sender will retransmit.
  bool add(std::size_t offset, std::size_t len);
  // If bytes starting at offset 0 are present, removes them and returns how
  // many; every remaining range shifts down by that count.
  std::size_t take_front();
  // Shifts every range down by n bytes already consumed in order.
  void advance(std::size_t n);

  bool empty() const { return ranges_.empty(); }
  std::size_t range_count() const { return ranges_.size(); }
  void clear() { ranges_.clear(); }

  struct Range {
    std::size_t start;
    std::size_t end;  // exclusive
  };
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;  // sorted, disjoint, non-adjacent
  std::size_t max_ranges_;
};

}  // namespace synack
