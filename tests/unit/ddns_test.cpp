// Dynamic DNS: ddclient's schedule on a virtual clock, the --ddns SPEC and
// key file, dyndns2's request and answers, and the RFC 2136 UPDATE's bytes
// and TSIG (signed and verified by ldns).
#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "apps/ddns/ddns_schedule.hpp"
#include "apps/ddns/ddns_spec.hpp"
#include "apps/ddns/rfc2136_message.hpp"

namespace synack::apps::ddns {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

Instant at(Duration d) {
  return Instant(d);
}
const Ipv4Address kA(10, 9, 0, 50), kB(10, 9, 0, 60);
UpdateResult good() {
  return {UpdateOutcome::Good, "good", std::nullopt};
}
UpdateResult transient(std::optional<Duration> wait = std::nullopt) {
  return {UpdateOutcome::Transient, "911", wait};
}
UpdateResult fatal() {
  return {UpdateOutcome::Fatal, "badauth", std::nullopt};
}

TEST(DdnsSchedule, NothingWithoutAnAddress) {
  DdnsSchedule s;
  EXPECT_EQ(s.poll_at(), kNever);
  EXPECT_FALSE(s.take_due(at(0s)));
}

TEST(DdnsSchedule, FirstUpdateAtOnceThenThirtySecondsAfterSuccess) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  EXPECT_EQ(s.poll_at(), at(0s));
  EXPECT_EQ(s.take_due(at(0s)), kA);
  EXPECT_EQ(s.poll_at(), kNever);  // in flight
  EXPECT_FALSE(s.take_due(at(1s)));
  s.on_result(at(2s), good());
  EXPECT_EQ(s.registered(), kA);
  // Unchanged: the next update is the forced refresh, 25 days on.
  EXPECT_EQ(s.poll_at(), at(2s) + std::chrono::hours(600));
  // A change 10 s later waits for 30 s after the success.
  s.set_address(at(12s), kB);
  EXPECT_EQ(s.poll_at(), at(32s));
  EXPECT_FALSE(s.take_due(at(31s)));
  EXPECT_EQ(s.take_due(at(32s)), kB);
  s.on_result(at(33s), good());
  EXPECT_EQ(s.registered(), kB);
}

TEST(DdnsSchedule, ForcedRefreshAfterTwentyFiveDays) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  s.take_due(at(0s));
  s.on_result(at(0s), good());
  Instant refresh = at(std::chrono::hours(25 * 24));
  EXPECT_FALSE(s.take_due(refresh - 1s));
  EXPECT_EQ(s.take_due(refresh), kA);
  s.on_result(refresh, {UpdateOutcome::NoChange, "nochg", std::nullopt});
  EXPECT_EQ(s.poll_at(), refresh + std::chrono::hours(25 * 24));
}

TEST(DdnsSchedule, FiveMinutesAfterAFailure) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  s.take_due(at(0s));
  s.on_result(at(1s), transient());
  EXPECT_EQ(s.poll_at(), at(301s));
  EXPECT_FALSE(s.take_due(at(300s)));
  // A new address does not shorten the wait after a failure.
  s.set_address(at(100s), kB);
  EXPECT_EQ(s.poll_at(), at(301s));
  EXPECT_EQ(s.take_due(at(301s)), kB);
  s.on_result(at(302s), good());
  EXPECT_EQ(s.registered(), kB);
}

TEST(DdnsSchedule, HonoursRetryAfter) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  s.take_due(at(0s));
  s.on_result(at(0s), transient(30min));
  EXPECT_EQ(s.poll_at(), at(30min));
  // A retry-after shorter than the failure interval changes nothing.
  s.take_due(at(30min));
  s.on_result(at(30min), transient(10s));
  EXPECT_EQ(s.poll_at(), at(35min));
}

TEST(DdnsSchedule, FatalStopsUntilTheAddressChanges) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  s.take_due(at(0s));
  s.on_result(at(0s), fatal());
  EXPECT_EQ(s.poll_at(), kNever);
  EXPECT_FALSE(s.take_due(at(1h)));
  s.set_address(at(1h), kB);
  EXPECT_EQ(s.poll_at(), at(5min));  // already past: due now
  EXPECT_EQ(s.take_due(at(1h)), kB);
}

