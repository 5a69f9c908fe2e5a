#include "wire/error.hpp"

namespace synack::wire {

std::string_view to_string(WireError e) {
  switch (e) {
    case WireError::Truncated:
      return "truncated";
    case WireError::BadVersion:
      return "bad IP version";
    case WireError::BadHeaderLength:
      return "bad header length";
    case WireError::BadTotalLength:
      return "bad total length";
    case WireError::BadChecksum:
      return "bad checksum";
    case WireError::Fragmented:
      return "fragmented";
    case WireError::BadDataOffset:
      return "bad data offset";
    case WireError::BadOption:
      return "bad option";
    case WireError::Unsupported:
      return "unsupported";
    case WireError::BadLength:
      return "bad UDP length";
  }
  return "unknown";
}

}  // namespace synack::wire
