#pragma once
// What `--ddns SPEC` names, and the pure parts of the two protocols:
//
//   rfc2136:SERVER,ZONE,NAME,KEYFILE
//       SERVER an IPv4 address (optionally :PORT, default 53); ZONE and
//       NAME domain names (a final dot is added when missing; NAME must lie
//       in ZONE); KEYFILE exactly what BIND's `tsig-keygen -a hmac-sha256
//       KEYNAME` writes:
//           key "KEYNAME" {
//                   algorithm hmac-sha256;
//                   secret "BASE64";
//           };
//       (comments # // and /* */ allowed; the first key statement is used).
//   dyndns2:URL,NAME,CREDENTIALS
//       URL http://IP[:PORT][/PATH] or https://... with an IPv4 literal host
//       (default path /nic/update); NAME the host name to update;
//       CREDENTIALS either USER:PASSWORD (the password may contain ':' and
//       ','), or @FILE, a file whose first line is USER:PASSWORD (keeps the
//       password out of the process list).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apps/ddns/ddns_schedule.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::apps::ddns {

struct TsigKey {
  std::string name;       // "ddns-key." (with the final dot)
  std::string algorithm;  // "hmac-sha256"
  std::string secret;     // base64, as in the file
};

// Parses the text of a BIND key file; nullopt with `err` set on anything
// else, or when the algorithm is not hmac-sha256 or the secret not base64.
std::optional<TsigKey> parse_tsig_key_file(std::string_view text, std::string* err);

struct Rfc2136Spec {
  wire::Ipv4Address server;
  std::uint16_t port = 53;
  std::string zone;  // "example.test."
  std::string name;  // "home.example.test."
  std::string key_file;
  TsigKey key;
  std::uint32_t ttl = 60;  // of the A record added
};

struct Dyndns2Spec {
  std::string url;  // "http://10.9.0.1:8245/nic/update"
  std::string name;
  std::string user;
  std::string password;
};

struct DdnsSpec {
  enum class Kind : std::uint8_t { Rfc2136, Dyndns2 };
  Kind kind = Kind::Rfc2136;
  Rfc2136Spec rfc2136;
  Dyndns2Spec dyndns2;

  // Parses SPEC and reads the files it names (key file, credentials file).
  static std::optional<DdnsSpec> parse(std::string_view text, std::string* err);
  // "rfc2136 home.example.test. at 10.9.9.53" / "dyndns2 home.example.test at
  // http://10.9.0.1:8245/nic/update"
  std::string describe() const;
  const std::string& name() const { return kind == Kind::Rfc2136 ? rfc2136.name : dyndns2.name; }
};

// A domain name with a final dot; nullopt when it is not a valid host name
// (labels of 1-63 letters, digits, '-' or '_', 255 bytes in all).
std::optional<std::string> normalize_fqdn(std::string_view name);

// The dyndns2 request target: PATH?hostname=NAME&myip=ADDR (URL-encoded).
std::string dyndns2_target(std::string_view path, std::string_view name, wire::Ipv4Address addr);
// "Basic " + base64(USER:PASSWORD).
std::string basic_auth(std::string_view user, std::string_view password);
std::string base64(std::string_view bytes);

// How ddclient reads a dyndns2 answer: the first word of the body (after
// the HTTP status). good, nochg: success; badauth, nohost, notfqdn,
// !donator, badagent, abuse, numhost, !yours, !active, !agent: fatal (the
// user must act; ddclient also stops); 911, dnserr: transient, and 911
// asks for 30 minutes; "wait N[smh]" (an older variant) a transient with
// that retry-after; HTTP 401 and 403: badauth; other HTTP errors
// transient, with Retry-After (seconds) honoured. `retry_after_header` is
// the Retry-After header's value, if any. `sent`, the address the request
// carried: "good 127.0.0.1" for any other address is Dyn's way of saying
// the request was ignored (an agent that breaks the protocol): fatal.
UpdateResult parse_dyndns2_answer(int http_status, std::string_view body,
                                  std::optional<std::string_view> retry_after_header,
                                  std::optional<wire::Ipv4Address> sent = std::nullopt);

}  // namespace synack::apps::ddns
