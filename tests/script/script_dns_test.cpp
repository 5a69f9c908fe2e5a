// The DNS stub resolver over UDP on the virtual clock: exact queries, the
// retry schedule (RFC 1123 §6.1.3.3), TTL caching and negative caching
// (RFC 2308 §5), errors by RCODE (RFC 1035 §4.1.1), ICMP from the server.
// The script plays the server; answers are built from synack's own query.
#include <gtest/gtest.h>

#include <optional>

#include "dns/dns_message.hpp"
#include "socket/dns_resolver.hpp"
#include "support/datagram_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;
using dns::ResolveError;

namespace {

struct Record {
  wire::Ipv4Address addr;
  std::uint32_t ttl;
};

void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xff);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, static_cast<std::uint16_t>(v >> 16));
  put16(s, static_cast<std::uint16_t>(v));
}

// A server's answer to `query` (RFC 1035 §4.1): the question echoed, then A
// records for it, and an SOA in the authority section when soa_minimum is set.
std::string answer(const std::string& query, std::uint8_t rcode, const std::vector<Record>& as,
                   std::optional<std::uint32_t> soa_minimum = std::nullopt, bool tc = false) {
  std::string m = query;
  m[2] = static_cast<char>(0x80 | (query[2] & 0x01) | (tc ? 0x02 : 0));  // QR, RD copied
  m[3] = static_cast<char>(0x80 | rcode);                                // RA
  m[6] = 0;
  m[7] = static_cast<char>(as.size());
  m[8] = 0;
  m[9] = soa_minimum ? 1 : 0;
  for (const Record& r : as) {
    put16(m, 0xc00c);  // the question's name
    put16(m, 1);       // A
    put16(m, 1);       // IN
    put32(m, r.ttl);
    put16(m, 4);
    put32(m, r.addr.to_u32());
  }
  if (soa_minimum) {
    put16(m, 0xc00c);
    put16(m, 6);  // SOA
    put16(m, 1);
    put32(m, 3600);
    put16(m, 22);
    m += '\0';  // MNAME: the root
    m += '\0';  // RNAME
    for (std::uint32_t v : {1u, 7200u, 900u, 1209600u, *soa_minimum})
      put32(m, v);
  }
  return m;
}

std::uint16_t query_id(const std::string& q) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(q[0]) << 8) |
                                    static_cast<std::uint8_t>(q[1]));
}

struct Fixture {
  DatagramScript s;
  std::unique_ptr<socket::DnsResolver> dns;
  std::vector<std::pair<Instant, dns::ResolveResult>> done;

  explicit Fixture(dns::ResolverConfig cfg = {}) {
    auto r = socket::DnsResolver::open(s.stack(), DatagramScript::kPeerAddr, 53, cfg);
    EXPECT_TRUE(r);
    dns = std::move(*r);
  }
  std::uint16_t port() const { return dns->socket().local_port(); }
  void lookup(std::string_view name) {
    dns->resolve_a(name, [this](const dns::ResolveResult& r) { done.emplace_back(s.now(), r); });
  }
  // Takes synack's query for `name` at `t` and checks its bytes exactly.
  std::string expect_query(Duration t, std::string_view name) {
    SentPacket p = s.expect_at(t);
    EXPECT_EQ(p.dst, DatagramScript::kPeerAddr);
    EXPECT_EQ(p.dst_port, 53);
    EXPECT_EQ(p.src_port, port());
    if (p.payload.size() < 12) {
      ADD_FAILURE() << "no DNS query: " << p.describe();
      return std::string(12, '\0');
    }
    auto want = dns::build_a_query(name, query_id(p.payload));
    EXPECT_TRUE(want);
    if (want) {
      EXPECT_EQ(p.payload, std::string(want->begin(), want->end()));
    }
    return p.payload;
  }
  void reply(const std::string& msg) { s.inject_udp(53, port(), msg); }
};

const wire::Ipv4Address kA(10, 9, 0, 1), kB(10, 9, 0, 2);

}  // namespace

TEST(ScriptDns, QueryIsExactAndAnswerGivesAddressesInOrder) {
  Fixture f;
  f.lookup("host.test");
  std::string q = f.expect_query(0s, "host.test");
  EXPECT_EQ(q[2] & 0x01, 1);  // recursion desired
  f.s.run_until(30ms);
  f.reply(answer(q, 0, {{kA, 60}, {kB, 60}}));
  ASSERT_EQ(f.done.size(), 1u);
  EXPECT_EQ(f.done[0].first, Instant(30ms));
  EXPECT_EQ(f.done[0].second.error, ResolveError::None);
  EXPECT_EQ(f.done[0].second.addrs, (std::vector{kA, kB}));
  EXPECT_EQ(f.done[0].second.name, "host.test");
  f.s.expect_silence_until(30s);
}

