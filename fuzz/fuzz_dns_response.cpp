// DNS answers into the stub resolver (dns::StubResolver, parsing by
// c-ares). Each input is one message from the server for a pending lookup
// of "host.test". Flags in byte 0 get the fuzzer past the checks a random
// message fails at once:
//   bit 0: the query's ID is written into the message;
//   bit 1: the message starts with the query's question section (bytes 12
//          on of the query), followed by the fuzzer's bytes as records;
//   bit 2: QR set.
// Then bytes 1-2 of the input are the header flags and bytes 3-10 the four
// counts when bit 1 is set. Invariants: a lookup completes at most once, a
// success has addresses, the cache holds at most its capacity.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dns/dns_message.hpp"
#include "dns/stub_resolver.hpp"

using namespace synack;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::uint8_t flags = data[0];
  std::span<const std::uint8_t> rest(data + 1, size - 1);

  dns::ResolverConfig cfg;
  cfg.cache_capacity = 2;
  dns::StubResolver r(cfg);
  Instant now{};
  auto id = r.resolve_a(now, "host.test");
  auto queries = r.take_queries();
  check(queries.size() == 1);
  const std::vector<std::uint8_t>& q = queries[0];

  std::vector<std::uint8_t> msg;
  if ((flags & 2) && rest.size() >= 10) {
    msg.assign(q.begin(), q.end());  // header + question
    msg[2] = rest[0];
    msg[3] = rest[1];
    std::copy(rest.begin() + 2, rest.begin() + 10, msg.begin() + 4);
    msg.insert(msg.end(), rest.begin() + 10, rest.end());
  } else {
    msg.assign(rest.begin(), rest.end());
  }
  if ((flags & 1) && msg.size() >= 2) {
    msg[0] = q[0];
    msg[1] = q[1];
  }
  if ((flags & 4) && msg.size() >= 3) msg[2] |= 0x80;

  // The message helper alone, then through the resolver.
  (void)dns::parse_a_response(msg, "host.test");
  r.on_response(now, msg);
  auto done = r.take_completions();
  check(done.size() <= 1);
  for (auto& c : done) {
    check(c.id == id);
    check(!c.result.ok() || !c.result.addrs.empty());
  }
  check(r.cache_size() <= cfg.cache_capacity);
  // A second lookup: from the cache, or a new query.
  r.resolve_a(now + std::chrono::seconds(1), "host.test");
  auto again = r.take_completions();
  check(again.size() + r.take_queries().size() + (done.empty() ? 1 : 0) >= 1);
  r.on_timers(now + std::chrono::seconds(60));
  return 0;
}