TEST(DdnsSchedule, LosingTheAddressSendsNothing) {
  DdnsSchedule s;
  s.set_address(at(0s), kA);
  s.set_address(at(0s), std::nullopt);
  EXPECT_EQ(s.poll_at(), kNever);
  EXPECT_FALSE(s.take_due(at(0s)));
}

const char* kKeyFile =
    "key \"ddns-key\" {\n"
    "\talgorithm hmac-sha256;\n"
    "\tsecret \"8MwQUrAp2+HkmPKqpuYkO8sdV8bk/p1ScDcP5q2POHk=\";\n"
    "};\n";

TEST(DdnsSpec, TsigKeyFileAsTsigKeygenWritesIt) {
  std::string err;
  auto k = parse_tsig_key_file(kKeyFile, &err);
  ASSERT_TRUE(k) << err;
  EXPECT_EQ(k->name, "ddns-key.");
  EXPECT_EQ(k->algorithm, "hmac-sha256");
  EXPECT_EQ(k->secret, "8MwQUrAp2+HkmPKqpuYkO8sdV8bk/p1ScDcP5q2POHk=");
  auto c = parse_tsig_key_file(std::string("# a comment\n/* more */ // and\n") + kKeyFile, &err);
  ASSERT_TRUE(c) << err;
}

