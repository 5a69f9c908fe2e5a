// Passive open: RFC 9293 §3.10.7.2 (LISTEN) and §3.10.7.4 for SYN-RECEIVED,
// held in RequestSocks; SYN-ACK retransmission with Linux's schedule.
#include "tcp/listener.hpp"
#include "tcp/ts_clock.hpp"
#include "tcp/window_scale.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace synack::tcp {

using namespace wire::tcp_flags;

Listener::Listener(ListenerHost& host, const TcpConfig& cfg, wire::Ipv4Address addr,
                   std::uint16_t port, BoundedPool<RequestSock>& pool)
    : host_(host),
      cfg_(cfg),
      addr_(addr),
      port_(port),
      syn_queue_(pool, cfg.syn_backlog),
      cookies_(SipKey{cfg.syncookie_key0, cfg.syncookie_key1}) {}

Listener::~Listener() {
  syn_queue_.clear();
}

void Listener::on_segment(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg) {
  if (RequestSock* req = syn_queue_.find(tuple)) {
    on_request_segment(now, req, seg);
    return;
  }
  // RFC 9293 §3.10.7.2, LISTEN: ignore a RST; reset any ACK (nothing here
  // could have been acknowledged) unless it returns one of our SYN cookies
  // (RFC 4987 §3.6); accept a SYN.
  if (seg.has(kRst)) return;
  if (seg.has(kAck)) {
    if (!seg.has(kSyn) && cookie_check_enabled(now) && complete_from_cookie(now, tuple, seg))
      return;
    send_rst(tuple, seg.ack);
    return;
  }
  if (seg.has(kSyn)) on_syn(now, tuple, seg);
}

void Listener::on_syn(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg) {
  ++counters_.syns_received;
  // Linux drops a SYN while the accept queue is full: completing more
  // handshakes would only overflow it.
  if (accept_queue_full()) {
    ++counters_.accept_queue_full_drops;
    note("SYN from {}:{} dropped: AcceptQueue full ({}/{})", tuple.remote_addr, tuple.remote_port,
         accept_queue_.size(), cfg_.backlog);
    return;
  }
  bool want_cookie = cfg_.syncookies == SyncookieMode::On;
  if (!want_cookie && syn_queue_.full() && cfg_.syncookies == SyncookieMode::Auto) {
    // Linux's tcp_syncookies=1: keep answering, statelessly, while the queue
    // is full, and remember the overflow so that cookie ACKs are checked.
    want_cookie = true;
    last_overflow_ = now;
  }
  if (want_cookie) {
    send_cookie_synack(now, tuple, seg);
    return;
  }
  if (syn_queue_.full()) {
    ++counters_.syn_queue_full_drops;
    note("SYN from {}:{} dropped: SynQueue full ({}/{})", tuple.remote_addr, tuple.remote_port,
         syn_queue_.size(), syn_queue_.limit());
    return;
  }
  RequestSock r;
  r.tuple = tuple;
  r.irs = seg.seq;
  r.iss = host_.choose_isn(tuple, now);
  r.peer_mss = std::max<std::uint16_t>(64, seg.options.mss.value_or(cfg_.default_peer_mss));
  r.peer_window = seg.window;
  // RFC 7323 §2.2: scale only when both SYNs carry the option.
  r.wscale_ok = cfg_.window_scaling && seg.options.window_scale.has_value();
  r.snd_wscale = r.wscale_ok ? std::min<std::uint8_t>(*seg.options.window_scale, 14) : 0;
  r.rcv_wscale = r.wscale_ok ? window_shift_for(cfg_.recv_buffer) : 0;
  // RFC 2018 §2 and RFC 7323 §3.2: SACK and timestamps only when the SYN
  // offered them and we allow them.
  r.sack_ok = cfg_.sack && seg.options.sack_permitted;
  r.ts_ok = cfg_.timestamps && seg.options.timestamps.has_value();
  if (r.ts_ok) {
    r.ts_recent = seg.options.timestamps->tsval;
    r.ts_offset = host_.choose_ts_offset(tuple);
  }
  r.created = now;
  r.first_synack = now;
  r.deadline = now + cfg_.rto_initial;
  RequestSock* req = syn_queue_.insert(r);
  if (!req && cfg_.syncookies == SyncookieMode::Auto) {
    // Out of half-open memory (the pool is shared by every listener of the
    // host): as good as a full queue, so answer statelessly too.
    last_overflow_ = now;
    send_cookie_synack(now, tuple, seg);
    return;
  }
  if (!req) {
    ++counters_.syn_queue_full_drops;
    note("SYN dropped: request pool exhausted");
    return;
  }
  host_.on_request_state(*this, tuple, TcpState::Listen, TcpState::SynReceived, "SYN received");
  send_synack(now, *req);
  ++counters_.synacks_sent;
  note("SynQueue {}/{}, AcceptQueue {}/{}", syn_queue_.size(), syn_queue_.limit(),
       accept_queue_.size(), cfg_.backlog);
}

