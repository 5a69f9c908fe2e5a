#include "dns/resolve_error.hpp"

namespace synack::dns {

std::string_view to_string(ResolveError e) {
  switch (e) {
    case ResolveError::None:
      return "ok";
    case ResolveError::NxDomain:
      return "no such name (NXDOMAIN)";
    case ResolveError::NoAddress:
      return "no address for the name (NODATA)";
    case ResolveError::TimedOut:
      return "timed out";
    case ResolveError::ServerFailure:
      return "server failure (SERVFAIL)";
    case ResolveError::Refused:
      return "refused by the server (REFUSED)";
    case ResolveError::Unreachable:
      return "server unreachable (ICMP port unreachable)";
    case ResolveError::Malformed:
      return "malformed answer";
    case ResolveError::Truncated:
      return "answer truncated (needs TCP)";
    case ResolveError::BadName:
      return "bad name";
    case ResolveError::NotImplemented:
      return "not implemented by the server (NOTIMP)";
  }
  return "?";
}

}  // namespace synack::dns