TEST(DdnsSpec, BadKeyFiles) {
  std::string err;
  EXPECT_FALSE(parse_tsig_key_file("", &err));
  EXPECT_FALSE(parse_tsig_key_file("key \"k\" { algorithm hmac-md5; secret \"AAAA\"; };", &err));
  EXPECT_EQ(err, "algorithm hmac-md5 is not hmac-sha256");
  EXPECT_FALSE(parse_tsig_key_file("key \"k\" { algorithm hmac-sha256; secret \"A!A\"; };", &err));
  EXPECT_EQ(err, "the secret is not base64");
  EXPECT_FALSE(parse_tsig_key_file("key \"k\" { algorithm hmac-sha256; };", &err));
  EXPECT_FALSE(parse_tsig_key_file("key \"k\" { algorithm hmac-sha256; secret \"AAAA\";", &err));
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/synack-ddns-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

TEST(DdnsSpec, ParsesRfc2136) {
  std::string key = write_temp(kKeyFile);
  std::string err;
  auto s = DdnsSpec::parse("rfc2136:10.9.9.53,Example.Test,home.example.test," + key, &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->kind, DdnsSpec::Kind::Rfc2136);
  EXPECT_EQ(s->rfc2136.server, Ipv4Address(10, 9, 9, 53));
  EXPECT_EQ(s->rfc2136.port, 53);
  EXPECT_EQ(s->rfc2136.zone, "example.test.");
  EXPECT_EQ(s->rfc2136.name, "home.example.test.");
  EXPECT_EQ(s->rfc2136.key.name, "ddns-key.");
  EXPECT_EQ(s->describe(), "rfc2136 home.example.test. at 10.9.9.53");
  auto p = DdnsSpec::parse("rfc2136:10.9.9.53:5353,example.test,example.test.," + key, &err);
  ASSERT_TRUE(p) << err;
  EXPECT_EQ(p->rfc2136.port, 5353);
  EXPECT_FALSE(DdnsSpec::parse("rfc2136:10.9.9.53,example.test,home.other.test," + key, &err));
  EXPECT_EQ(err, "name home.other.test. is not in zone example.test.");
  EXPECT_FALSE(DdnsSpec::parse("rfc2136:ns.example,example.test,h.example.test," + key, &err));
  EXPECT_FALSE(DdnsSpec::parse("rfc2136:10.9.9.53,example.test,h.example.test,/nonexistent", &err));
  EXPECT_EQ(err, "cannot read key file '/nonexistent'");
  EXPECT_FALSE(DdnsSpec::parse("rfc2136:10.9.9.53,example.test", &err));
  std::remove(key.c_str());
}

TEST(DdnsSpec, ParsesDyndns2WithCredentialsInlineOrFromAFile) {
  std::string err;
  auto s = DdnsSpec::parse("dyndns2:http://10.9.0.1:8245,home.example.test,alice:p:a,ss", &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->dyndns2.name, "home.example.test");
  EXPECT_EQ(s->dyndns2.user, "alice");
  EXPECT_EQ(s->dyndns2.password, "p:a,ss");
  std::string creds = write_temp("bob:secret\n");
  auto f = DdnsSpec::parse("dyndns2:https://10.9.0.1/nic/update,h.test,@" + creds, &err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->dyndns2.user, "bob");
  EXPECT_EQ(f->dyndns2.password, "secret");
  std::remove(creds.c_str());
  EXPECT_FALSE(DdnsSpec::parse("dyndns2:http://10.9.0.1,h.test,nopassword", &err));
  EXPECT_FALSE(DdnsSpec::parse("dyndns2:ftp://10.9.0.1,h.test,a:b", &err));
  EXPECT_FALSE(DdnsSpec::parse("dyndns2:http://10.9.0.1/x?y=1,h.test,a:b", &err));
  EXPECT_FALSE(DdnsSpec::parse("nsupdate:1,2,3", &err));
  EXPECT_EQ(err, "unknown kind 'nsupdate': expected rfc2136 or dyndns2");
}

TEST(Dyndns2, RequestTargetAndAuth) {
  EXPECT_EQ(dyndns2_target("/", "home.example.test", kA),
            "/nic/update?hostname=home.example.test&myip=10.9.0.50");
  EXPECT_EQ(dyndns2_target("/x/update", "a b", kA), "/x/update?hostname=a%20b&myip=10.9.0.50");
  // RFC 7617's example.
  EXPECT_EQ(basic_auth("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(base64("a"), "YQ==");
  EXPECT_EQ(base64("ab"), "YWI=");
}

TEST(Dyndns2, AnswersAsDdclientReadsThem) {
  auto o = [](int status, std::string_view body) {
    return parse_dyndns2_answer(status, body, std::nullopt).outcome;
  };
  EXPECT_EQ(o(200, "good 10.9.0.50"), UpdateOutcome::Good);
  EXPECT_EQ(o(200, "nochg 10.9.0.50\n"), UpdateOutcome::NoChange);
  for (const char* w :
       {"badauth", "nohost", "notfqdn", "!donator", "badagent", "abuse", "numhost", "!yours"})
    EXPECT_EQ(o(200, w), UpdateOutcome::Fatal) << w;
  EXPECT_EQ(o(200, "dnserr"), UpdateOutcome::Transient);
  EXPECT_EQ(o(200, "whatever"), UpdateOutcome::Transient);
  EXPECT_EQ(o(401, ""), UpdateOutcome::Fatal);
  EXPECT_EQ(o(500, "oops"), UpdateOutcome::Transient);
  auto r911 = parse_dyndns2_answer(200, "911", std::nullopt);
  EXPECT_EQ(r911.retry_after, Duration(30min));
  auto wait = parse_dyndns2_answer(200, "wait 10m", std::nullopt);
  EXPECT_EQ(wait.retry_after, Duration(10min));
  auto hdr = parse_dyndns2_answer(503, "", std::string_view("120"));
  EXPECT_EQ(hdr.outcome, UpdateOutcome::Transient);
  EXPECT_EQ(hdr.retry_after, Duration(120s));
  EXPECT_EQ(hdr.detail, "HTTP 503");
  EXPECT_EQ(parse_dyndns2_answer(200, "good 1.2.3.4", std::nullopt).detail, "good 1.2.3.4");
  // "good 127.0.0.1" to a request for another address: Dyn ignored it.
  auto ignored = parse_dyndns2_answer(200, "good 127.0.0.1", std::nullopt, Ipv4Address(1, 2, 3, 4));
  EXPECT_EQ(ignored.outcome, UpdateOutcome::Fatal);
  EXPECT_EQ(ignored.detail, "good 127.0.0.1 (the service ignored the request: 1.2.3.4 was sent)");
  EXPECT_EQ(
      parse_dyndns2_answer(200, "good 127.0.0.1", std::nullopt, Ipv4Address(127, 0, 0, 1)).outcome,
      UpdateOutcome::Good);
  EXPECT_EQ(
      parse_dyndns2_answer(200, "good 5.6.7.8", std::nullopt, Ipv4Address(1, 2, 3, 4)).outcome,
      UpdateOutcome::Good);  // behind another NAT the service may see another address
  // Waits are capped at 30 days (a fuzzer found the overflow of larger ones).
  EXPECT_EQ(parse_dyndns2_answer(503, "", std::string_view("999999999999999")).retry_after,
            Duration(std::chrono::hours(30 * 24)));
  EXPECT_EQ(parse_dyndns2_answer(200, "wait 99999999999h", std::nullopt).retry_after,
            Duration(std::chrono::hours(30 * 24)));
}

Rfc2136Spec rfc_spec() {
  Rfc2136Spec s;
  s.server = Ipv4Address(10, 9, 9, 53);
  s.zone = "example.test.";
  s.name = "home.example.test.";
  std::string err;
  s.key = *parse_tsig_key_file(kKeyFile, &err);
  return s;
}

TEST(Rfc2136, UpdateBytesDeleteTheRrsetThenAdd) {
  auto w = build_rfc2136_update_unsigned(rfc_spec(), kA, 0x1234);
  // ldns compresses names (RFC 1035 §4.1.4): the owner "home" + a pointer
  // to the zone at offset 12; the second owner a pointer to offset 30.
  std::vector<std::uint8_t> want = {
      0x12, 0x34, 0x28, 0x00,                     // id, opcode UPDATE, RD clear
      0,    1,    0,    0,    0,   2,    0,   0,  // ZOCOUNT 1, UPCOUNT 2
      7,    'e',  'x',  'a',  'm', 'p',  'l', 'e', 4, 't',
      'e',  's',  't',  0,                                // example.test.
      0,    6,    0,    1,                                // SOA IN
      4,    'h',  'o',  'm',  'e', 0xc0, 12,              // home.example.test.
      0,    1,    0,    255,  0,   0,    0,   0,   0, 0,  // A ANY ttl 0 rdlen 0: delete
      0xc0, 30,                                           // home.example.test.
      0,    1,    0,    1,    0,   0,    0,   60,  0, 4,
      10,   9,    0,    50};  // A IN 60 10.9.0.50: add
  EXPECT_EQ(w, want);
}

TEST(Rfc2136, SignedUpdateCarriesTsigAndAnAnswerVerifies) {
  Rfc2136Spec spec = rfc_spec();
  std::string err;
  auto req = build_rfc2136_update(spec, kA, 77, &err);
  ASSERT_TRUE(req) << err;
  EXPECT_EQ(req->wire[10], 0);
  EXPECT_EQ(req->wire[11], 1);           // ARCOUNT 1: the TSIG record
  EXPECT_EQ(req->mac.size(), 2u + 32u);  // length-prefixed HMAC-SHA256
  // An answer with a wrong id or no QR does not match.
  std::vector<std::uint8_t> junk = {0, 78, 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(read_rfc2136_answer(spec, *req, junk).matches);
  // RFC 8945 §5.4: an unsigned answer is discarded, whatever it says (it
  // may be forged: one datagram must not stop the updates).
  std::vector<std::uint8_t> refused = {0, 77, 0xa8, 0x05, 0, 0, 0, 0, 0, 0, 0, 0};
  auto a = read_rfc2136_answer(spec, *req, refused);
  EXPECT_FALSE(a.matches);
  EXPECT_EQ(a.ignored, "REFUSED, unsigned");
  std::vector<std::uint8_t> ok = {0, 77, 0xa8, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  auto b = read_rfc2136_answer(spec, *req, ok);
  EXPECT_FALSE(b.matches);
  EXPECT_EQ(b.ignored, "NOERROR, unsigned");
  // A QUERY response with our id is not the answer to an UPDATE.
  std::vector<std::uint8_t> query = {0, 77, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(read_rfc2136_answer(spec, *req, query).matches);
  // A NOERROR answer signed by the server with the key, over our MAC
  // (RFC 8945 §5.3): good. Signed with another secret: not trusted.
  // An answer with `rcode`, signed with `secret` over our MAC, or carrying
  // an unsigned TSIG with `tsig_error` (an empty MAC, RFC 8945 §5.3.2).
  auto answer = [&](ldns_pkt_rcode rcode, const char* secret, std::uint16_t tsig_error = 0) {
    ldns_pkt* p = ldns_pkt_new();
    ldns_pkt_set_id(p, 77);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
    ldns_pkt_set_rcode(p, static_cast<std::uint8_t>(rcode));
    ldns_rdf* mac =
        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, req->mac.size(), req->mac.data());
    EXPECT_EQ(ldns_pkt_tsig_sign(p, "ddns-key.", secret, 300, "hmac-sha256.", mac), LDNS_STATUS_OK);
    ldns_rdf_deep_free(mac);
    if (tsig_error != 0) {
      // Rewrite the TSIG as a server does for BADSIG/BADKEY: no MAC, the error set.
      ldns_rr* t = ldns_pkt_tsig(p);
      std::uint8_t empty[2] = {0, 0};
      ldns_rdf_deep_free(
          ldns_rr_set_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty), 3));
      ldns_rdf_deep_free(
          ldns_rr_set_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, tsig_error), 5));
    }
    std::uint8_t* w = nullptr;
    std::size_t n = 0;
    EXPECT_EQ(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
    std::vector<std::uint8_t> out(w, w + n);
    LDNS_FREE(w);
    ldns_pkt_free(p);
    return out;
  };
  const char* key = spec.key.secret.c_str();
  const char* other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  auto good = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_NOERROR, key));
  ASSERT_TRUE(good.matches);
  EXPECT_EQ(good.result.outcome, UpdateOutcome::Good);
  EXPECT_EQ(good.result.detail, "NOERROR");
  // Signed with another secret: discarded, not acted on.
  auto forged = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_NOERROR, other));
  EXPECT_FALSE(forged.matches);
  EXPECT_EQ(forged.ignored, "NOERROR, its TSIG does not verify");
  auto forged_refusal = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_REFUSED, other));
  EXPECT_FALSE(forged_refusal.matches);
  // A verified REFUSED: the server's policy says no; fatal.
  auto refusal = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_REFUSED, key));
  ASSERT_TRUE(refusal.matches);
  EXPECT_EQ(refusal.result.outcome, UpdateOutcome::Fatal);
  // A verified SERVFAIL: try again later.
  auto servfail = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_SERVFAIL, key));
  ASSERT_TRUE(servfail.matches);
  EXPECT_EQ(servfail.result.outcome, UpdateOutcome::Transient);
  // The unsigned NOTAUTH with BADSIG or BADKEY is taken: our key is wrong.
  for (std::uint16_t e : {16, 17}) {
    auto bad = read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_NOTAUTH, key, e));
    ASSERT_TRUE(bad.matches) << e;
    EXPECT_EQ(bad.result.outcome, UpdateOutcome::Fatal);
    EXPECT_EQ(bad.result.detail,
              e == 16 ? "NOTAUTH, TSIG error BADSIG" : "NOTAUTH, TSIG error BADKEY");
  }
  // ... but not an unsigned BADTIME (RFC 8945 §5.2.3 has the server sign it).
  EXPECT_FALSE(read_rfc2136_answer(spec, *req, answer(LDNS_RCODE_NOTAUTH, key, 18)).matches);
  // TC: ask again over TCP.
  std::vector<std::uint8_t> tc = {0, 77, 0xaa, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(read_rfc2136_answer(spec, *req, tc).truncated);
}

}  // namespace
}  // namespace synack::apps::ddns
