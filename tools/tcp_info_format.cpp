#include "tcp_info_format.hpp"

#include <fmt/format.h>

namespace synack::tools {

namespace {
double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
}  // namespace

std::string format_tcp_info(const tcp::TcpInfo& i) {
  const tcp::ConnectionStats& s = i.stats;
  std::string opts;
  if (i.timestamps) opts += " ts";
  if (i.sack) opts += " sack";
  return fmt::format(
      "{}{} wscale:{},{} rto:{:.0f} rtt:{:.3f}/{:.3f} mss:{} rcvmss:{} cwnd:{} ssthresh:{} "
      "bytes_sent:{} bytes_retrans:{} bytes_acked:{} bytes_received:{} segs_out:{} segs_in:{} "
      "retrans:{} timeouts:{} fast_retrans:{} loss_probes:{} spurious:{} sacked:{} dsack_in:{} "
      "dsack_out:{} challenge_acks:{} acks_ratelimited:{} "
      "reordering:{} ooo_in:{} delayed_acks:{} unacked:{} snd_wnd:{} rcv_wnd:{} "
      "mem:(snd:{},rcv:{}) mem_drops:{}{}",
      i.congestion, opts, i.snd_wscale, i.rcv_wscale, ms(i.rto), ms(i.srtt), ms(i.rttvar),
      i.snd_mss, i.rcv_mss, i.snd_mss ? i.cwnd / i.snd_mss : 0,
      i.ssthresh >= 0x7fffffff ? 0 : (i.snd_mss ? i.ssthresh / i.snd_mss : 0), s.bytes_sent,
      s.bytes_retransmitted, s.bytes_acked, s.bytes_received, s.segments_sent, s.segments_received,
      s.retransmits, s.timeouts, s.fast_retransmits, s.loss_probes, s.spurious_retransmits,
      s.bytes_sacked, s.dsacks_received, s.dsacks_sent, s.challenge_acks, s.acks_rate_limited,
      s.reordering, s.out_of_order_segments, s.delayed_acks, i.bytes_in_flight, i.snd_wnd,
      i.rcv_wnd, i.snd_buf_memory, i.rcv_buf_memory, s.receive_memory_drops,
      i.in_recovery ? " recovering" : "");
}

std::string format_listener(const tcp::Listener& l) {
  const tcp::ListenerCounters& c = l.counters();
  return fmt::format(
      "syn_queue:{} accept_queue:{} syns:{} synacks:{} synack_retrans:{} half_open_expired:{} "
      "syn_queue_drops:{} accept_queue_drops:{} overflows:{} rst_in:{} rst_out:{} "
      "cookies_sent:{} cookies_valid:{} cookies_rejected:{} established:{} accepted:{} "
      "pool_full:{}",
      l.syn_queue_size(), l.accept_queue_size(), c.syns_received, c.synacks_sent,
      c.synacks_retransmitted, c.half_open_expired, c.syn_queue_full_drops,
      c.accept_queue_full_drops, c.accept_queue_overflows, c.resets_received, c.resets_sent,
      c.cookies_sent, c.cookies_validated, c.cookies_rejected, c.established, c.accepted,
      c.pool_full_drops);
}

std::string format_buffers(const tcp::TcpLayer& t) {
  const BufferPoolStats& b = t.buffer_stats();
  const std::size_t budget = t.buffer_budget();
  return fmt::format(
      "buffers: held {} peak {} budget {} cached {} blocks {} reused {} refusals {} forced {} "
      "pressure {}",
      b.outstanding_bytes, b.peak_outstanding_bytes, budget, b.cached_bytes, b.acquired, b.reused,
      b.refusals, b.forced, b.pressure_entered);
}

}  // namespace synack::tools
