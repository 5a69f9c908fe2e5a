#include "dns/stub_resolver.hpp"

#include <algorithm>
#include <cctype>

#include "dns/dns_message.hpp"

namespace synack::dns {

namespace {
std::string cache_key(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string k(name);
  // RFC 4343: names are case-insensitive.
  for (char& c : k)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}
}  // namespace

StubResolver::StubResolver(const ResolverConfig& cfg) : cfg_(cfg), rng_(cfg.id_seed | 1) {}

std::uint16_t StubResolver::next_query_id() {
  while (true) {
    // xorshift64: IDs that do not follow each other (RFC 5452 §4.3 wants
    // them unpredictable; that is up to the seed).
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    auto id = static_cast<std::uint16_t>(rng_ >> 24);
    if (!pending_.contains(id)) return id;
  }
}

StubResolver::LookupId StubResolver::resolve_a(Instant now, std::string_view name) {
  LookupId id = next_lookup_++;
  std::string asked(name);
  if (auto a = wire::Ipv4Address::parse(name)) {
    complete(id, asked, ResolveError::None, {*a}, false);
    return id;
  }
  std::string key = cache_key(name);
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (now < it->second.expires) {
      ++counters_.cache_hits;
      complete(id, asked, it->second.error, it->second.addrs, true);
      return id;
    }
    cache_.erase(it);
  }
  for (auto& [qid, p] : pending_) {
    if (p.key == key) {
      p.waiters.emplace_back(id, asked);
      return id;
    }
  }
  std::uint16_t qid = next_query_id();
  auto query = build_a_query(key, qid);
  if (!query) {
    complete(id, asked, query.error(), {}, false);
    return id;
  }
  Pending p;
  p.key = key;
  p.name = asked;
  p.query = std::move(*query);
  p.tries = 1;
  p.timeout = cfg_.first_timeout;
  p.deadline = now + p.timeout;
  p.waiters.emplace_back(id, asked);
  queries_.push_back(p.query);
  ++counters_.queries_sent;
  pending_.emplace(qid, std::move(p));
  return id;
}

std::vector<std::vector<std::uint8_t>> StubResolver::take_queries() {
  std::vector<std::vector<std::uint8_t>> out;
  out.swap(queries_);
  return out;
}

void StubResolver::on_response(Instant now, std::span<const std::uint8_t> msg) {
  auto id = message_id(msg);
  auto it = id ? pending_.find(*id) : pending_.end();
  if (it == pending_.end()) {
    ++counters_.ignored;
    return;
  }
  auto r = parse_a_response(msg, it->second.key);
  if (!r) {
    ++counters_.ignored;
    return;
  }
  ++counters_.answers;
  if (r->ttl) store(now, it->second.key, r->error, r->addrs, *r->ttl);
  finish(it->second, r->error, r->addrs);
  pending_.erase(it);
}

void StubResolver::on_transport_error(Instant now, ResolveError e) {
  (void)now;
  for (auto& [qid, p] : pending_)
    finish(p, e, {});
  pending_.clear();
}

void StubResolver::on_timers(Instant now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (now < p.deadline) {
      ++it;
      continue;
    }
    if (p.tries >= cfg_.attempts) {
      ++counters_.timeouts;
      finish(p, ResolveError::TimedOut, {});
      it = pending_.erase(it);
      continue;
    }
    ++p.tries;
    p.timeout *= 2;
    p.deadline = now + p.timeout;
    queries_.push_back(p.query);
    ++counters_.queries_sent;
    ++counters_.retries;
    ++it;
  }
}

Instant StubResolver::poll_at() const {
  Instant t = kNever;
  for (const auto& [qid, p] : pending_)
    t = earliest(t, p.deadline);
  return t;
}

std::vector<StubResolver::Completion> StubResolver::take_completions() {
  std::vector<Completion> out;
  out.swap(completions_);
  return out;
}

void StubResolver::finish(Pending& p, ResolveError e, const std::vector<wire::Ipv4Address>& addrs) {
  for (auto& [id, name] : p.waiters)
    complete(id, std::move(name), e, addrs, false);
  p.waiters.clear();
}

void StubResolver::store(Instant now, const std::string& key, ResolveError e,
                         const std::vector<wire::Ipv4Address>& addrs, std::uint32_t ttl) {
  ttl = std::min(ttl, e == ResolveError::None ? cfg_.max_ttl : cfg_.max_negative_ttl);
  if (ttl == 0 || cfg_.cache_capacity == 0) return;
  for (auto it = cache_.begin(); it != cache_.end();)
    it = now >= it->second.expires ? cache_.erase(it) : std::next(it);
  if (cache_.size() >= cfg_.cache_capacity && !cache_.contains(key)) {
    auto soonest = std::min_element(cache_.begin(), cache_.end(), [](auto& a, auto& b) {
      return a.second.expires < b.second.expires;
    });
    cache_.erase(soonest);
  }
  cache_[key] = CacheEntry{e, addrs, now + std::chrono::seconds(ttl)};
}

void StubResolver::complete(LookupId id, std::string name, ResolveError e,
                            std::vector<wire::Ipv4Address> addrs, bool cached) {
  completions_.push_back({id, ResolveResult{std::move(name), e, std::move(addrs), cached}});
}

}  // namespace synack::dns
