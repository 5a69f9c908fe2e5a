#pragma once
// What RACK (RFC 8985 §5.2) needs to remember about each segment in flight:
// its sequence range, when it last left, and whether it was retransmitted,
// SACKed or deemed lost. The bytes stay in the send buffer; these records are
// a few words each, in sequence order, contiguous from SND.UNA to SND.MAX.
// They live in a ring that grows by doubling. Its storage comes from the
// connection's BufferPool when it has one and goes back there whenever every
// record is acknowledged: an idle connection holds none, and a steady flight
// (or a connection that comes and goes) costs no allocation.
#include <cstddef>
#include <cstdint>

#include "core/buffer_pool.hpp"
#include "core/seq_num.hpp"
#include "core/time.hpp"

namespace synack::tcp {

struct SentSegment {
  SeqNum start;
  SeqNum end;  // exclusive; a FIN counts as one sequence number
  Instant xmit_ts{};
  bool retransmitted = false;
  bool sacked = false;
  bool lost = false;  // deemed lost and not sent again since
  std::uint32_t len() const { return static_cast<std::uint32_t>(end - start); }
};

class SentSegments {
 public:
  explicit SentSegments(BufferPool* pool = nullptr) : pool_(pool) {}
  ~SentSegments() { release(); }
  SentSegments(const SentSegments&) = delete;
  SentSegments& operator=(const SentSegments&) = delete;

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  SentSegment& operator[](std::size_t i) { return ring_[(head_ + i) & mask()]; }
  const SentSegment& operator[](std::size_t i) const { return ring_[(head_ + i) & mask()]; }
  SentSegment& front() { return (*this)[0]; }
  SentSegment& back() { return (*this)[count_ - 1]; }
  SeqNum end() const { return count_ ? (*this)[count_ - 1].end : SeqNum(); }

  // Index of the first record ending after `s` (size() when none).
  std::size_t find(SeqNum s) const;
  // [start, end) left at `now`: appended when it is new, otherwise the
  // records it covers are split at its edges and restamped as retransmitted.
  // Returns false when it was new data.
  bool on_transmit(SeqNum start, SeqNum end, Instant now);
  void pop_front();
  // The cumulative ACK covers part of the first record.
  void trim_front(SeqNum una);
  void clear() {
    head_ = count_ = 0;
    lost_bytes_ = 0;
    release();
  }

  // Bytes deemed lost and not yet sent again: out of RFC 6675's pipe.
  std::uint32_t lost_bytes() const { return lost_bytes_; }
  void mark_lost(SentSegment& s);
  void unmark_lost(SentSegment& s);
  void mark_sacked(SentSegment& s);

 private:
  std::size_t mask() const { return cap_ - 1; }
  void push_back(const SentSegment& s);
  void insert(std::size_t index, const SentSegment& s);  // shifts the tail: rare
  void split(std::size_t index, SeqNum at);              // index keeps [start, at)

  void release();  // gives the storage back (only when empty)

  BufferPool* pool_;
  SentSegment* ring_ = nullptr;
  std::size_t cap_ = 0;  // a power of two, or 0 without storage
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::uint32_t lost_bytes_ = 0;
};

}  // namespace synack::tcp
