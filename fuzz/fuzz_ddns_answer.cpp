// What a dynamic DNS server (or a key file) can send synack: byte 0 picks
//   0: a BIND key file (parse_tsig_key_file);
//   1: a dyndns2 answer body, HTTP status 200 + byte 1, Retry-After from
//      the text after a NUL if there is one (parse_dyndns2_answer);
//   2: an RFC 2136 answer to a signed UPDATE (read_rfc2136_answer, ldns's
//      parser and TSIG verification); bytes 1-2 are replaced by the
//      request's id when byte 1 is odd, to get past the id check.
// Invariants: no crash; a fatal or transient result always has a detail.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apps/ddns/ddns_spec.hpp"
#include "apps/ddns/rfc2136_message.hpp"

using namespace synack;
using namespace synack::apps::ddns;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

const Rfc2136Spec& spec() {
  static const Rfc2136Spec s = [] {
    Rfc2136Spec r;
    r.server = wire::Ipv4Address(10, 0, 0, 53);
    r.zone = "example.test.";
    r.name = "home.example.test.";
    std::string err;
    r.key = *parse_tsig_key_file(
        "key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };", &err);
    return r;
  }();
  return s;
}

const Rfc2136Request& request() {
  static const Rfc2136Request r = [] {
    std::string err;
    return *build_rfc2136_update(spec(), wire::Ipv4Address(10, 0, 0, 7), 0x1234, &err);
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      std::string err;
      auto k = parse_tsig_key_file(text, &err);
      check(k.has_value() || !err.empty());
      break;
    }
    case 1: {
      int status = 200 + (size > 1 ? data[1] : 0) - 100;
      auto nul = text.find('\0');
      std::optional<std::string_view> retry;
      if (nul != std::string_view::npos) retry = text.substr(nul + 1);
      UpdateResult r = parse_dyndns2_answer(status, text.substr(0, nul), retry);
      if (!r.success()) check(!r.detail.empty());
      break;
    }
    case 2: {
      std::vector<std::uint8_t> msg(data + 1, data + size);
      if (msg.size() >= 3 && (msg[0] & 1)) {
        msg[0] = 0x12;
        msg[1] = 0x34;
      }
      Rfc2136Answer a = read_rfc2136_answer(spec(), request(), msg);
      if (a.matches && !a.truncated) check(!a.result.detail.empty());
      break;
    }
  }
  return 0;
}
