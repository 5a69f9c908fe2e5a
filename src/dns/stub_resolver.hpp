#pragma once
// A DNS stub resolver for A records (RFC 1035 §7, RFC 1123 §6.1.3), sans-IO:
// it makes query messages, is fed answers and the current time, and says
// when it next needs to run (poll_at). The transport (a UDP socket to one
// server) lives in socket/dns_resolver.
//
// Retries: a query is sent at once and resent when no answer came within
// first_timeout, doubling each time: with the defaults (1 s, 3 attempts) at
// 0, 1 and 3 s, failing with TimedOut at 7 s. Every try reuses the query's
// ID, so a late answer to an earlier try still counts.
//
// Cache: positive answers are kept for the smallest TTL of their A records
// (at most max_ttl; TTL 0 is not cached). NXDOMAIN and NODATA answers are
// kept for the SOA MINIMUM of the authority section (RFC 2308 §5; c-ares
// does not give the SOA record's own TTL, so that bound is not applied),
// at most max_negative_ttl, and not at all without an SOA. Failures
// (timeouts, SERVFAIL, REFUSED) are never cached. When full, the entry that
// expires first is dropped.
//
// Lookups of a dotted quad ("10.1.2.3") complete at once without a query;
// concurrent lookups of one name share one query.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"
#include "dns/resolve_error.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::dns {

struct ResolverConfig {
  Duration first_timeout = std::chrono::seconds(1);
  int attempts = 3;
  std::size_t cache_capacity = 128;           // names; 0 turns the cache off
  std::uint32_t max_ttl = 86400;              // seconds
  std::uint32_t max_negative_ttl = 3 * 3600;  // RFC 2308 §5: 1 to 3 hours
  // Seeds the query IDs; the caller supplies the randomness (RFC 5452 §4).
  std::uint64_t id_seed = 0x9e3779b97f4a7c15ull;
};

struct ResolveResult {
  std::string name;  // as asked
  ResolveError error = ResolveError::None;
  std::vector<wire::Ipv4Address> addrs;  // in the server's order
  bool from_cache = false;
  bool ok() const { return error == ResolveError::None; }
};

struct ResolverCounters {
  std::uint64_t queries_sent = 0;  // retries included
  std::uint64_t retries = 0;
  std::uint64_t answers = 0;
  std::uint64_t ignored = 0;  // unknown ID, other question, or too short
  std::uint64_t cache_hits = 0;
  std::uint64_t timeouts = 0;
};

class StubResolver {
 public:
  using LookupId = std::uint64_t;
  struct Completion {
    LookupId id;
    ResolveResult result;
  };

  explicit StubResolver(const ResolverConfig& cfg = {});

  // Starts a lookup of `name`'s A records. Dotted quads, cache hits and bad
  // names complete at once (see take_completions); others queue a query.
  LookupId resolve_a(Instant now, std::string_view name);
  // Query messages to send now (first tries and retries), in order.
  std::vector<std::vector<std::uint8_t>> take_queries();
  // A message from the server.
  void on_response(Instant now, std::span<const std::uint8_t> msg);
  // The transport failed for every query (the server's port is closed).
  void on_transport_error(Instant now, ResolveError e);
  void on_timers(Instant now);
  Instant poll_at() const;
  // Lookups finished since the last call.
  std::vector<Completion> take_completions();

  const ResolverCounters& counters() const { return counters_; }
  std::size_t cache_size() const { return cache_.size(); }
  std::size_t pending() const { return pending_.size(); }
  const ResolverConfig& config() const { return cfg_; }

 private:
  struct Pending {
    std::string key;   // lower case, no trailing dot
    std::string name;  // as first asked
    std::vector<std::uint8_t> query;
    int tries = 0;
    Duration timeout{};
    Instant deadline{};
    std::vector<std::pair<LookupId, std::string>> waiters;  // id, name as asked
  };
  struct CacheEntry {
    ResolveError error = ResolveError::None;
    std::vector<wire::Ipv4Address> addrs;
    Instant expires{};
  };

  std::uint16_t next_query_id();
  void finish(Pending& p, ResolveError e, const std::vector<wire::Ipv4Address>& addrs);
  void store(Instant now, const std::string& key, ResolveError e,
             const std::vector<wire::Ipv4Address>& addrs, std::uint32_t ttl);
  void complete(LookupId id, std::string name, ResolveError e, std::vector<wire::Ipv4Address> addrs,
                bool cached);

  ResolverConfig cfg_;
  std::uint64_t rng_;
  LookupId next_lookup_ = 1;
  std::map<std::uint16_t, Pending> pending_;  // by query ID
  std::unordered_map<std::string, CacheEntry> cache_;
  std::vector<std::vector<std::uint8_t>> queries_;
  std::vector<Completion> completions_;
  ResolverCounters counters_;
};

}  // namespace synack::dns
