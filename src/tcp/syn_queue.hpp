#pragma once
// The half-open queue of the article: one RequestSock per SYN answered with a
// SYN-ACK and awaiting its ACK, bounded by the listener's syn_backlog, indexed
// by 4-tuple and ordered by deadline.
#include <algorithm>
#include <cstddef>
#include <unordered_map>
#include <utility>

#include "core/bounded_pool.hpp"
#include "core/deadline_heap.hpp"
#include "core/node_reserve.hpp"
#include "tcp/request_sock.hpp"

namespace synack::tcp {

class SynQueue {
 public:
  SynQueue(BoundedPool<RequestSock>& pool, std::size_t limit)
      : pool_(pool),
        limit_(limit),
        tuple_nodes_(std::min(limit, NodeReserve<TupleMap>::kDefaultLimit)) {}
  ~SynQueue() { clear(); }
  SynQueue(const SynQueue&) = delete;
  SynQueue& operator=(const SynQueue&) = delete;

  std::size_t size() const { return by_tuple_.size(); }
  std::size_t limit() const { return limit_; }
  bool full() const { return by_tuple_.size() >= limit_; }
  // Entries whose SYN-ACK has not been retransmitted yet (Linux's "young"
  // requests), for the prune policy.
  std::size_t young() const { return young_; }

  RequestSock* find(const FourTuple& t) const {
    auto it = by_tuple_.find(t);
    return it == by_tuple_.end() ? nullptr : it->second;
  }
  // nullptr when the queue is full or the pool is exhausted.
  RequestSock* insert(const RequestSock& req);
  void erase(RequestSock* req);
  // Call after changing req->deadline.
  void reschedule(RequestSock* req, Instant deadline);
  // Counts one more timer-driven SYN-ACK retransmission of req.
  void count_retransmit(RequestSock* req) {
    if (req->retransmits++ == 0) --young_;
  }
  // The entry with the earliest deadline, or nullptr.
  RequestSock* earliest() const { return by_deadline_.empty() ? nullptr : by_deadline_.top(); }
  Instant next_deadline() const { return by_deadline_.earliest(); }
  void clear();

 private:
  BoundedPool<RequestSock>& pool_;
  std::size_t limit_;
  std::size_t young_ = 0;
  using TupleMap = std::unordered_map<FourTuple, RequestSock*, FourTupleHash>;
  TupleMap by_tuple_;
  DeadlineHeap<RequestSock> by_deadline_;
  NodeReserve<TupleMap> tuple_nodes_;  // no allocation per request once grown
};

}  // namespace synack::tcp
