#include "flood_lab.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

#include "flood_spoofer.hpp"
#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "tcp/connection.hpp"
#include "tcp/request_sock.hpp"
#include "tcp/time_wait.hpp"

namespace synack::flood {

namespace {

using namespace std::chrono_literals;

const wire::Ipv4Address kClientAddr(10, 0, 0, 1);
const wire::Ipv4Address kServerAddr(10, 0, 0, 2);
const wire::Ipv4Address kAttackerAddr(10, 0, 0, 3);
const wire::Ipv4Address kSpoofPool(198, 18, 0, 0);  // RFC 2544's benchmark range
constexpr std::uint16_t kPort = 80;
constexpr Duration kTick = 1ms;

double percentile_ms(std::vector<Duration> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank.
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1].count()) / 1000.0;
}

std::size_t memory_in_use(const tcp::TcpLayer& t) {
  return t.request_pool().live * sizeof(tcp::RequestSock) +
         t.connection_pool().live * sizeof(tcp::Connection) +
         t.time_wait_pool().live * sizeof(tcp::TimeWaitSock);
}

iface::InterfaceConfig host(const char* name, wire::Ipv4Address addr, const tcp::TcpConfig& t) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = wire::Ipv4Cidr{addr, 24};
  c.tcp = t;
  return c;
}

struct Attempt {
  socket::TcpStream stream;
  Instant started;
  int second = 0;
  std::optional<Duration> latency;
};

class FloodLab {
 public:
  explicit FloodLab(const FloodLabConfig& cfg)
      : cfg_(cfg),
        sim_(cfg.seed),
        spoofer_(cfg.seed * 0x9e3779b97f4a7c15ull + 7, kServerAddr, kPort, kSpoofPool, 15),
        rng_(cfg.seed) {
    tcp::TcpConfig server_tcp;
    server_tcp.syncookies = cfg.mode;
    server_tcp.syn_backlog = cfg.syn_backlog;
    server_tcp.backlog = cfg.backlog;
    server_tcp.isn_key0 ^= cfg.seed;
    server_tcp.syncookie_key0 ^= cfg.seed;
    tcp::TcpConfig client_tcp;
    client_tcp.isn_key0 ^= cfg.seed * 31 + 1;
    server_ = &sim_.add_host(host("server", kServerAddr, server_tcp));
    client_ = &sim_.add_host(host("client", kClientAddr, client_tcp));
    attacker_ = &sim_.add_host(host("attacker", kAttackerAddr, {}));
    phy::LinkParams lp;
    lp.delay = cfg.link_delay;
    sim_.link(*client_, *server_, lp);
    sim_.link(*attacker_, *server_, lp);
    listener_ = std::move(*server_->listen(kPort));
    listener_.on_acceptable([this] {
      while (auto c = listener_.accept())
        served_.push_back(std::move(*c));
    });
  }

  FloodRun run() {
    FloodRun out;
    out.config = cfg_;
    out.seconds.resize(static_cast<std::size_t>(cfg_.seconds));
    Instant start = sim_.now();
    Instant flood_end = start + std::chrono::seconds(cfg_.seconds);
    // Keep flooding while the last attempts get their chance to finish.
    Instant end = flood_end + cfg_.connect_deadline + 1s;
    // Spoofed SYNs at a steady rate; legitimate clients arrive at random
    // (Poisson), so that they do not march in step with the round trip.
    std::uint64_t spoofed = 0;
    auto attack_at = [&](std::uint64_t i) {
      return cfg_.attack_rate > 0 ? start + Duration(static_cast<std::int64_t>(
                                                static_cast<double>(i) * 1e6 / cfg_.attack_rate))
                                  : kNever;
    };
    std::exponential_distribution<double> gap(cfg_.legit_rate / 1e6);  // per microsecond
    Instant next_legit = start + Duration(static_cast<std::int64_t>(gap(rng_)));
    Instant next_sample = start + kTick;
    while (sim_.now() < end) {
      Instant t = std::min({attack_at(spoofed), next_legit, next_sample, end});
      sim_.run_until(t);
      int second = static_cast<int>((t - start) / 1s);
      bool flooding = t < flood_end;
      if (t == attack_at(spoofed)) {
        sim_.filter(*attacker_).transmit(t, spoofer_.next_frame());
        ++spoofed;
        if (flooding) ++out.seconds[second].spoofed_syns;
      }
      if (t == next_legit) {
        if (flooding) start_attempt(second);
        next_legit += Duration(1 + static_cast<std::int64_t>(gap(rng_)));
      }
      if (t == next_sample) {
        // Sampled once per millisecond: queue maxima, settled attempts.
        resolve_attempts(out);
        close_served();
        if (flooding) sample(out.seconds[second], second);
        next_sample += kTick;
      }
    }
    resolve_attempts(out, /*final=*/true);
    summarise(out);
    return out;
  }

