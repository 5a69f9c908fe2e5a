#pragma once
// One TCP connection from SYN-SENT (or ESTABLISHED, when a listener hands it
// over) to CLOSED or TIME-WAIT. Input follows RFC 9293 §3.10.7 "SEGMENT
// ARRIVES" step by step (connection_input.cpp); output, timers and user calls
// live in their own files. Sans-IO: time is an argument, segments leave through
// ConnectionHost.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/assembler.hpp"
#include "core/ring_buffer.hpp"
#include "core/time.hpp"
#include "tcp/congestion_control.hpp"
#include "tcp/four_tuple.hpp"
#include "tcp/rack.hpp"
#include "tcp/rate_reduction.hpp"
#include "tcp/rtt_estimator.hpp"
#include "tcp/sack_scoreboard.hpp"
#include "tcp/tcb.hpp"
#include "tcp/tcp_config.hpp"
#include "tcp/tcp_state.hpp"
#include "wire/tcp.hpp"

namespace synack::tcp {

class Connection;

// Why a connection ended abnormally; errors are values, seen by the user.
enum class ConnError : std::uint8_t {
  None,
  Refused,   // RST in answer to our SYN
  TimedOut,  // retransmissions exhausted
  Reset,     // RST on a synchronized connection
  Aborted,   // the user called abort()
};
std::string_view to_string(ConnError e);

// What a connection needs from whoever owns it (the TCP layer, or a test).
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  virtual void send_segment(const FourTuple& tuple, const wire::TcpRepr& seg) = 0;
  virtual void on_state_change(Connection& c, TcpState from, TcpState to, std::string_view why) = 0;
  // Readiness changed (readable, writable, connected, closed) or output is due.
  virtual void on_activity(Connection& c) = 0;
  // RFC 5961 §7: the host-wide budget of challenge ACKs; false means this
  // one must not be sent.
  virtual bool allow_challenge_ack(Instant now) = 0;
  // Where the send and receive buffers' blocks come from (nullptr: the heap).
  virtual BufferPool* buffer_pool() { return nullptr; }
  // The most TCP payload one segment may carry when the device below cuts
  // it into MSS-sized wire segments itself (segmentation offload, Linux's
  // gso_max_size less the headers); 0 without offload. The MSS on the wire
  // stays the path's.
  virtual std::uint32_t offload_payload_limit() const { return 0; }
  // Where a payload that wraps around a send buffer's end is gathered.
  // send_segment() copies it into the frame before returning, so one per
  // host serves every connection (a buffer per connection kept up to 64 KiB
  // on each connection that ever wrapped).
  std::vector<std::uint8_t>& payload_scratch() { return payload_scratch_; }

 private:
  std::vector<std::uint8_t> payload_scratch_;
};

// The few TcpConfig settings a user may change on one open connection (the
// rest are shared, so a connection does not carry its own copy of them all).
struct ConnectionTunables {
  explicit ConnectionTunables(const TcpConfig& c)
      : keepalive_time(c.keepalive_time),
        keepalive_interval(c.keepalive_interval),
        keepalive_probes(c.keepalive_probes),
        keepalive(c.keepalive),
        nodelay(c.nodelay),
        congestion(c.congestion) {}
  Duration keepalive_time;
  Duration keepalive_interval;
  int keepalive_probes;
  bool keepalive;
  bool nodelay;
  CongestionAlgorithm congestion;
};

// What the listener learned during a passive open.
struct HandshakeResult {
  SeqNum iss;
  SeqNum irs;
  std::uint16_t peer_mss = 536;
  bool wscale_ok = false;
  std::uint8_t snd_wscale = 0;       // the peer's shift
  std::uint8_t rcv_wscale = 0;       // ours
  std::uint32_t peer_window = 0;     // from the completing ACK, already scaled
  std::optional<Duration> rtt;       // SYN-ACK to ACK, when not retransmitted
  bool sack_ok = false;              // both SYNs carried SACK-permitted (RFC 2018 §2)
  bool ts_ok = false;                // both SYNs carried timestamps (RFC 7323 §3.2)
  std::uint32_t ts_recent = 0;       // the peer's latest TSval
  std::uint32_t ts_offset = 0;       // added to our millisecond clock for TSval
  std::uint16_t offered_window = 0;  // our SYN-ACK's window (0: the buffer's, up to 65535)
};

