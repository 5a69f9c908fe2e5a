#pragma once
// Initial sequence numbers per RFC 6528 §3: ISN = M + F(4-tuple, secret), where
// M is a clock ticking every 4 microseconds and F a keyed hash (SipHash).
// Off-path attackers cannot guess it; a reused 4-tuple still gets a fresh,
// larger ISN as time passes.
#include "core/seq_num.hpp"
#include "core/siphash.hpp"
#include "core/time.hpp"
#include "tcp/four_tuple.hpp"

namespace synack::tcp {

class IsnGenerator {
 public:
  explicit IsnGenerator(SipKey key) : key_(key) {}
  SeqNum generate(const FourTuple& tuple, Instant now) const;
  // Per-connection offset for our TSval clock: the same keyed hash over the
  // 4-tuple with a different tweak, so it is stable for a connection and
  // unguessable off path (Linux's secure tsoffset).
  std::uint32_t ts_offset(const FourTuple& tuple) const;

 private:
  SipKey key_;
};

}  // namespace synack::tcp
