#include "tcp/time_wait.hpp"

#include "tcp/ts_clock.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

TimeWaitVerdict time_wait_verdict(const TimeWaitSock& tw, const wire::TcpRepr& seg) {
  if (seg.has(kRst)) {
    // RFC 9293 §3.10.7.4 second check with RFC 5961 §3.2: an exact RST ends
    // TIME-WAIT. TIME-WAIT's receive window is closed (the peer's FIN was the
    // last byte), so any other RST is outside it and is dropped silently; an
    // ACK would draw an exact RST from the closed peer and assassinate
    // TIME-WAIT (RFC 1337 H2). Linux drops it too.
    return seg.seq == tw.rcv_nxt ? TimeWaitVerdict::Kill : TimeWaitVerdict::Drop;
  }
  if (seg.has(kSyn) && !seg.has(kAck)) {
    // RFC 6191 §2: with timestamps, a SYN whose TSval is newer than
    // TS.Recent reopens, whatever its sequence number. Otherwise RFC 1122
    // §4.2.2.13: a SYN beyond the old connection's sequence space may
    // reopen it; any other SYN gets a challenge ACK.
    if (tw.ts_ok && seg.options.timestamps)
      return ts_before(tw.ts_recent, seg.options.timestamps->tsval) ? TimeWaitVerdict::Reopen
                                                                    : TimeWaitVerdict::SendAck;
    return seg.seq > tw.rcv_nxt ? TimeWaitVerdict::Reopen : TimeWaitVerdict::SendAck;
  }
  if (seg.has(kFin) && seg.seq + static_cast<std::uint32_t>(seg.payload.size()) + 1 == tw.rcv_nxt) {
    // The peer's FIN again: our last ACK was lost. ACK it and restart 2*MSL.
    return TimeWaitVerdict::AckAndRestart;
  }
  // Anything not exactly at RCV.NXT is unacceptable here (the window is
  // closed): answer with an ACK. An acceptable segment has nothing to do.
  return seg.seq == tw.rcv_nxt && seg.seq_len() == 0 ? TimeWaitVerdict::Drop
                                                     : TimeWaitVerdict::SendAck;
}

TimeWaitTable::~TimeWaitTable() {
  for (auto& [t, tw] : by_tuple_)
    pool_.release(tw);
}

TimeWaitSock* TimeWaitTable::insert(const TimeWaitSock& tw) {
  TimeWaitSock* s = pool_.allocate(tw);
  if (!s) return nullptr;
  s->indexed_deadline = kNever;
  s->timer_slot = DeadlineHeap<TimeWaitSock>::kNotQueued;
  tuple_nodes_.insert(by_tuple_, s->tuple, s);
  by_deadline_.update(s, s->expires);
  return s;
}

void TimeWaitTable::erase(TimeWaitSock* tw) {
  by_deadline_.remove(tw);
  auto it = by_tuple_.find(tw->tuple);
  if (it != by_tuple_.end() && it->second == tw) tuple_nodes_.erase(by_tuple_, it);
  pool_.release(tw);
}

void TimeWaitTable::reschedule(TimeWaitSock* tw, Instant expires) {
  tw->expires = expires;
  by_deadline_.update(tw, expires);
}

}  // namespace synack::tcp