struct ConnectionStats {
  std::uint64_t segments_sent = 0;
  std::uint64_t segments_received = 0;
  std::uint64_t bytes_sent = 0;  // payload bytes handed to the network, first time
  std::uint64_t bytes_acked = 0;
  std::uint64_t bytes_received = 0;       // in-order payload bytes accepted
  std::uint64_t retransmits = 0;          // segments sent again (any reason)
  std::uint64_t bytes_retransmitted = 0;  // payload bytes sent again
  std::uint64_t timeouts = 0;
  std::uint64_t fast_retransmits = 0;  // recoveries entered on duplicate ACKs / SACK
  std::uint64_t bytes_sacked = 0;      // bytes the peer SACKed (first report)
  std::uint64_t dsacks_received = 0;   // D-SACK blocks seen (RFC 2883)
  std::uint64_t dsacks_sent = 0;
  std::uint64_t out_of_order_segments = 0;  // received past a gap
  std::uint64_t reordering = 3;    // largest reordering seen, in segments (ss "reordering")
  std::uint64_t delayed_acks = 0;  // ACKs sent by the delayed-ACK timer
  std::uint64_t keepalive_probes = 0;
  std::uint64_t spurious_retransmits = 0;   // undone by Eifel detection (RFC 3522)
  std::uint64_t loss_probes = 0;            // tail loss probes sent (RFC 8985 §7)
  std::uint64_t loss_probe_recoveries = 0;  // probes that repaired a loss (window cut)
  std::uint64_t paws_rejected = 0;          // old duplicates dropped by PAWS (RFC 7323 §5)
  std::uint64_t challenge_acks = 0;         // sent for RST, SYN or bad ACK (RFC 5961)
  std::uint64_t acks_rate_limited = 0;      // answers to invalid segments not sent (RFC 5961 §7)
  // Segments whose bytes (some or all) were dropped though in the window:
  // the stack's buffer budget had no room (Linux's TCPRcvQDrop).
  std::uint64_t receive_memory_drops = 0;
};

// A snapshot like Linux's struct tcp_info (ss -ti).
struct TcpInfo {
  TcpState state = TcpState::Closed;
  std::string_view congestion;  // "cubic" or "reno"
  Duration srtt{0};
  Duration rttvar{0};
  Duration rto{0};
  std::uint32_t snd_mss = 0;
  std::uint32_t rcv_mss = 0;
  std::uint32_t cwnd = 0;  // bytes
  std::uint32_t ssthresh = 0;
  std::uint32_t snd_wnd = 0;
  std::uint32_t rcv_wnd = 0;
  std::uint32_t bytes_in_flight = 0;
  std::uint32_t sacked_now = 0;  // bytes currently SACKed above SND.UNA
  bool in_recovery = false;
  bool sack = false;
  bool timestamps = false;
  std::uint8_t snd_wscale = 0;
  std::uint8_t rcv_wscale = 0;
  std::size_t snd_buf_memory = 0;  // buffer storage allocated now (ss -m)
  std::size_t rcv_buf_memory = 0;
  ConnectionStats stats;
};

class Connection {
 public:
  // `cfg` must outlive the connection (the TCP layer interns it).
  Connection(ConnectionHost& host, const TcpConfig& cfg, FourTuple tuple);

  // --- opening -----------------------------------------------------------
  // Active open: choose `iss`, send SYN, enter SYN-SENT. `our_mss` comes from
  // the device MTU.
  void open_active(Instant now, SeqNum iss, std::uint16_t our_mss, std::uint32_t ts_offset = 0);
  // Passive open completed by a listener: enter ESTABLISHED directly.
  void open_established(Instant now, const HandshakeResult& h, std::uint16_t our_mss);

  // --- events from the network and the clock ------------------------------
  void on_segment(Instant now, const wire::TcpRepr& seg);
  void on_timer(Instant now);
  Instant next_deadline() const { return timers_.next(); }
  // Emits whatever is due: SYN, data, FIN, ACK, RST.
  void output(Instant now);

  // --- user calls (RFC 9293 §3.10.1-3.10.6) -------------------------------
  // Queues bytes; returns how many fit in the send buffer (0 when full or when
  // the write side is closed).
  std::size_t send(std::span<const std::uint8_t> data);
  // Zero-copy sending: send-buffer space in place for up to `want` bytes
  // (empty when full or when the write side is closed; may be shorter when
  // the buffer wraps), then send_commit() the bytes written there.
  std::span<std::uint8_t> send_view(std::size_t want);
  std::size_t send_commit(std::size_t n);
  // Moves received bytes out; 0 with at_eof() means the peer closed.
  std::size_t recv(std::span<std::uint8_t> out);
  // Zero-copy reading: the next readable bytes in place (possibly fewer than
  // readable_bytes() when the buffer wraps), then consume() what was used.
  std::span<const std::uint8_t> recv_view() const { return rcv_buf_.front_view(); }
  std::size_t consume(std::size_t n);
  void shutdown_write(Instant now);  // half-close: FIN after queued data
  void close(Instant now);           // both directions; RST if data is unread
  void abort(Instant now);           // RST now

