#pragma once
// The data sender's record of what the receiver has SACKed (RFC 6675 §2-4):
// sorted, disjoint sequence ranges above SND.UNA. It answers the questions
// loss recovery asks: is this byte lost (IsLost), where is the next hole to
// retransmit (NextSeg rule 1), and how much is still in the network (pipe).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/seq_num.hpp"
#include "wire/tcp_options.hpp"

namespace synack::tcp {

struct SeqRange {
  SeqNum start;
  SeqNum end;  // exclusive
  std::uint32_t len() const { return static_cast<std::uint32_t>(end - start); }
};

class SackScoreboard {
 public:
  // RFC 6675 §2: DupThresh.
  static constexpr int kDupThresh = 3;

  struct Update {
    std::uint32_t newly_sacked = 0;  // bytes SACKed for the first time
    bool dsack = false;              // the first block reported a duplicate (RFC 2883 §4)
    std::optional<SeqRange> dsack_range;
    std::optional<SeqNum> lowest_new;  // start of the lowest newly SACKed range
  };

  // Applies the SACK blocks of an ACK whose cumulative point is `una`, after
  // dropping what `una` now covers. Blocks outside (una, snd_max] are ignored
  // (RFC 2883 §4: a first block below una, or inside the second, is D-SACK).
  Update update(SeqNum una, SeqNum snd_max, std::span<const wire::SackBlock> blocks);
  // Forgets ranges at or below the cumulative ACK.
  void advance(SeqNum una);
  void clear();

  bool empty() const { return ranges_.empty(); }
  bool is_sacked(SeqNum s) const;
  // The end of the SACKed range containing s, or s when s is not SACKed.
  SeqNum skip_sacked(SeqNum s) const;
  std::uint32_t sacked_bytes() const { return sacked_; }
  // Highest SACKed sequence number + 1 (HighSACK's end); una when empty.
  SeqNum high_sacked(SeqNum una) const { return ranges_.empty() ? una : ranges_.back().end; }

  // RFC 6675 §4 IsLost(seq): DupThresh discontiguous SACKed ranges above seq,
  // or more than (DupThresh - 1) * SMSS bytes SACKed above it.
  // `dupthresh` is DupThresh, raised above 3 where reordering was seen.
  bool is_lost(SeqNum seq, std::uint32_t smss, int dupthresh = kDupThresh) const;
  // The first un-SACKed byte at or above `from` (below high_sacked) that
  // IsLost, with the length of the hole from there (NextSeg rule 1).
  std::optional<SeqRange> next_lost_hole(SeqNum from, std::uint32_t smss,
                                         int dupthresh = kDupThresh) const;
  // Un-SACKed bytes in [from, to) that IsLost: the holes counted out of pipe.
  std::uint32_t lost_bytes_between(SeqNum from, SeqNum to, std::uint32_t smss,
                                   int dupthresh = kDupThresh) const;

  const std::vector<SeqRange>& ranges() const { return ranges_; }

 private:
  void insert(SeqRange r, Update& u);
  std::vector<SeqRange> ranges_;  // sorted by start, disjoint, non-adjacent
  std::uint32_t sacked_ = 0;
};

}  // namespace synack::tcp