TEST(ScriptDns, RetriesAtOneAndThreeSecondsThenTimesOutAtSeven) {
  Fixture f;
  f.lookup("slow.test");
  std::string q0 = f.expect_query(0s, "slow.test");
  std::string q1 = f.expect_query(1s, "slow.test");
  std::string q2 = f.expect_query(3s, "slow.test");
  EXPECT_EQ(q0, q1);  // the same ID every try
  EXPECT_EQ(q0, q2);
  f.s.run_until(7s - 1us);
  EXPECT_TRUE(f.done.empty());
  f.s.expect_silence_until(7s);
  ASSERT_EQ(f.done.size(), 1u);
  EXPECT_EQ(f.done[0].first, Instant(7s));
  EXPECT_EQ(f.done[0].second.error, ResolveError::TimedOut);
  f.s.expect_silence_until(60s);
  EXPECT_EQ(f.dns->core().counters().retries, 2u);
}

TEST(ScriptDns, LateAnswerToTheFirstTryStillCounts) {
  Fixture f;
  f.lookup("late.test");
  std::string q = f.expect_query(0s, "late.test");
  f.expect_query(1s, "late.test");
  f.s.run_until(1500ms);
  f.reply(answer(q, 0, {{kA, 60}}));
  ASSERT_EQ(f.done.size(), 1u);
  EXPECT_EQ(f.done[0].second.addrs, std::vector{kA});
  f.s.expect_silence_until(20s);
}

TEST(ScriptDns, PositiveAnswerIsCachedForItsSmallestTtl) {
  Fixture f;
  f.lookup("host.test");
  f.reply(answer(f.expect_query(0s, "host.test"), 0, {{kA, 9}, {kB, 5}}));
  f.s.run_until(5s - 1us);
  f.lookup("HOST.test.");  // case and trailing dot do not matter (RFC 4343)
  ASSERT_EQ(f.done.size(), 2u);
  EXPECT_TRUE(f.done[1].second.from_cache);
  EXPECT_EQ(f.done[1].second.addrs, (std::vector{kA, kB}));
  EXPECT_EQ(f.done[1].second.name, "HOST.test.");
  f.s.expect_silence_until(5s);
  f.lookup("host.test");  // expired at 5 s: asked again
  f.expect_query(5s, "host.test");
  EXPECT_EQ(f.done.size(), 2u);
}

TEST(ScriptDns, TtlZeroIsNotCached) {
  Fixture f;
  f.lookup("zero.test");
  f.reply(answer(f.expect_query(0s, "zero.test"), 0, {{kA, 0}}));
  EXPECT_EQ(f.done.at(0).second.addrs, std::vector{kA});
  f.lookup("zero.test");
  f.expect_query(0s, "zero.test");
}

TEST(ScriptDns, NxDomainIsCachedForTheSoaMinimum) {
  Fixture f;
  f.lookup("gone.test");
  f.reply(answer(f.expect_query(0s, "gone.test"), 3, {}, 30));
  ASSERT_EQ(f.done.size(), 1u);
  EXPECT_EQ(f.done[0].second.error, ResolveError::NxDomain);
  f.s.run_until(30s - 1us);
  f.lookup("gone.test");
  ASSERT_EQ(f.done.size(), 2u);
  EXPECT_EQ(f.done[1].second.error, ResolveError::NxDomain);
  EXPECT_TRUE(f.done[1].second.from_cache);
  f.s.expect_silence_until(30s);
  f.lookup("gone.test");
  f.expect_query(30s, "gone.test");
}

TEST(ScriptDns, NxDomainWithoutSoaIsNotCached) {
  Fixture f;
  f.lookup("gone.test");
  f.reply(answer(f.expect_query(0s, "gone.test"), 3, {}));
  EXPECT_EQ(f.done.at(0).second.error, ResolveError::NxDomain);
  f.lookup("gone.test");
  f.expect_query(0s, "gone.test");
}

TEST(ScriptDns, NoDataIsNoAddressAndCachedForTheSoaMinimum) {
  Fixture f;
  f.lookup("mx-only.test");
  f.reply(answer(f.expect_query(0s, "mx-only.test"), 0, {}, 10));
  EXPECT_EQ(f.done.at(0).second.error, ResolveError::NoAddress);
  f.s.run_until(9s);
  f.lookup("mx-only.test");
  EXPECT_TRUE(f.done.at(1).second.from_cache);
  f.s.expect_silence_until(10s);
}

TEST(ScriptDns, RcodesBecomeErrorsAndAreNotCached) {
  struct Case {
    std::uint8_t rcode;
    ResolveError error;
  };
  for (Case c : {Case{2, ResolveError::ServerFailure}, Case{5, ResolveError::Refused},
                 Case{4, ResolveError::NotImplemented}, Case{1, ResolveError::Malformed},
                 Case{9, ResolveError::ServerFailure}}) {
    Fixture f;
    f.lookup("x.test");
    f.reply(answer(f.expect_query(0s, "x.test"), c.rcode, {}, 300));
    ASSERT_EQ(f.done.size(), 1u) << int(c.rcode);
    EXPECT_EQ(f.done[0].second.error, c.error) << int(c.rcode);
    f.lookup("x.test");
    f.expect_query(0s, "x.test");
  }
}