void Listener::on_request_segment(Instant now, RequestSock* req, const wire::TcpRepr& seg) {
  SeqNum rcv_nxt = req->irs + 1;
  std::uint32_t wnd = req->offered_window;  // what our SYN-ACKs offered
  bool in_window = seg.seq.in_range(rcv_nxt, rcv_nxt + wnd);
  if (seg.has(kRst)) {
    // RFC 9293 §3.10.7.4 second check (RFC 5961 §3.2): an exact RST returns a
    // passively opened connection to LISTEN, i.e. removes the entry; an
    // in-window one gets a challenge ACK.
    if (seg.seq == rcv_nxt) {
      ++counters_.resets_received;
      drop_request(req, "RST received");
    } else if (in_window) {
      send_ack(now, *req);
    }
    return;
  }
  if (seg.has(kSyn) && !seg.has(kAck)) {
    if (seg.seq == req->irs) {
      // The client's SYN again: our SYN-ACK was lost. Answer now, as Linux
      // does, and push our own timer back by the current wait so the two do
      // not fire together.
      req->resent = true;
      ++counters_.synacks_retransmitted;
      send_synack(now, *req);
      syn_queue_.reschedule(req, now + synack_wait(req->retransmits));
    } else {
      send_ack(now, *req);  // RFC 5961 §4.2 challenge ACK
    }
    return;
  }
  if (!seg.has(kAck)) return;
  // RFC 9293 §3.10.7.4 fifth check, SYN-RECEIVED: an unacceptable ACK gets
  // <SEQ=SEG.ACK><CTL=RST>.
  if (seg.ack != req->iss + 1) {
    send_rst(req->tuple, seg.ack);
    return;
  }
  if (!(seg.seq == rcv_nxt || (seg.seq_len() > 0 && in_window))) {
    send_ack(now, *req);
    return;
  }
  complete(now, req, seg);
}

void Listener::complete(Instant now, RequestSock* req, const wire::TcpRepr& seg) {
  if (accept_queue_full()) {
    ++counters_.accept_queue_overflows;
    if (cfg_.abort_on_overflow) {
      send_rst(req->tuple, seg.ack);
      drop_request(req, "AcceptQueue full: reset (abort_on_overflow)");
      return;
    }
    // Linux: drop the ACK and keep the entry; the SYN-ACK retransmission (or
    // the client's next segment) will try again.
    req->acked = true;
    note("final ACK from {}:{} dropped: AcceptQueue full ({}/{})", req->tuple.remote_addr,
         req->tuple.remote_port, accept_queue_.size(), cfg_.backlog);
    return;
  }
  HandshakeResult h;
  h.iss = req->iss;
  h.irs = req->irs;
  h.peer_mss = req->peer_mss;
  h.wscale_ok = req->wscale_ok;
  h.snd_wscale = req->snd_wscale;
  h.rcv_wscale = req->rcv_wscale;
  h.peer_window = static_cast<std::uint32_t>(seg.window) << req->snd_wscale;
  h.offered_window = req->offered_window;
  if (req->retransmits == 0 && !req->resent) h.rtt = now - req->first_synack;  // Karn's rule
  h.sack_ok = req->sack_ok;
  h.ts_ok = req->ts_ok;
  h.ts_recent = req->ts_recent;
  h.ts_offset = req->ts_offset;
  // RFC 7323 §4.3: the completing ACK's TSval becomes TS.Recent.
  if (req->ts_ok && seg.options.timestamps) h.ts_recent = seg.options.timestamps->tsval;
  FourTuple tuple = req->tuple;
  Connection* c = host_.create_connection(now, tuple, cfg_, h);
  if (!c) {
    req->acked = true;
    ++counters_.pool_full_drops;
    note("final ACK dropped: connection pool exhausted");
    return;
  }
  syn_queue_.erase(req);
  enqueue_established(now, c, seg);
}

void Listener::enqueue_established(Instant now, Connection* c, const wire::TcpRepr& seg) {
  c->in_accept_queue = true;
  accept_queue_.push(c);
  ++counters_.established;
  note("SynQueue {}/{}, AcceptQueue {}/{}", syn_queue_.size(), syn_queue_.limit(),
       accept_queue_.size(), cfg_.backlog);
  host_.on_accept_ready(*this);
  // The completing segment may carry data or a FIN (the article's case of a
  // lost final ACK: the client's first data segment completes the handshake).
  if (!seg.payload.empty() || seg.has(kFin)) c->on_segment(now, seg);
}

