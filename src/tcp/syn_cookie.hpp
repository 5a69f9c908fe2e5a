#pragma once
// SYN cookies (RFC 4987 §3.6) on Linux's design: when the listener keeps no
// state for a SYN, the SYN-ACK's sequence number itself encodes what the
// handshake needs, so the final ACK (ack = cookie + 1) can rebuild it.
//
//   cookie = H1(4-tuple) + client ISN + (counter << 24)
//          + ((H2(4-tuple, counter) + mss index) mod 2^24)
//
// H1 and H2 are SipHash-2-4. The counter ticks once a minute and H2's key is
// derived from the master secret and the counter, so the secret rotates every
// period; a cookie is accepted in its own period and the next one (two
// periods). The MSS is one of four values (2 bits). Window scale, SACK and ECN
// ride in the low 6 bits of our TSval when the peer uses timestamps; without
// timestamps a cookie carries the MSS alone.
#include <array>
#include <cstdint>
#include <optional>

#include "core/seq_num.hpp"
#include "core/siphash.hpp"
#include "core/time.hpp"
#include "tcp/four_tuple.hpp"

namespace synack::tcp {

// What the TSval of a cookie SYN-ACK carries (Linux's TS_OPT_* bits).
struct CookieTsOptions {
  bool wscale_ok = false;
  std::uint8_t snd_wscale = 0;  // the peer's shift, 0..14
  bool sack_ok = false;
  bool ecn_ok = false;
  bool operator==(const CookieTsOptions&) const = default;
};

class SynCookie {
 public:
  // The MSS values a cookie can carry; a peer's MSS rounds down to one of
  // them (below 536 still gives 536, the RFC 9293 §3.7.1 default).
  static constexpr std::array<std::uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
  static constexpr Duration kPeriod = std::chrono::seconds(60);
  static constexpr std::uint32_t kMaxAge = 2;  // periods a cookie stays valid
  static constexpr int kTsBits = 6;            // low TSval bits for options

  explicit SynCookie(SipKey secret) : secret_(secret) {}

  // The minute counter at `now`.
  static std::uint32_t counter(Instant now) {
    return static_cast<std::uint32_t>(to_us(now) / kPeriod.count());
  }
  static std::uint8_t mss_index(std::uint16_t mss);

  std::uint32_t encode(const FourTuple& tuple, SeqNum client_isn, std::uint8_t mss_index,
                       std::uint32_t counter) const;
  // The MSS index the cookie carries, or nothing when it was not made by us
  // for this tuple and client ISN within the last kMaxAge periods.
  std::optional<std::uint8_t> decode(const FourTuple& tuple, SeqNum client_isn,
                                     std::uint32_t cookie, std::uint32_t counter_now) const;

  // Our TSval for a cookie SYN-ACK: `ts_now` with its low 6 bits replaced by
  // the options, never above `ts_now` so our clock does not run backwards
  // when the connection later sends ts_now-based values.
  static std::uint32_t encode_tsval(std::uint32_t ts_now, const CookieTsOptions& o);
  // The options echoed back in the ACK's TSecr. Four bits hold shifts 0..14
  // (RFC 7323 §2.3) and 15 for "no window scaling", so every value decodes.
  static CookieTsOptions decode_tsecr(std::uint32_t tsecr);

 private:
  std::uint32_t tuple_hash(const FourTuple& tuple) const;
  std::uint32_t counter_hash(const FourTuple& tuple, std::uint32_t counter) const;
  SipKey period_key(std::uint32_t counter) const;

  SipKey secret_;
  // The two most recent per-period keys (derived on demand, reused by every
  // cookie of that minute).
  mutable std::array<std::pair<std::uint32_t, SipKey>, 2> key_cache_{};
  mutable std::array<bool, 2> key_cached_{};
};

}  // namespace synack::tcp