 private:
  void start_attempt(int second) {
    auto a = std::make_unique<Attempt>();
    a->started = sim_.now();
    a->second = second;
    auto s = client_->connect(kServerAddr, kPort);
    if (s) {
      a->stream = std::move(*s);
      Attempt* raw = a.get();
      a->stream.on_event([this, raw] {
        if (!raw->latency && raw->stream.connected()) raw->latency = sim_.now() - raw->started;
      });
    }
    attempts_.push_back(std::move(a));
  }

  // Attempts are settled in start order once they connected or ran out of time.
  void resolve_attempts(FloodRun& out, bool final = false) {
    for (auto it = attempts_.begin(); it != attempts_.end();) {
      Attempt& a = **it;
      bool timed_out = sim_.now() - a.started > cfg_.connect_deadline;
      bool ok = a.latency && *a.latency <= cfg_.connect_deadline;
      if (!ok && !timed_out && !final) {
        ++it;
        continue;
      }
      FloodSecond& row = out.seconds[static_cast<std::size_t>(a.second)];
      ++row.attempts;
      if (ok) {
        ++row.successes;
        latencies_[a.second].push_back(*a.latency);
        all_latencies_.push_back(*a.latency);
        a.stream.close();  // the client closes first: TIME-WAIT stays on its side
      } else if (a.stream.valid()) {
        a.stream.abort();
      }
      it = attempts_.erase(it);
    }
  }

  void close_served() {
    std::erase_if(served_, [](socket::TcpStream& s) {
      std::uint8_t buf[64];
      while (s.read(buf) > 0) {
      }
      if (!s.at_eof() && !s.closed()) return false;
      s.close();
      return true;
    });
  }

  void sample(FloodSecond& row, int second) {
    row.second = second;
    row.syn_queue = listener_.syn_queue_size();
    row.accept_queue = listener_.accept_queue_size();
    row.syn_queue_max = std::max(row.syn_queue_max, row.syn_queue);
    row.accept_queue_max = std::max(row.accept_queue_max, row.accept_queue);
    row.memory_bytes = memory_in_use(server_->tcp());
  }

  void summarise(FloodRun& out) {
    FloodSummary& s = out.summary;
    for (std::size_t i = 0; i < out.seconds.size(); ++i) {
      FloodSecond& row = out.seconds[i];
      row.p50_ms = percentile_ms(latencies_[static_cast<int>(i)], 50);
      row.p99_ms = percentile_ms(latencies_[static_cast<int>(i)], 99);
      s.attempts += row.attempts;
      s.successes += row.successes;
      s.spoofed_syns += row.spoofed_syns;
      if (i == 0) continue;  // the queue is still filling
      s.memory_min = i == 1 ? row.memory_bytes : std::min(s.memory_min, row.memory_bytes);
      s.memory_max = std::max(s.memory_max, row.memory_bytes);
    }
    s.p50_ms = percentile_ms(all_latencies_, 50);
    s.p99_ms = percentile_ms(all_latencies_, 99);
    const tcp::ListenerCounters& c = listener_.counters();
    s.cookies_sent = c.cookies_sent;
    s.cookies_validated = c.cookies_validated;
    s.cookies_rejected = c.cookies_rejected;
    s.syn_queue_drops = c.syn_queue_full_drops;
    s.accept_queue_overflows = c.accept_queue_overflows;
    s.half_open_expired = c.half_open_expired;
  }

  FloodLabConfig cfg_;
  phy::Simulation sim_;
  SpoofedSynSource spoofer_;
  std::mt19937_64 rng_;
  socket::Stack* server_ = nullptr;
  socket::Stack* client_ = nullptr;
  socket::Stack* attacker_ = nullptr;
  socket::TcpListener listener_;
  std::vector<socket::TcpStream> served_;
  std::deque<std::unique_ptr<Attempt>> attempts_;
  std::map<int, std::vector<Duration>> latencies_;
  std::vector<Duration> all_latencies_;
};

}  // namespace

FloodRun run_flood_lab(const FloodLabConfig& cfg) {
  // The command line refuses these; a caller that does not must not index
  // out of range (a NaN rate once did).
  if (!(cfg.seconds >= 1) || !std::isfinite(cfg.legit_rate) || !(cfg.legit_rate > 0) ||
      !std::isfinite(cfg.attack_rate) || !(cfg.attack_rate >= 0))
    throw std::invalid_argument("run_flood_lab: seconds must be >= 1 and rates finite, legit > 0");
  return FloodLab(cfg).run();
}

std::string to_string(tcp::SyncookieMode mode) {
  switch (mode) {
    case tcp::SyncookieMode::Off:
      return "off";
    case tcp::SyncookieMode::On:
      return "on";
    case tcp::SyncookieMode::Auto:
      return "auto";
  }
  return "?";
}

}  // namespace synack::flood
