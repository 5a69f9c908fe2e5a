#pragma once
// Every way a name lookup can fail, as a value.
#include <cstdint>
#include <string_view>

namespace synack::dns {

enum class ResolveError : std::uint8_t {
  None,
  NxDomain,        // RCODE 3: the name does not exist (RFC 1035 §4.1.1)
  NoAddress,       // the name exists but has no A record ("NODATA", RFC 2308 §2.2)
  TimedOut,        // no answer after every retry
  ServerFailure,   // RCODE 2, or an RCODE we do not know
  Refused,         // RCODE 5: the server will not answer us
  Unreachable,     // ICMP port unreachable from the server: nothing listens on port 53
  Malformed,       // an answer to our query that cannot be parsed
  Truncated,       // TC set: an A answer over 512 bytes; the resolver asks over UDP only (A
                   // records fit; TCP fallback, RFC 7766, is not built)
  BadName,         // empty, a label over 63 bytes, or a name over 255 bytes
  NotImplemented,  // RCODE 4, NOTIMP: the server does not do this kind of query
};

std::string_view to_string(ResolveError e);

}  // namespace synack::dns
