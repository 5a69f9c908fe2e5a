#pragma once
// TIME-WAIT held in a mini-socket (like Linux's inet_timewait_sock): the
// 4-tuple, the two sequence points and a deadline, instead of a full
// connection with its buffers. Lives 2*MSL (RFC 9293 §3.6.1).
#include <algorithm>
#include <cstddef>
#include <unordered_map>
#include <utility>

#include "core/bounded_pool.hpp"
#include "core/deadline_heap.hpp"
#include "core/node_reserve.hpp"
#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "tcp/four_tuple.hpp"
#include "wire/tcp.hpp"

namespace synack::tcp {

struct TimeWaitSock {
  FourTuple tuple;
  SeqNum snd_nxt;
  SeqNum rcv_nxt;
  std::uint16_t window = 0;  // as last advertised, unscaled field value
  Instant expires{};
  // Timestamps, when the connection used them (RFC 7323 §3.2: on every
  // segment, TIME-WAIT's ACKs too; RFC 6191: they decide a reopening SYN).
  bool ts_ok = false;
  std::uint32_t ts_recent = 0;
  std::uint32_t ts_offset = 0;
  Instant last_oow_ack = kNever;  // the last rate-limited answer (RFC 5961 §7)
  // Its place in the table's deadline index (DeadlineHeap).
  Instant indexed_deadline = kNever;
  std::size_t timer_slot = static_cast<std::size_t>(-1);
};

enum class TimeWaitVerdict {
  Drop,           // nothing to do
  SendAck,        // answer <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
  AckAndRestart,  // a retransmitted FIN: ACK it and restart the 2*MSL timer
  Reopen,         // a new SYN may reuse the 4-tuple: remove the mini-socket, pass it on
  Kill,           // an acceptable RST: remove the mini-socket
};

// RFC 9293 §3.10.7.4 applied to a segment arriving in TIME-WAIT.
TimeWaitVerdict time_wait_verdict(const TimeWaitSock& tw, const wire::TcpRepr& seg);

class TimeWaitTable {
 public:
  TimeWaitTable(std::size_t capacity)
      : pool_(capacity), tuple_nodes_(std::min(capacity, NodeReserve<TupleMap>::kDefaultLimit)) {}
  ~TimeWaitTable();

  TimeWaitSock* find(const FourTuple& t) const {
    auto it = by_tuple_.find(t);
    return it == by_tuple_.end() ? nullptr : it->second;
  }
  // nullptr when the pool is exhausted (the caller then skips TIME-WAIT).
  TimeWaitSock* insert(const TimeWaitSock& tw);
  void erase(TimeWaitSock* tw);
  void reschedule(TimeWaitSock* tw, Instant expires);
  Instant next_deadline() const { return by_deadline_.earliest(); }
  TimeWaitSock* earliest() const { return by_deadline_.empty() ? nullptr : by_deadline_.top(); }
  std::size_t size() const { return by_tuple_.size(); }
  const PoolStats& pool_stats() const { return pool_.stats(); }
  template <typename F>
  void for_each(F f) const {
    for (auto& [t, tw] : by_tuple_)
      f(*tw);
  }

 private:
  using TupleMap = std::unordered_map<FourTuple, TimeWaitSock*, FourTupleHash>;
  BoundedPool<TimeWaitSock> pool_;
  TupleMap by_tuple_;
  // Ordered by (deadline, address), as the std::set it replaced; neither
  // index allocates per mini-socket once grown.
  DeadlineHeap<TimeWaitSock> by_deadline_;
  NodeReserve<TupleMap> tuple_nodes_;
};

}  // namespace synack::tcp
