#pragma once
// The RFC 2136 UPDATE that sets a name's A record, signed with TSIG
// (RFC 8945, HMAC-SHA256), and the reading of the server's answer, through
// ldns. The update section deletes the whole A RRset of NAME (class ANY,
// RFC 2136 §2.5.2) and adds NAME TTL IN A ADDR, so exactly one A record
// remains. ldns signs with the wall clock's time (TSIG's "time signed"):
// the one clock read in this module, as TSIG requires.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "apps/ddns/ddns_schedule.hpp"
#include "apps/ddns/ddns_spec.hpp"

namespace synack::apps::ddns {

struct Rfc2136Request {
  std::uint16_t id = 0;
  std::vector<std::uint8_t> wire;  // the signed message
  std::vector<std::uint8_t> mac;   // its TSIG MAC rdata (to verify the answer)
};

// The signed UPDATE; nullopt with `err` set when ldns refuses (a bad secret).
std::optional<Rfc2136Request> build_rfc2136_update(const Rfc2136Spec& spec, wire::Ipv4Address addr,
                                                   std::uint16_t id, std::string* err);
// The same without TSIG (for tests that compare bytes).
std::vector<std::uint8_t> build_rfc2136_update_unsigned(const Rfc2136Spec& spec,
                                                        wire::Ipv4Address addr, std::uint16_t id);

struct Rfc2136Answer {
  bool matches = false;    // our answer, to act on: an UPDATE response with our id, verified
  bool truncated = false;  // TC set: ask again over TCP
  std::string ignored;     // why an answer with our id was discarded (unsigned, bad MAC)
  UpdateResult result;
};

// Every answer must carry a TSIG that verifies against our request's MAC
// (RFC 8945 §5.4); one that does not is discarded (`ignored` says why) and
// the caller keeps waiting. The exception is the unsigned NOTAUTH with TSIG
// error BADSIG or BADKEY (§5.3.2): Fatal. Verified answers: NOERROR is Good;
// NOTAUTH with BADTIME is Transient (a clock problem); REFUSED, NOTAUTH,
// NOTZONE, FORMERR, NOTIMP are Fatal (the key, zone or policy must change);
// SERVFAIL and the rest are Transient.
Rfc2136Answer read_rfc2136_answer(const Rfc2136Spec& spec, const Rfc2136Request& req,
                                  std::span<const std::uint8_t> answer);

}  // namespace synack::apps::ddns
