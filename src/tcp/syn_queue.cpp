#include "tcp/syn_queue.hpp"

namespace synack::tcp {

RequestSock* SynQueue::insert(const RequestSock& req) {
  if (full()) return nullptr;
  RequestSock* r = pool_.allocate(req);
  if (!r) return nullptr;
  by_tuple_.emplace(r->tuple, r);
  by_deadline_.emplace(r->deadline, r);
  if (r->retransmits == 0) ++young_;
  return r;
}

void SynQueue::erase(RequestSock* req) {
  by_deadline_.erase({req->deadline, req});
  by_tuple_.erase(req->tuple);
  if (req->retransmits == 0) --young_;
  pool_.release(req);
}

void SynQueue::reschedule(RequestSock* req, Instant deadline) {
  by_deadline_.erase({req->deadline, req});
  req->deadline = deadline;
  by_deadline_.emplace(deadline, req);
}

void SynQueue::clear() {
  for (auto& [tuple, req] : by_tuple_)
    pool_.release(req);
  by_tuple_.clear();
  by_deadline_.clear();
  young_ = 0;
}

}  // namespace synack::tcp
