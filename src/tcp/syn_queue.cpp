#include "tcp/syn_queue.hpp"

namespace synack::tcp {

RequestSock* SynQueue::insert(const RequestSock& req) {
  if (full()) return nullptr;
  RequestSock* r = pool_.allocate(req);
  if (!r) return nullptr;
  tuple_nodes_.insert(by_tuple_, r->tuple, r);
  r->indexed_deadline = kNever;  // copied from `req`: not filed yet
  r->timer_slot = DeadlineHeap<RequestSock>::kNotQueued;
  by_deadline_.update(r, r->deadline);
  if (r->retransmits == 0) ++young_;
  return r;
}

void SynQueue::erase(RequestSock* req) {
  by_deadline_.remove(req);
  auto it = by_tuple_.find(req->tuple);
  if (it != by_tuple_.end() && it->second == req) tuple_nodes_.erase(by_tuple_, it);
  if (req->retransmits == 0) --young_;
  pool_.release(req);
}

void SynQueue::reschedule(RequestSock* req, Instant deadline) {
  req->deadline = deadline;
  by_deadline_.update(req, deadline);
}

void SynQueue::clear() {
  for (auto& [tuple, req] : by_tuple_)
    pool_.release(req);
  by_tuple_.clear();
  by_deadline_.clear();
  young_ = 0;
}

}  // namespace synack::tcp
