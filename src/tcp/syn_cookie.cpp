#include "tcp/syn_cookie.hpp"

#include "wire/bytes.hpp"

namespace synack::tcp {

namespace {
constexpr std::uint32_t kCookieBits = 24;
constexpr std::uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr std::uint32_t kWscaleNone = 0xf;  // low 4 bits: no window scaling
constexpr std::uint32_t kSackBit = 1u << 4;
constexpr std::uint32_t kEcnBit = 1u << 5;

std::array<std::uint8_t, 16> tuple_bytes(const FourTuple& t, std::uint32_t extra) {
  std::array<std::uint8_t, 16> b{};
  wire::store_be32(b, 0, t.local_addr.to_u32());
  wire::store_be32(b, 4, t.remote_addr.to_u32());
  wire::store_be16(b, 8, t.local_port);
  wire::store_be16(b, 10, t.remote_port);
  wire::store_be32(b, 12, extra);
  return b;
}
}  // namespace

std::uint8_t SynCookie::mss_index(std::uint16_t mss) {
  std::uint8_t i = kMssTable.size() - 1;
  while (i > 0 && mss < kMssTable[i])
    --i;
  return i;
}

SipKey SynCookie::period_key(std::uint32_t counter) const {
  std::size_t slot = counter & 1;
  if (key_cached_[slot] && key_cache_[slot].first == counter) return key_cache_[slot].second;
  // Secret rotation: each period's key is a keyed hash of the counter, so
  // outputs seen in one minute tell nothing about the next minute's key.
  std::array<std::uint8_t, 5> in{};
  wire::store_be32(in, 0, counter);
  in[4] = 0;
  std::uint64_t k0 = siphash24(secret_, in);
  in[4] = 1;
  std::uint64_t k1 = siphash24(secret_, in);
  key_cache_[slot] = {counter, SipKey{k0, k1}};
  key_cached_[slot] = true;
  return key_cache_[slot].second;
}

std::uint32_t SynCookie::tuple_hash(const FourTuple& tuple) const {
  return static_cast<std::uint32_t>(siphash24(secret_, tuple_bytes(tuple, 0xffffffffu)));
}

std::uint32_t SynCookie::counter_hash(const FourTuple& tuple, std::uint32_t counter) const {
  return static_cast<std::uint32_t>(siphash24(period_key(counter), tuple_bytes(tuple, counter)));
}

std::uint32_t SynCookie::encode(const FourTuple& tuple, SeqNum client_isn, std::uint8_t mss_index,
                                std::uint32_t counter) const {
  // RFC 4987 §3.6: the top bits carry the time counter, the low bits a MAC
  // over the connection plus the encoded MSS.
  return tuple_hash(tuple) + client_isn.raw() + (counter << kCookieBits) +
         ((counter_hash(tuple, counter) + mss_index) & kCookieMask);
}

std::optional<std::uint8_t> SynCookie::decode(const FourTuple& tuple, SeqNum client_isn,
                                              std::uint32_t cookie,
                                              std::uint32_t counter_now) const {
  std::uint32_t rest = cookie - tuple_hash(tuple) - client_isn.raw();
  std::uint32_t issued = (counter_now - (rest >> kCookieBits)) & 0xff;
  if (issued >= kMaxAge) return std::nullopt;  // stale (or forged)
  std::uint32_t counter = counter_now - issued;
  std::uint32_t index = (rest - counter_hash(tuple, counter)) & kCookieMask;
  if (index >= kMssTable.size()) return std::nullopt;
  return static_cast<std::uint8_t>(index);
}

std::uint32_t SynCookie::encode_tsval(std::uint32_t ts_now, const CookieTsOptions& o) {
  std::uint32_t bits = o.wscale_ok ? (o.snd_wscale & kWscaleNone) : kWscaleNone;
  if (o.sack_ok) bits |= kSackBit;
  if (o.ecn_ok) bits |= kEcnBit;
  std::uint32_t ts = (ts_now >> kTsBits) << kTsBits | bits;
  // Never ahead of the clock (RFC 7323 §5.4 wants TSval monotonic): step back
  // one 64 ms slot if the options pushed it past ts_now.
  if (static_cast<std::int32_t>(ts - ts_now) > 0) ts -= 1u << kTsBits;
  return ts;
}

CookieTsOptions SynCookie::decode_tsecr(std::uint32_t tsecr) {
  CookieTsOptions o;
  o.sack_ok = (tsecr & kSackBit) != 0;
  o.ecn_ok = (tsecr & kEcnBit) != 0;
  std::uint32_t w = tsecr & kWscaleNone;
  if (w == kWscaleNone) return o;
  o.wscale_ok = true;
  o.snd_wscale = static_cast<std::uint8_t>(w);
  return o;
}

}  // namespace synack::tcp
