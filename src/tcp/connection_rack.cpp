// The connection's side of RACK (RFC 8985 §6), the loss detector of SACK
// connections unless TcpConfig::loss_detection asks for RFC 6675's DupThresh:
// every data segment's transmission is recorded, every ACK and the
// reordering timer may mark segments lost, and lost segments start fast
// recovery and are what recovery retransmits (PRR still sets the window).
#include <algorithm>

#include "tcp/connection.hpp"

namespace synack::tcp {

Rack::Context Connection::rack_context() const {
  Rack::Context c;
  c.in_recovery = in_recovery_;
  c.srtt = rtt_.srtt();
  c.dupthresh = reordering_;
  return c;
}

void Connection::rack_on_ack(Instant now, const wire::TcpRepr& seg,
                             std::optional<SeqNum> lowest_new, bool dsack) {
  Rack::Ack a;
  a.una = snd_.una;
  a.snd_nxt = snd_.max;
  a.lowest_new = lowest_new;
  a.dsack = dsack;
  if (ts_ok_ && seg.options.timestamps) a.tsecr = seg.options.timestamps->tsecr;
  a.ts_offset = ts_offset_;
  apply_rack(now, rack_.on_ack(now, a, scoreboard_, rack_context()));
}

void Connection::on_rack_timeout(Instant now) {
  if (!rack_enabled() || snd_.una == snd_.max) return;
  apply_rack(now, rack_.on_timeout(now, rack_context()));
}

void Connection::apply_rack(Instant now, const Rack::Verdict& v) {
  // §6.3: segments still inside the reordering window are judged when it
  // closes, unless an ACK decides first.
  if (v.timer) timers_.rack = *v.timer > Duration{0} ? now + *v.timer : kNever;
  if (v.newly_lost == 0) return;
  // RFC 8985 §6.2 step 6 (RFC 6675 §5 step 4): a loss starts fast recovery,
  // but not again for data sent before the last one began (RFC 6582 §3.2
  // step 2) or while a timeout's go-back-N is still under way.
  if (!in_recovery_ && recover_ <= snd_.una) {
    enter_recovery(now);
    return;
  }
  activity();  // in recovery: the lost segments go as the window allows
}

bool Connection::send_rack_retransmission(Instant now) {
  // RFC 6675 §5 step (C) NextSeg rule 1, RACK's marks in place of IsLost:
  // the lowest lost segment not yet sent again. After a timeout (not in
  // recovery) only what go-back-N already resent and lost again qualifies.
  if (rack_.lost_bytes() == 0) return false;
  if (cc_.cwnd < pipe() + snd_.mss) return false;
  auto r = rack_.next_lost(snd_.nxt, snd_.mss);
  if (!r) return false;
  return retransmit_segment(now, r->start, r->len());
}

}  // namespace synack::tcp