TEST(ScriptDns, TruncatedAnswerIsAnError) {
  Fixture f;
  f.lookup("big.test");
  f.reply(answer(f.expect_query(0s, "big.test"), 0, {}, std::nullopt, /*tc=*/true));
  EXPECT_EQ(f.done.at(0).second.error, ResolveError::Truncated);
}

TEST(ScriptDns, AnswersWithAnotherIdOrQuestionAreIgnored) {
  Fixture f;
  f.lookup("host.test");
  std::string q = f.expect_query(0s, "host.test");
  std::string wrong_id = answer(q, 0, {{kB, 60}});
  wrong_id[1] = static_cast<char>(wrong_id[1] ^ 0x55);
  f.reply(wrong_id);
  std::string other_question = q;
  other_question[13] = 'g';  // "gost.test"
  f.reply(answer(other_question, 0, {{kB, 60}}));
  std::string not_an_answer = q;  // QR clear
  f.reply(not_an_answer);
  f.reply("short");
  EXPECT_TRUE(f.done.empty());
  EXPECT_EQ(f.dns->core().counters().ignored, 4u);
  f.reply(answer(q, 0, {{kA, 60}}));
  EXPECT_EQ(f.done.at(0).second.addrs, std::vector{kA});
}

TEST(ScriptDns, MalformedAnswerToOurQuestionIsAnError) {
  Fixture f;
  f.lookup("host.test");
  std::string a = answer(f.expect_query(0s, "host.test"), 0, {{kA, 60}});
  a.resize(a.size() - 3);  // the address runs past the end
  f.reply(a);
  EXPECT_EQ(f.done.at(0).second.error, ResolveError::Malformed);
}

TEST(ScriptDns, DottedQuadNeedsNoQuery) {
  Fixture f;
  f.lookup("10.1.2.3");
  ASSERT_EQ(f.done.size(), 1u);  // before resolve_a returned
  EXPECT_EQ(f.done[0].second.addrs, std::vector{wire::Ipv4Address(10, 1, 2, 3)});
  f.s.expect_silence_until(10s);
}

TEST(ScriptDns, BadNamesFailAtOnce) {
  Fixture f;
  f.lookup("");
  f.lookup(std::string(64, 'a') + ".test");  // a label over 63 bytes
  std::string long_name;
  for (int i = 0; i < 9; ++i)
    long_name += std::string(30, 'b') + ".";
  f.lookup(long_name);  // 279 bytes
  ASSERT_EQ(f.done.size(), 3u);
  for (auto& [t, r] : f.done)
    EXPECT_EQ(r.error, ResolveError::BadName) << r.name;
  f.s.expect_silence_until(10s);
}

TEST(ScriptDns, ConcurrentLookupsOfOneNameShareAQuery) {
  Fixture f;
  f.lookup("host.test");
  f.lookup("Host.Test");
  std::string q = f.expect_query(0s, "host.test");
  f.s.expect_silence_until(500ms);
  f.reply(answer(q, 0, {{kA, 60}}));
  ASSERT_EQ(f.done.size(), 2u);
  EXPECT_EQ(f.done[0].second.name, "host.test");
  EXPECT_EQ(f.done[1].second.name, "Host.Test");
  EXPECT_EQ(f.done[1].second.addrs, std::vector{kA});
}

TEST(ScriptDns, PortUnreachableFromTheServerFailsPendingLookups) {
  Fixture f;
  f.lookup("host.test");
  f.s.expect_at(0s);
  // The server host answers the query with ICMP port unreachable.
  f.s.run_until(2ms);
  std::vector<std::uint8_t> sent;
  {
    // Rebuild the query packet as it left (the quote needs its IP header).
    f.lookup("other.test");
    SentPacket p = f.s.expect_at(2ms);
    sent = p.bytes;
  }
  f.s.inject_port_unreachable(sent);
  ASSERT_EQ(f.done.size(), 2u);
  EXPECT_EQ(f.done[0].second.error, ResolveError::Unreachable);
  EXPECT_EQ(f.done[1].second.error, ResolveError::Unreachable);
  f.s.expect_silence_until(10s);  // no retries left to send
}

namespace {
socket::Task<> look_up(socket::DnsResolver& dns, std::string name,
                       std::vector<dns::ResolveResult>& out) {
  out.push_back(co_await dns.resolve_a(std::move(name)));
  out.push_back(co_await dns.resolve_a("10.0.0.7"));  // completes without suspending
}
}  // namespace

TEST(ScriptDns, CoroutineAwaitsTheAnswer) {
  Fixture f;
  std::vector<dns::ResolveResult> results;
  socket::spawn(look_up(*f.dns, "host.test", results));
  std::string q = f.expect_query(0s, "host.test");
  EXPECT_TRUE(results.empty());
  f.s.run_until(40ms);
  f.reply(answer(q, 0, {{kB, 60}}));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].addrs, std::vector{kB});
  EXPECT_EQ(results[1].addrs, std::vector{wire::Ipv4Address(10, 0, 0, 7)});
}