  // --- queries -------------------------------------------------------------
  TcpState state() const { return state_; }
  ConnError error() const { return error_; }
  const FourTuple& tuple() const { return tuple_; }
  // The configuration it was opened with (shared, see TcpLayer::intern);
  // the settings a user may change per connection are in tunables().
  const TcpConfig& config() const { return *cfg_; }
  const ConnectionTunables& tunables() const { return tun_; }
  const SendState& snd() const { return snd_; }
  const RecvState& rcv() const { return rcv_; }
  const TimerSet& timers() const { return timers_; }
  const ConnectionStats& stats() const { return stats_; }
  const RttEstimator& rtt() const { return rtt_; }
  const CongestionControl& congestion() const { return cc_; }
  const SackScoreboard& scoreboard() const { return scoreboard_; }
  const Rack& rack() const { return rack_; }
  bool in_recovery() const { return in_recovery_; }
  TcpInfo info() const;

  // --- per-connection options (setsockopt) --------------------------------
  void set_nodelay(bool on) { tun_.nodelay = on; }
  void set_congestion(CongestionAlgorithm a);
  // SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT.
  void set_keepalive(Instant now, bool on, Duration idle, Duration interval, int probes);
  std::size_t readable_bytes() const { return rcv_buf_.size(); }
  std::size_t send_space() const { return write_closed_ ? 0 : snd_buf_.storable(); }
  std::size_t unsent_or_unacked() const { return snd_buf_.size(); }
  bool at_eof() const { return rcv_.fin_received && rcv_buf_.empty(); }
  bool is_connected() const { return is_synchronized(state_) || state_ == TcpState::SynReceived; }
  bool is_closed() const { return state_ == TcpState::Closed || state_ == TcpState::TimeWait; }
  bool write_closed() const { return write_closed_; }
  bool user_closed() const { return user_closed_; }
  bool retransmitted_syn() const { return syn_retransmits_ > 0; }
  bool sack_enabled() const { return sack_ok_; }
  bool timestamps_enabled() const { return ts_ok_; }
  std::uint32_t ts_recent() const { return ts_recent_; }
  std::uint32_t ts_offset() const { return ts_offset_; }

  // Owner bookkeeping (the TCP layer): intrusive flags, no allocation.
  bool dirty = false;                 // on the layer's output list
  bool user_attached = false;         // a handle refers to this connection
  bool in_accept_queue = false;       // waiting in a listener's accept queue
  bool notify = false;                // on the layer's user-notification list
  Instant indexed_deadline = kNever;  // this connection's key in the layer's timer index
  std::size_t timer_slot = static_cast<std::size_t>(-1);  // its place there (DeadlineHeap)

 private:
  // connection_input.cpp
  void on_segment_syn_sent(Instant now, const wire::TcpRepr& seg);
  bool segment_acceptable(const wire::TcpRepr& seg) const;
  void process_rst(const wire::TcpRepr& seg);
  bool ack_acceptable(const wire::TcpRepr& seg);
  bool process_ack(Instant now, const wire::TcpRepr& seg);
  void process_text(const wire::TcpRepr& seg);
  void process_fin(SeqNum fin_seq);
  bool update_window(const wire::TcpRepr& seg);
  void on_duplicate_ack(Instant now);
  void enter_recovery(Instant now);
  void remember_for_undo();
  bool spurious_retransmission(const wire::TcpRepr& seg);
  void on_new_ack(Instant now, std::uint32_t acked);
  void note_received_segment(Instant now);
  void note_reordering(SeqNum high_before, SeqNum arrived_late);
  void take_rtt_sample(Instant now, const wire::TcpRepr& seg);
  bool paws_reject(Instant now, const wire::TcpRepr& seg);
  void update_ts_recent(Instant now, const wire::TcpRepr& seg);

