#include "dns/dns_message.hpp"

#include <ares.h>
#include <ares_dns.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <strings.h>

#include <algorithm>
#include <limits>

namespace synack::dns {

namespace {
constexpr int kHeaderLen = 12;   // RFC 1035 §4.1.1
constexpr int kClassIn = 1;      // RFC 1035 §3.2.4
constexpr int kTypeA = 1;        // RFC 1035 §3.2.2
constexpr int kMaxAnswers = 64;  // A records kept from one answer
enum : unsigned {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5
};

// Frees what c-ares allocated when the scope ends.
struct AresString {
  char* p = nullptr;
  ~AresString() {
    if (p) ares_free_string(p);
  }
};

bool same_name(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '.') a.remove_suffix(1);
  if (!b.empty() && b.back() == '.') b.remove_suffix(1);
  // RFC 4343: DNS names compare case-insensitively (ASCII).
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// RFC 2308 §5: the SOA in the authority section says how long to cache a
// negative answer. c-ares 1.18's ares_parse_soa_reply looks only at the
// answer section; the authority section follows it directly (RFC 1035
// §4.1), so a copy whose header counts the authority records as answers
// lets the library find and parse the SOA there.
std::optional<std::uint32_t> negative_ttl(std::span<const std::uint8_t> msg) {
  std::vector<unsigned char> copy(msg.begin(), msg.end());
  unsigned answers = DNS_HEADER_ANCOUNT(copy.data()) + DNS_HEADER_NSCOUNT(copy.data());
  if (answers > 0xffff) return std::nullopt;
  copy[6] = copy[7] = copy[8] = copy[9] = 0;  // the SET macros OR into the fields
  DNS_HEADER_SET_ANCOUNT(copy.data(), answers);
  ares_soa_reply* soa = nullptr;
  if (ares_parse_soa_reply(copy.data(), static_cast<int>(copy.size()), &soa) != ARES_SUCCESS)
    return std::nullopt;
  std::uint32_t ttl = soa->minttl;
  ares_free_data(soa);
  return ttl;
}
}  // namespace

Result<std::vector<std::uint8_t>, ResolveError> build_a_query(std::string_view name,
                                                              std::uint16_t id) {
  std::string n(name);
  if (n.empty() || n == "." || n.find('\0') != std::string::npos) return ResolveError::BadName;
  unsigned char* buf = nullptr;
  int len = 0;
  int rc = ares_create_query(n.c_str(), kClassIn, kTypeA, id, /*rd=*/1, &buf, &len, 0);
  if (rc != ARES_SUCCESS) return ResolveError::BadName;
  std::vector<std::uint8_t> out(buf, buf + len);
  ares_free_string(buf);
  // RFC 1035 §2.3.4: names are at most 255 octets (c-ares 1.18 checks labels only).
  if (out.size() > kHeaderLen + 255 + 4) return ResolveError::BadName;
  return out;
}

std::optional<std::uint16_t> message_id(std::span<const std::uint8_t> msg) {
  if (msg.size() < kHeaderLen) return std::nullopt;
  return static_cast<std::uint16_t>(DNS_HEADER_QID(msg.data()));
}

std::optional<AResponse> parse_a_response(std::span<const std::uint8_t> msg,
                                          std::string_view name) {
  if (msg.size() < kHeaderLen || msg.size() > std::numeric_limits<int>::max() / 2)
    return std::nullopt;
  const unsigned char* m = msg.data();
  int len = static_cast<int>(msg.size());
  if (!DNS_HEADER_QR(m) || DNS_HEADER_OPCODE(m) != 0) return std::nullopt;
  AResponse r;
  // The question must be ours (RFC 5452 §9.1); a FORMERR answer may carry
  // none, and is ours only by its ID.
  if (DNS_HEADER_QDCOUNT(m) != 1) {
    if (DNS_HEADER_RCODE(m) != kFormErr) return std::nullopt;
    r.error = ResolveError::Malformed;
    return r;
  }
  AresString qname;
  long qlen = 0;
  if (ares_expand_name(m + kHeaderLen, m, len, &qname.p, &qlen) != ARES_SUCCESS ||
      kHeaderLen + qlen + 4 > len) {
    r.error = ResolveError::Malformed;
    return r;
  }
  const unsigned char* q = m + kHeaderLen + qlen;
  if (!same_name(qname.p, name) || DNS_QUESTION_TYPE(q) != kTypeA ||
      DNS_QUESTION_CLASS(q) != kClassIn)
    return std::nullopt;
  if (DNS_HEADER_TC(m)) {
    r.error = ResolveError::Truncated;
    return r;
  }
  switch (DNS_HEADER_RCODE(m)) {
    case kNoError:
      break;
    case kNxDomain:
      r.error = ResolveError::NxDomain;
      r.ttl = negative_ttl(msg);
      return r;
    case kFormErr:
      r.error = ResolveError::Malformed;
      return r;
    case kNotImp:
      r.error = ResolveError::NotImplemented;
      return r;
    case kRefused:
      r.error = ResolveError::Refused;
      return r;
    case kServFail:
    default:
      r.error = ResolveError::ServerFailure;
      return r;
  }
  ares_addrttl ttls[kMaxAnswers];
  int n = kMaxAnswers;
  hostent* host = nullptr;
  int rc = ares_parse_a_reply(m, len, &host, ttls, &n);
  if (host) ares_free_hostent(host);
  if (rc == ARES_ENODATA) {
    r.error = ResolveError::NoAddress;
    r.ttl = negative_ttl(msg);
    return r;
  }
  if (rc != ARES_SUCCESS) {
    r.error = ResolveError::Malformed;
    return r;
  }
  if (n <= 0) {
    r.error = ResolveError::NoAddress;
    r.ttl = negative_ttl(msg);
    return r;
  }
  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  for (int i = 0; i < n; ++i) {
    r.addrs.push_back(wire::Ipv4Address(ntohl(ttls[i].ipaddr.s_addr)));
    ttl = std::min(ttl, static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0)));
  }
  r.ttl = ttl;
  return r;
}

}  // namespace synack::dns
