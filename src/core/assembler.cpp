#include "core/assembler.hpp"

#include <algorithm>

namespace synack {

// Everything works in place in ranges_, whose storage is kept: in steady
// state (in-order data, or a few holes) no call allocates.
bool Assembler::add(std::size_t offset, std::size_t len) {
  if (len == 0) return true;
  Range r{offset, offset + len};
  // [first, last) are the ranges that overlap or touch r: they merge into it.
  auto first =
      std::lower_bound(ranges_.begin(), ranges_.end(), r.start,
                       [](const Range& cur, std::size_t start) { return cur.end < start; });
  auto last = std::upper_bound(first, ranges_.end(), r.end,
                               [](std::size_t end, const Range& cur) { return end < cur.start; });
  if (first != last) {
    r.start = std::min(r.start, first->start);
    r.end = std::max(r.end, (last - 1)->end);
  }
  const std::size_t count = ranges_.size() - static_cast<std::size_t>(last - first) + 1;
  // Over the limit only if the new bytes do not start at the receive point:
  // bytes there are handed over at once (take_front), and refusing them
  // would stall the connection for good once the limit is reached.
  const std::size_t front = first == ranges_.begin() ? r.start : ranges_.front().start;
  if (count > max_ranges_ && front != 0) return false;
  if (first == last) {
    ranges_.insert(first, r);
  } else {
    *first = r;
    ranges_.erase(first + 1, last);
  }
  return true;
}

std::size_t Assembler::take_front() {
  if (ranges_.empty() || ranges_.front().start != 0) return 0;
  std::size_t n = ranges_.front().end;
  ranges_.erase(ranges_.begin());
  for (Range& r : ranges_) {
    r.start -= n;
    r.end -= n;
  }
  return n;
}

void Assembler::advance(std::size_t n) {
  auto gone =
      std::find_if(ranges_.begin(), ranges_.end(), [n](const Range& r) { return r.end > n; });
  ranges_.erase(ranges_.begin(), gone);
  for (Range& r : ranges_) {
    r.start = r.start > n ? r.start - n : 0;
    r.end -= n;
  }
}

}  // namespace synack
