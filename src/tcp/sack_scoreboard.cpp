#include "tcp/sack_scoreboard.hpp"

#include <algorithm>

namespace synack::tcp {

SackScoreboard::Update SackScoreboard::update(SeqNum una, SeqNum snd_max,
                                              std::span<const wire::SackBlock> blocks) {
  advance(una);
  Update u;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    SeqRange r{SeqNum(blocks[i].left), SeqNum(blocks[i].right)};
    if (!(r.start < r.end)) continue;
    if (i == 0) {
      // RFC 2883 §4: a first block at or below the cumulative ACK, or
      // contained in the second block, reports a duplicate.
      bool below = r.end <= una;
      bool inside_second = blocks.size() > 1 && SeqNum(blocks[1].left) <= r.start &&
                           r.end <= SeqNum(blocks[1].right);
      if (below || inside_second) {
        u.dsack = true;
        u.dsack_range = r;
        continue;
      }
    }
    // RFC 2018 §3: only blocks within what we sent are meaningful.
    if (r.end <= una || r.start >= snd_max || snd_max < r.end) continue;
    if (r.start < una) r.start = una;
    insert(r, u);
  }
  return u;
}

void SackScoreboard::insert(SeqRange r, Update& u) {
  // Find the first range that ends at or after r.start; merge every range
  // overlapping or touching r, counting only bytes not SACKed before.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), r.start,
                             [](const SeqRange& a, SeqNum s) { return a.end < s; });
  std::uint32_t covered = 0;
  SeqRange merged = r;
  auto first = it;
  // The first byte of r not SACKed before: where the news begins.
  SeqNum cursor = r.start;
  std::optional<SeqNum> first_new;
  for (auto j = it; j != ranges_.end() && j->start <= r.end && !first_new; ++j) {
    if (cursor < j->start) first_new = cursor;
    cursor = seq_max(cursor, j->end);
  }
  if (!first_new && cursor < r.end) first_new = cursor;
  while (it != ranges_.end() && it->start <= r.end) {
    SeqNum lo = seq_max(it->start, r.start);
    SeqNum hi = it->end < r.end ? it->end : r.end;
    if (lo < hi) covered += static_cast<std::uint32_t>(hi - lo);
    if (it->start < merged.start) merged.start = it->start;
    if (merged.end < it->end) merged.end = it->end;
    sacked_ -= it->len();
    ++it;
  }
  it = ranges_.erase(first, it);
  ranges_.insert(it, merged);
  sacked_ += merged.len();
  if (r.len() > covered) {
    u.newly_sacked += r.len() - covered;
    if (first_new && (!u.lowest_new || *first_new < *u.lowest_new)) u.lowest_new = first_new;
  }
}

void SackScoreboard::advance(SeqNum una) {
  auto it = ranges_.begin();
  while (it != ranges_.end() && it->end <= una) {
    sacked_ -= it->len();
    ++it;
  }
  ranges_.erase(ranges_.begin(), it);
  if (!ranges_.empty() && ranges_.front().start < una) {
    sacked_ -= static_cast<std::uint32_t>(una - ranges_.front().start);
    ranges_.front().start = una;
  }
}

void SackScoreboard::clear() {
  ranges_.clear();
  sacked_ = 0;
}

bool SackScoreboard::is_sacked(SeqNum s) const {
  return skip_sacked(s) != s;
}

SeqNum SackScoreboard::skip_sacked(SeqNum s) const {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), s,
                             [](const SeqRange& a, SeqNum v) { return a.end <= v; });
  if (it != ranges_.end() && it->start <= s) return it->end;
  return s;
}

bool SackScoreboard::is_lost(SeqNum seq, std::uint32_t smss, int dupthresh) const {
  int discontiguous = 0;
  std::uint64_t bytes = 0;
  for (auto it = ranges_.rbegin(); it != ranges_.rend() && seq < it->end; ++it) {
    ++discontiguous;
    bytes += seq <= it->start ? it->len() : static_cast<std::uint32_t>(it->end - seq);
    if (discontiguous >= dupthresh || bytes > static_cast<std::uint64_t>(dupthresh - 1) * smss)
      return true;
  }
  return false;
}

std::optional<SeqRange> SackScoreboard::next_lost_hole(SeqNum from, std::uint32_t smss,
                                                       int dupthresh) const {
  SeqNum s = skip_sacked(from);
  for (const SeqRange& r : ranges_) {
    if (r.end <= s) continue;
    if (s < r.start) {
      // [s, r.start) is a hole; it is lost if enough is SACKed above it.
      if (!is_lost(s, smss, dupthresh)) return std::nullopt;  // holes further up are even less lost
      return SeqRange{s, r.start};
    }
    s = r.end;
  }
  return std::nullopt;
}

std::uint32_t SackScoreboard::lost_bytes_between(SeqNum from, SeqNum to, std::uint32_t smss,
                                                 int dupthresh) const {
  std::uint32_t lost = 0;
  SeqNum s = skip_sacked(from);
  for (const SeqRange& r : ranges_) {
    if (!(s < to)) break;
    if (r.end <= s) continue;
    if (s < r.start) {
      if (!is_lost(s, smss, dupthresh)) break;
      SeqNum hole_end = r.start < to ? r.start : to;
      // Only the part of the hole that is itself lost counts: IsLost holds
      // for every byte below the first SACKed block that makes it true, so
      // the whole hole qualifies once its first byte does.
      lost += static_cast<std::uint32_t>(hole_end - s);
    }
    s = r.end;
  }
  return lost;
}

}  // namespace synack::tcp