  // connection_output.cpp
  void emit(std::uint8_t flags, SeqNum seq, std::span<const std::uint8_t> payload,
            bool with_syn_options);
  void send_ack_now();
  void schedule_ack(bool immediately);
  // connection_acks.cpp: ACKs answering invalid segments, rate limited
  // (RFC 5961 §7, Linux's tcp_oow_rate_limited and challenge-ACK limit).
  void send_oow_ack(const wire::TcpRepr& seg);
  void send_challenge_ack(const wire::TcpRepr& seg);
  bool oow_rate_limited(const wire::TcpRepr& seg, bool exempt_data);
  void fill_sack_blocks(wire::TcpOptions& o, std::size_t payload_len);
  // What the peer lets a segment carry, options included (its MSS or ours,
  // whichever is smaller; RFC 9293 §3.7.1, RFC 6691).
  std::uint32_t segment_budget() const { return snd_.mss + (ts_ok_ ? 12u : 0u); }
  // SACK option bytes an ACK would carry now (0 when nothing is to report).
  std::uint32_t sack_option_len() const;
  // Payload of a full data segment now: the MSS less the SACK blocks still
  // to report, so data segments keep them (RFC 2018 §4, Linux's
  // tcp_current_mss).
  std::uint32_t data_mss() const;
  // The longest payload send_data_segment() may put in one segment: one
  // MSS, or whole MSS-sized pieces up to the device's offload limit.
  std::uint32_t send_segment_limit(std::uint32_t mss) const;
  void remember_sack_anchor(SeqNum seq);
  bool retransmit_segment(Instant now, SeqNum seq, std::uint32_t max_len);
  bool send_recovery_segment(Instant now);
  std::uint32_t pipe() const;
  void send_rst(SeqNum seq);  // <SEQ=seq><CTL=RST>: answers an unacceptable segment
  void send_active_reset();
  bool send_data_segment(Instant now);
  std::uint16_t advertised_window(bool syn = false);
  // How far the right edge must be able to move before it is moved
  // (receiver SWS avoidance, RFC 9293 §3.8.6.2.2): min(MSS, half the buffer
  // the budget lets this one reach), so a buffer held to its first block
  // under the budget still reopens its window.
  std::uint32_t window_update_threshold() const {
    std::size_t reachable = rcv_buf_.size() + rcv_buf_.storable();
    return static_cast<std::uint32_t>(std::min<std::size_t>(our_mss_, reachable / 2));
  }
  std::span<const std::uint8_t> payload_at(std::size_t offset, std::size_t len);
  std::uint32_t in_flight() const { return static_cast<std::uint32_t>(snd_.nxt - snd_.una); }
  void arm_retransmit(Instant now);
  void arm_persist(Instant now);  // zero window, nothing in flight, something to send
  Duration persist_interval() const;
  // Whether the sequence number `s` was sent before (a FIN there is a
  // retransmission, not new).
  bool seq_before_max(SeqNum s) const { return s < snd_.max; }
  bool has_unsent() const {
    return snd_buf_.size() > static_cast<std::size_t>(snd_.nxt - snd_buf_seq_) ||
           (snd_.fin_queued && !snd_.fin_sent);
  }

  // connection_timers.cpp
  void on_retransmit_timeout(Instant now);
  void on_persist_timeout(Instant now);
  // connection_loss_probe.cpp
  void arm_loss_probe(Instant now);
  void on_loss_probe_timeout(Instant now);
  void on_loss_probe_ack(Instant now, SeqNum ack, bool dsack, bool progress);
  void on_keepalive_timeout(Instant now);
  void arm_keepalive(Instant now);
  // connection_rack.cpp
  bool rack_enabled() const { return sack_ok_ && cfg_->loss_detection == LossDetection::Rack; }
  Rack::Context rack_context() const;
  void rack_on_ack(Instant now, const wire::TcpRepr& seg, std::optional<SeqNum> lowest_new,
                   bool dsack);
  void on_rack_timeout(Instant now);
  void apply_rack(Instant now, const Rack::Verdict& v);
  bool send_rack_retransmission(Instant now);

  void after_read();
  void set_state(TcpState s, std::string_view why = {});
  void enter_closed(ConnError e, std::string_view why);
  void activity() { host_.on_activity(*this); }
  SeqNum send_buffer_end() const {
    return snd_buf_seq_ + static_cast<std::uint32_t>(snd_buf_.size());
  }

  ConnectionHost& host_;
  const TcpConfig* cfg_;  // shared by every connection opened with it
  ConnectionTunables tun_;
  FourTuple tuple_;
  TcpState state_ = TcpState::Closed;
  ConnError error_ = ConnError::None;
  SendState snd_;
  RecvState rcv_;
  TimerSet timers_;
  RttEstimator rtt_;
  CongestionControl cc_;
  SackScoreboard scoreboard_;
  Rack rack_;  // RFC 8985: per-segment transmit times, with SACK
  ConnectionStats stats_;

