#include "core/assembler.hpp"

#include <algorithm>

namespace synack {

bool Assembler::add(std::size_t offset, std::size_t len) {
  if (len == 0) return true;
  Range r{offset, offset + len};
  std::vector<Range> merged;
  merged.reserve(ranges_.size() + 1);
  bool placed = false;
  for (const Range& cur : ranges_) {
    if (cur.end < r.start) {
      merged.push_back(cur);
    } else if (r.end < cur.start) {
      if (!placed) {
        merged.push_back(r);
        placed = true;
      }
      merged.push_back(cur);
    } else {
      r.start = std::min(r.start, cur.start);
      r.end = std::max(r.end, cur.end);
    }
  }
  if (!placed) merged.push_back(r);
  std::sort(merged.begin(), merged.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  // Over the limit only if the new bytes do not start at the receive point:
  // bytes there are handed over at once (take_front), and refusing them
  // would stall the connection for good once the limit is reached.
  if (merged.size() > max_ranges_ && merged.front().start != 0) return false;
  ranges_ = std::move(merged);
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
  std::vector<Range> kept;
  for (const Range& r : ranges_) {
    if (r.end <= n) continue;
    kept.push_back({r.start > n ? r.start - n : 0, r.end - n});
  }
  ranges_ = std::move(kept);
}

}  // namespace synack
