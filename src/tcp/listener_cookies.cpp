// The listener's stateless path: SYN-ACKs whose sequence number is a SYN
// cookie, and final ACKs that rebuild the handshake from it (RFC 4987 §3.6).
#include <fmt/format.h>

#include <algorithm>

#include "tcp/listener.hpp"
#include "tcp/ts_clock.hpp"
#include "tcp/window_scale.hpp"

namespace synack::tcp {

using namespace wire::tcp_flags;

void Listener::send_cookie_synack(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg) {
  std::uint8_t mss_index = SynCookie::mss_index(seg.options.mss.value_or(cfg_.default_peer_mss));
  wire::TcpRepr r = synack_for(tuple);
  r.seq = SeqNum(cookies_.encode(tuple, seg.seq, mss_index, SynCookie::counter(now)));
  r.ack = seg.seq + 1;
  // Window scale and SACK can only be remembered in the TSval; without
  // timestamps the cookie SYN-ACK offers neither (as Linux).
  if (cfg_.timestamps && seg.options.timestamps) {
    CookieTsOptions o;
    o.wscale_ok = cfg_.window_scaling && seg.options.window_scale.has_value();
    o.snd_wscale = o.wscale_ok ? std::min<std::uint8_t>(*seg.options.window_scale, 14) : 0;
    o.sack_ok = cfg_.sack && seg.options.sack_permitted;
    if (o.wscale_ok) r.options.window_scale = window_shift_for(cfg_.recv_buffer);
    r.options.sack_permitted = o.sack_ok;
    std::uint32_t ts_now = ts_clock(now, host_.choose_ts_offset(tuple));
    r.options.timestamps =
        wire::TcpTimestamps{SynCookie::encode_tsval(ts_now, o), seg.options.timestamps->tsval};
  }
  ++counters_.cookies_sent;
  host_.send_segment(tuple, r);
}

bool Listener::cookie_check_enabled(Instant now) const {
  switch (cfg_.syncookies) {
    case SyncookieMode::On:
      return true;
    case SyncookieMode::Auto:
      // Linux's tcp_synq_no_recent_overflow: an ACK with no entry is only
      // worth a hash when we sent cookies lately (two counter periods).
      return last_overflow_ && now - *last_overflow_ < SynCookie::kMaxAge * SynCookie::kPeriod;
    case SyncookieMode::Off:
      return false;
  }
  return false;
}

bool Listener::complete_from_cookie(Instant now, const FourTuple& tuple, const wire::TcpRepr& seg) {
  // The ACK acknowledges cookie + 1 and follows the client's ISN + 1.
  SeqNum irs = seg.seq - 1;
  SeqNum iss = seg.ack - 1;
  auto mss_index = cookies_.decode(tuple, irs, iss.raw(), SynCookie::counter(now));
  std::optional<CookieTsOptions> ts_opts = CookieTsOptions{};
  if (mss_index && seg.options.timestamps) {
    if (cfg_.timestamps) {
      ts_opts = SynCookie::decode_tsecr(seg.options.timestamps->tsecr);
    } else {
      ts_opts.reset();
    }
    // Options we would not have offered mean the TSecr is not ours.
    if (ts_opts &&
        ((ts_opts->sack_ok && !cfg_.sack) || (ts_opts->wscale_ok && !cfg_.window_scaling)))
      ts_opts.reset();
  }
  if (!mss_index || !ts_opts) {
    ++counters_.cookies_rejected;
    return false;  // the caller answers with RST (RFC 9293 §3.10.7.2)
  }
  ++counters_.cookies_validated;
  if (accept_queue_full()) {
    // No entry to keep: the client's next segment (its data, or the
    // retransmission of this ACK's data) presents the cookie again.
    ++counters_.accept_queue_overflows;
    if (cfg_.abort_on_overflow) send_rst(tuple, seg.ack);
    note("cookie ACK from {}:{} dropped: AcceptQueue full ({}/{})", tuple.remote_addr,
         tuple.remote_port, accept_queue_.size(), cfg_.backlog);
    return true;
  }
  HandshakeResult h;
  h.iss = iss;
  h.irs = irs;
  h.peer_mss = SynCookie::kMssTable[*mss_index];
  h.ts_ok = seg.options.timestamps.has_value();
  if (h.ts_ok) {
    h.wscale_ok = ts_opts->wscale_ok;
    h.snd_wscale = ts_opts->snd_wscale;
    h.rcv_wscale = h.wscale_ok ? window_shift_for(cfg_.recv_buffer) : 0;
    h.sack_ok = ts_opts->sack_ok;
    // RFC 7323 §4.3: the completing ACK's TSval becomes TS.Recent.
    h.ts_recent = seg.options.timestamps->tsval;
    h.ts_offset = host_.choose_ts_offset(tuple);
  }
  h.peer_window = static_cast<std::uint32_t>(seg.window) << h.snd_wscale;
  // Stateless: the cookie SYN-ACK offered 65535 or, under pressure, less.
  // Take the larger: an edge right of the one offered only lets more in
  // (the budget still bounds what is stored), one left of it would refuse
  // the peer's first flight.
  h.offered_window = handshake_window(cfg_.recv_buffer, false);
  Connection* c = host_.create_connection(now, tuple, cfg_, h);
  if (!c) {
    ++counters_.pool_full_drops;
    note("cookie ACK dropped: connection pool exhausted");
    return true;
  }
  host_.on_request_state(*this, tuple, TcpState::Listen, TcpState::SynReceived,
                         "ACK carries a valid SYN cookie");
  enqueue_established(now, c, seg);
  return true;
}

}  // namespace synack::tcp
