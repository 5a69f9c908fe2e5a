#pragma once
// RACK, the time-based loss detector of RFC 8985 §6: a segment is lost once a
// segment sent sufficiently later (by more than the reordering window) has
// been delivered. Each ACK advances RACK.xmit_ts / RACK.end_seq / RACK.rtt to
// the most recently sent segment it delivered; segments sent before that, and
// not delivered within RACK.rtt + RACK.reo_wnd of their own transmission, are
// lost. Those still inside the window wait for the reordering timer (§6.3).
// The reordering window is min_RTT / 4, zero while no reordering was seen and
// the DupThresh rule would already call the loss, and grows with D-SACKs.
// Sans-IO: time is an argument; the caller arms the timer.
#include <cstdint>
#include <optional>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "tcp/sack_scoreboard.hpp"
#include "tcp/sent_segments.hpp"

namespace synack::tcp {

class Rack {
 public:
  // The records' storage comes from `pool` when given (see SentSegments).
  explicit Rack(BufferPool* pool = nullptr) : segs_(pool) {}

  // What an ACK told the sender, after the scoreboard took its SACK blocks.
  struct Ack {
    SeqNum una;                          // SND.UNA after the ACK
    SeqNum snd_nxt;                      // highest sequence number sent (SND.MAX)
    std::optional<SeqNum> lowest_new;    // first newly SACKed byte
    bool dsack = false;                  // the ACK carried a D-SACK block
    std::optional<std::uint32_t> tsecr;  // echoed timestamp, when negotiated
    std::uint32_t ts_offset = 0;         // our TSval = ts_clock(t, ts_offset)
  };
  // How the connection stands: the inputs of RACK_update_reo_wnd.
  struct Context {
    bool in_recovery = false;  // fast recovery (RTO recovery RACK knows itself)
    Duration srtt{0};
    int dupthresh = SackScoreboard::kDupThresh;
  };
  struct Verdict {
    std::uint32_t newly_lost = 0;  // segments marked lost now
    // When set, the reordering timer: due this far ahead, or disarmed (0).
    std::optional<Duration> timer;
  };

  // Every data segment (or FIN) sent, first time or again.
  void on_transmit(SeqNum start, SeqNum end, Instant now);
  // RFC 8985 §6.2 steps 1-5 for one ACK.
  Verdict on_ack(Instant now, const Ack& ack, const SackScoreboard& sb, const Context& ctx);
  // §6.3: the reordering timer expired.
  Verdict on_timeout(Instant now, const Context& ctx);
  // §6.3 RACK_mark_losses_on_RTO; RTO recovery lasts until SND.UNA passes snd_max.
  void on_rto(Instant now, SeqNum snd_max);
  // Fast recovery ended (for §6.2 step 4's reo_wnd_persist).
  void on_recovery_exit();
  // An undone (spurious) recovery: nothing is lost after all (RFC 3522).
  void forget_losses();

  // The first run of lost segments below `limit`, at most `max_len` bytes:
  // what to retransmit next (RFC 6675 NextSeg rule 1, with RACK's marks).
  std::optional<SeqRange> next_lost(SeqNum limit, std::uint32_t max_len) const;
  std::uint32_t lost_bytes() const { return segs_.lost_bytes(); }
  // Whether an ACK up to `ack` echoing `tsecr` names a copy older than the
  // last transmission of some segment it acknowledges: it was elicited by a
  // retransmission after the ACKs of the delivering copy were lost.
  bool echo_predates_retransmission(SeqNum ack, std::uint32_t tsecr, std::uint32_t ts_offset) const;

  Duration reo_wnd() const { return reo_wnd_; }
  Duration rtt() const { return rtt_; }
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  bool reordering_seen() const { return reordering_seen_; }
  int reo_wnd_mult() const { return reo_wnd_mult_; }
  const SentSegments& segments() const { return segs_; }

 private:
  void deliver(Instant now, const SentSegment& s, const Ack& ack);
  void update_reo_wnd(const Ack& ack, const Context& ctx);
  Verdict detect_loss(Instant now);

  SentSegments segs_;
  std::uint32_t sacked_count_ = 0;  // RACK.segs_sacked
  // RACK.xmit_ts / RACK.end_seq: the most recently sent delivered segment.
  bool have_rack_ = false;
  Instant xmit_ts_{};
  SeqNum end_seq_;
  Duration rtt_{0};  // RACK.rtt
  std::optional<Duration> min_rtt_;
  SeqNum fack_;  // RACK.fack: highest sequence number delivered
  bool have_fack_ = false;
  std::optional<SeqNum> rxt_high_;  // end of the highest retransmission: the scan stops there
  bool reordering_seen_ = false;
  Duration reo_wnd_{0};
  int reo_wnd_mult_ = 1;
  int reo_wnd_persist_ = 0;
  std::optional<SeqNum> dsack_round_;
  std::optional<SeqNum> rto_recovery_end_;  // in RTO recovery until SND.UNA reaches this
};

}  // namespace synack::tcp