  RingBuffer snd_buf_;  // bytes from snd_buf_seq_ on: unacknowledged, then unsent
  SeqNum snd_buf_seq_;  // sequence number of the first byte in snd_buf_
  RingBuffer rcv_buf_;  // in-order bytes waiting for the user; out-of-order past the end
  Assembler ooo_;       // which out-of-order ranges sit past rcv_buf_'s end

  std::uint16_t our_mss_ = 536;
  bool wscale_ok_ = false;
  bool sack_ok_ = false;
  bool ts_ok_ = false;                   // timestamps on every segment (RFC 7323 §3.2)
  std::uint32_t ts_offset_ = 0;          // our TSval = ts_clock(now, ts_offset_)
  std::uint32_t ts_recent_ = 0;          // TS.Recent (RFC 7323 §4.3)
  Instant ts_recent_stamp_{};            // when TS.Recent was set (PAWS 24-day rule, §5.5)
  SeqNum last_ack_sent_;                 // Last.ACK.sent (RFC 7323 §4.3)
  SeqNum last_small_end_;                // end of the last short segment sent (Nagle/Minshall)
  Instant now_{};                        // instant of the call being handled (for TSval)
  bool ack_pending_ = false;             // an ACK is owed
  bool ack_now_ = false;                 // ... and must not be delayed
  int quickack_ = 0;                     // segments still ACKed at once (Linux's quick-ACK mode)
  static constexpr int kQuickAcks = 16;  // Linux TCP_MAX_QUICKACKS
  std::optional<Instant> last_data_at_;  // when in-order data last arrived
  std::uint32_t rcv_mss_ = 536;  // largest segment the peer has sent (for the 2-segment rule)
  // RFC 2018 §4: SACK blocks by recency, each named by a byte it contains.
  std::array<SeqNum, 4> sack_anchors_{};
  std::uint8_t sack_anchor_count_ = 0;
  std::optional<SeqRange> dsack_;  // RFC 2883: duplicate to report in the next ACK
  // Loss recovery (RFC 6675 with SACK, RFC 6582 NewReno without).
  bool in_recovery_ = false;
  SeqNum recover_;   // RecoveryPoint / "recover": snd_.max when recovery began
  SeqNum high_rxt_;  // HighRxt: end of the last hole retransmitted
  int dupacks_ = 0;
  // Reordering seen, in segments: DupThresh for this connection (Linux's
  // tp->reordering, initially 3, at most 300).
  int reordering_ = SackScoreboard::kDupThresh;
  RateReduction prr_;  // RFC 6937: the window during SACK recovery
  // RFC 8985 §7: SND.MAX when a loss probe went out (TLP.end_seq), and
  // whether it was a retransmission (only then can it have repaired a loss).
  std::optional<SeqNum> tlp_end_;
  SeqNum tlp_data_end_;  // end of the probe's payload: SACKed means it arrived
  bool tlp_retransmitted_ = false;
  // Recovery entered because the probe was SACKed: every hole below a SACKed
  // block counts as lost for this episode (DupThresh 1).
  bool probe_marked_lost_ = false;
  int loss_threshold() const { return probe_marked_lost_ ? 1 : reordering_; }
  std::uint32_t probe_allowance_ = 0;  // bytes a probe may send past cwnd
  int keepalive_probes_sent_ = 0;
  Instant last_oow_ack_at_ = kNever;  // the last rate-limited answer (RFC 5961 §7)
  // Eifel detection (RFC 3522): the TSval of the first retransmission of a
  // loss episode and the window before it, restored if the ACK shows the
  // original arrived (RFC 4015 response).
  std::optional<std::uint32_t> undo_tsval_;
  std::uint32_t undo_cwnd_ = 0;
  std::uint32_t undo_ssthresh_ = 0;
  bool rst_pending_ = false;
  SeqNum rst_seq_;
  bool write_closed_ = false;  // shutdown_write() or close() called
  bool user_closed_ = false;   // close() called: we read nothing more
  int syn_retransmits_ = 0;
  int backoff_ = 0;  // consecutive RTO expiries
  int persist_backoff_ = 0;
  // Zero-window probes since the peer last answered (Linux's icsk_probes_out):
  // tcp_retries2 of them unanswered end the connection.
  int probes_out_ = 0;
  Instant last_ack_at_{};  // when an acceptable ACK last arrived (Linux's rcv_tstamp)
  // Karn's rule: time one segment at a time, never a retransmitted one.
  std::optional<SeqNum> timed_seq_;
  Instant timed_at_{};
};

}  // namespace synack::tcp
