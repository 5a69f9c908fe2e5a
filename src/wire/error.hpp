#pragma once
#include <string_view>

namespace synack::wire {

// Why a packet could not be parsed. Every malformed input maps to one of these.
enum class WireError {
  Truncated,        // fewer bytes than the header claims or needs
  BadVersion,       // IPv4 version field is not 4
  BadHeaderLength,  // IHL < 5 or past the packet
  BadTotalLength,   // total length smaller than the header or past the buffer
  BadChecksum,
  Fragmented,     // fragments are refused for now (MF set or offset != 0)
  BadDataOffset,  // TCP data offset < 5 or past the segment
  BadOption,      // option length 0 or 1, or running past the header
  Unsupported,    // a well-formed packet of a kind we do not handle
  BadLength,      // UDP length field < 8 or past the IP payload (RFC 768)
};

std::string_view to_string(WireError e);

}  // namespace synack::wire