void Listener::on_timer(Instant now) {
  while (RequestSock* req = syn_queue_.earliest()) {
    if (req->deadline > now) break;
    // An entry whose final ACK was dropped for a full accept queue keeps the
    // full retry budget: its client is real and waiting (Linux's acked check).
    int limit = req->acked ? cfg_.synack_retries : synack_retry_limit();
    if (req->retransmits >= limit) {
      ++counters_.half_open_expired;
      drop_request(req, host_.tracing() ? fmt::format("half-open lifetime over after {} SYN-ACK "
                                                      "retransmissions",
                                                      req->retransmits)
                                        : std::string());
      continue;
    }
    syn_queue_.count_retransmit(req);
    ++counters_.synacks_retransmitted;
    send_synack(now, *req);
    syn_queue_.reschedule(req, now + synack_wait(req->retransmits));
  }
}

int Listener::synack_retry_limit() const {
  // Queue policy under a flood, as Linux's reqsk_timer_handler: once the
  // SynQueue is more than half full, entries already retransmitted (old ones,
  // most likely from spoofed sources that will never answer) get fewer
  // retries -- down to 2 -- the scarcer young entries are, so old entries
  // leave early and make room for new SYNs (RFC 4987 §3.4). The threshold
  // drops by one for each doubling of the young count that still stays at or
  // below the queue length.
  int thresh = cfg_.synack_retries;
  std::size_t qlen = syn_queue_.size();
  if (qlen * 2 > std::max<std::size_t>(8, syn_queue_.limit())) {
    std::size_t young = syn_queue_.young() * 2;
    while (thresh > 2 && qlen >= young) {
      --thresh;
      young *= 2;
    }
  }
  return thresh;
}

Duration Listener::synack_wait(int retransmits) const {
  // The waits double: 1, 2, 4, 8, 16, 32 s with the defaults, so the
  // retransmissions go out at 1, 3, 7, 15, 31 s and the entry dies at 63 s.
  Duration wait = cfg_.rto_initial;
  for (int i = 0; i < retransmits && wait < cfg_.rto_max; ++i)
    wait *= 2;
  return std::min(wait, cfg_.rto_max);
}

Connection* Listener::accept() {
  if (accept_queue_.empty()) return nullptr;
  Connection* c = accept_queue_.pop();
  c->in_accept_queue = false;
  ++counters_.accepted;
  return c;
}

void Listener::shutdown(Instant now) {
  while (RequestSock* req = syn_queue_.earliest())
    drop_request(req, "listener closed");
  while (!accept_queue_.empty()) {
    Connection* c = accept_queue_.pop();
    c->in_accept_queue = false;
    c->abort(now);
  }
}

void Listener::drop_request(RequestSock* req, std::string_view why) {
  host_.on_request_state(*this, req->tuple, TcpState::SynReceived, TcpState::Closed, why);
  syn_queue_.erase(req);
}

wire::TcpRepr Listener::synack_for(const FourTuple& tuple) const {
  wire::TcpRepr r;
  r.src_port = tuple.local_port;
  r.dst_port = tuple.remote_port;
  r.flags = kSyn | kAck;
  r.window = handshake_window(cfg_.recv_buffer, host_.buffers_under_pressure());
  r.options.mss = host_.local_mss();
  return r;
}

void Listener::send_synack(Instant now, RequestSock& req) {
  wire::TcpRepr r = synack_for(req.tuple);
  r.seq = req.iss;
  r.ack = req.irs + 1;
  if (req.wscale_ok) r.options.window_scale = req.rcv_wscale;
  r.options.sack_permitted = req.sack_ok;
  if (req.ts_ok)
    r.options.timestamps = wire::TcpTimestamps{ts_clock(now, req.ts_offset), req.ts_recent};
  req.offered_window = std::max(req.offered_window, r.window);
  host_.send_segment(req.tuple, r);
}

void Listener::send_ack(Instant now, const RequestSock& req) {
  wire::TcpRepr r;
  r.src_port = req.tuple.local_port;
  r.dst_port = req.tuple.remote_port;
  r.seq = req.iss + 1;
  r.ack = req.irs + 1;
  r.flags = kAck;
  // What the SYN-ACK offered, the edge kept; the peer has seen both SYNs,
  // so this window is scaled (RFC 7323 §2.2).
  r.window = static_cast<std::uint16_t>(req.offered_window >> (req.wscale_ok ? req.rcv_wscale : 0));
  if (req.ts_ok)
    r.options.timestamps = wire::TcpTimestamps{ts_clock(now, req.ts_offset), req.ts_recent};
  host_.send_segment(req.tuple, r);
}

void Listener::send_rst(const FourTuple& tuple, SeqNum seq) {
  wire::TcpRepr r;
  r.src_port = tuple.local_port;
  r.dst_port = tuple.remote_port;
  r.seq = seq;
  r.flags = kRst;
  ++counters_.resets_sent;
  host_.send_segment(tuple, r);
}

}  // namespace synack::tcp
