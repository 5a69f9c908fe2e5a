#include "tcp_cli_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <random>

#include "cli_checks.hpp"

namespace synack::tools {

namespace {
// 1 TiB: more than a machine here has, and within a 64-bit size_t.
constexpr std::uint64_t kMaxBufferBudget = std::uint64_t{1} << 40;
}  // namespace

void add_tcp_options(CLI::App* cmd, TcpCliOptions& o) {
  add_integer_option(cmd, "--backlog", o.backlog, 1, 1'000'000,
                     "accept queue limit (listen backlog), 1 to 1000000");
  add_integer_option(cmd, "--syn-backlog", o.syn_backlog, 1, 1'000'000,
                     "half-open (SYN) queue limit, 1 to 1000000");
  add_integer_option(cmd, "--synack-retries", o.synack_retries, 0, 255,
                     "SYN-ACK retransmissions (default 5)");
  add_integer_option(cmd, "--syn-retries", o.syn_retries, 0, 255,
                     "SYN retransmissions (default 6)");
  add_integer_option(cmd, "--retries2", o.retries2, 1, 255,
                     "data retransmissions before the connection is dropped (Linux's "
                     "tcp_retries2; default 15)");
  add_integer_option(cmd, "--max-connections", o.max_connections, 1, 16'777'216,
                     "connections the stack may hold at once, 1 to 16777216 (1048576); memory "
                     "grows with the connections in use, not with this bound");
  add_byte_size_option(cmd, "--buffer-budget", o.buffer_budget, kMaxBufferBudget,
                       "bytes all connections' send and receive buffers may hold together, "
                       "like Linux's tcp_mem: 0 to 1T, with K, M, G or T (2G). Past it buffers "
                       "stop growing: writes are cut short, receive windows stop growing and "
                       "data past them is dropped; an empty buffer still takes 4 KiB");
  add_integer_option(cmd, "--invalid-ratelimit-ms", o.invalid_ratelimit_ms, 0, 60'000,
                     "at most one ACK per this many ms answers invalid segments on a "
                     "connection (RFC 5961 §7, Linux's tcp_invalid_ratelimit; 500; 0: no limit)");
  add_integer_option(cmd, "--challenge-ack-limit", o.challenge_ack_limit, 0, 1'000'000,
                     "challenge ACKs per second for the whole stack, randomised per second "
                     "(RFC 5961 §7; 1000; 0: no limit)");
  add_integer_option(cmd, "--rto-initial-ms", o.rto_initial_ms, 1, 120'000,
                     "initial retransmission timeout (1000)");
  add_text_option(cmd, "--syncookies", o.syncookies,
                  "SYN cookies: off, on (always) or auto (when the SYN queue is full; default)");
  add_text_option(cmd, "--keepalive", o.keepalive,
                  "IDLE_MS,INTVL_MS,COUNT: probe idle connections (Linux: 7200000,75000,9)");
  add_strict_flag(cmd, "--nodelay", o.nodelay, "disable Nagle's algorithm (TCP_NODELAY)");
  add_text_option(cmd, "--cc", o.congestion, "congestion control: cubic (default) or reno");
  add_integer_option(cmd, "--fin-timeout-ms", o.fin_timeout_ms, 1, 86'400'000,
                     "orphaned FIN-WAIT-2 timeout (60000)");
  add_integer_option(cmd, "--msl-ms", o.msl_ms, 0, 3'600'000,
                     "maximum segment lifetime; TIME-WAIT is 2*MSL (30000)");
  add_integer_option(cmd, "--mss", o.mss, 64, 65495, "our maximum segment size (at most MTU - 40)");
  add_strict_flag(cmd, "--no-wscale", o.no_wscale, "do not offer window scaling");
  add_strict_flag(cmd, "--no-sack", o.no_sack, "do not offer or accept SACK (RFC 2018)");
  add_strict_flag(cmd, "--no-timestamps", o.no_timestamps,
                  "do not offer or accept timestamps (RFC 7323)");
  add_strict_flag(cmd, "--no-loss-probe", o.no_loss_probe,
                  "no tail loss probe (RFC 8985 §7): a lost tail waits for the RTO");
}

namespace {

std::optional<std::string> in_range(const char* name, const std::optional<long long>& v,
                                    long long lo, long long hi) {
  if (v && (*v < lo || *v > hi))
    return std::string("bad ") + name + " " + std::to_string(*v) + ": expected " +
           std::to_string(lo) + " to " + std::to_string(hi);
  return std::nullopt;
}

}  // namespace

void randomize_secrets(tcp::TcpConfig& cfg) {
  std::random_device rd;  // getrandom(2) on Linux
  auto draw = [&rd] { return (std::uint64_t(rd()) << 32) | rd(); };
  cfg.isn_key0 = draw();
  cfg.isn_key1 = draw();
  cfg.syncookie_key0 = draw();
  cfg.syncookie_key1 = draw();
}

std::optional<std::string> apply_tcp_options(const TcpCliOptions& o, tcp::TcpConfig& cfg) {
  using std::chrono::milliseconds;
  for (auto err :
       {in_range("--backlog", o.backlog, 1, 1'000'000),
        in_range("--syn-backlog", o.syn_backlog, 1, 1'000'000),
        in_range("--synack-retries", o.synack_retries, 0, 255),
        in_range("--syn-retries", o.syn_retries, 0, 255),
        in_range("--retries2", o.retries2, 1, 255),
        in_range("--max-connections", o.max_connections, 1, 16'777'216),
        in_range("--invalid-ratelimit-ms", o.invalid_ratelimit_ms, 0, 60'000),
        in_range("--challenge-ack-limit", o.challenge_ack_limit, 0, 1'000'000),
        in_range("--rto-initial-ms", o.rto_initial_ms, 1, 120'000),
        in_range("--fin-timeout-ms", o.fin_timeout_ms, 1, 86'400'000),
        in_range("--msl-ms", o.msl_ms, 0, 3'600'000), in_range("--mss", o.mss, 64, 65495)})
    if (err) return err;
  if (o.backlog) cfg.backlog = static_cast<std::size_t>(*o.backlog);
  if (o.syn_backlog) cfg.syn_backlog = static_cast<std::size_t>(*o.syn_backlog);
  if (o.synack_retries) cfg.synack_retries = static_cast<int>(*o.synack_retries);
  if (o.syn_retries) cfg.syn_retries = static_cast<int>(*o.syn_retries);
  if (o.retries2) cfg.retries2 = static_cast<int>(*o.retries2);
  if (o.max_connections) cfg.max_connections = static_cast<std::size_t>(*o.max_connections);
  if (o.buffer_budget) {
    if (*o.buffer_budget > kMaxBufferBudget)
      return "bad --buffer-budget " + std::to_string(*o.buffer_budget) + ": expected 0 to " +
             std::to_string(kMaxBufferBudget);
    cfg.buffer_budget = static_cast<std::size_t>(*o.buffer_budget);
  }
  if (o.invalid_ratelimit_ms) cfg.invalid_ratelimit = milliseconds(*o.invalid_ratelimit_ms);
  if (o.challenge_ack_limit)
    cfg.challenge_ack_limit = static_cast<std::uint32_t>(*o.challenge_ack_limit);
  if (o.rto_initial_ms) cfg.rto_initial = milliseconds(*o.rto_initial_ms);
  if (o.fin_timeout_ms) cfg.fin_timeout = milliseconds(*o.fin_timeout_ms);
  if (o.msl_ms) cfg.msl = milliseconds(*o.msl_ms);
  if (o.mss) cfg.mss = static_cast<std::uint16_t>(*o.mss);
  if (o.no_wscale) cfg.window_scaling = false;
  if (o.no_sack) cfg.sack = false;
  if (o.no_timestamps) cfg.timestamps = false;
  if (o.no_loss_probe) cfg.loss_probe = false;
  if (o.nodelay) cfg.nodelay = true;
  if (!o.congestion.empty()) {
    if (o.congestion == "cubic") {
      cfg.congestion = tcp::CongestionAlgorithm::Cubic;
    } else if (o.congestion == "reno" || o.congestion == "newreno") {
      cfg.congestion = tcp::CongestionAlgorithm::NewReno;
    } else {
      return "bad --cc '" + o.congestion + "': expected cubic or reno";
    }
  }
  if (!o.syncookies.empty()) {
    if (o.syncookies == "off") {
      cfg.syncookies = tcp::SyncookieMode::Off;
    } else if (o.syncookies == "on") {
      cfg.syncookies = tcp::SyncookieMode::On;
    } else if (o.syncookies == "auto") {
      cfg.syncookies = tcp::SyncookieMode::Auto;
    } else {
      return "bad --syncookies '" + o.syncookies + "': expected off, on or auto";
    }
  }
  if (!o.keepalive.empty()) {
    std::string bad = "bad --keepalive '" + o.keepalive +
                      "': expected IDLE_MS,INTVL_MS,COUNT (for example 7200000,75000,9)";
    // Each part through the one number checker: no signs, spaces or junk.
    const long long hi[3] = {999'999'999'999, 999'999'999'999, 255};
    long long v[3];
    std::size_t pos = 0;
    for (int k = 0; k < 3; ++k) {
      std::size_t end = o.keepalive.find(',', pos);
      if ((k < 2) != (end != std::string::npos)) return bad;
      std::string part = o.keepalive.substr(pos, end == std::string::npos ? end : end - pos);
      auto n = parse_integer(part, 1, hi[k], nullptr);
      if (!n) return bad;
      v[k] = *n;
      pos = end + 1;
    }
    cfg.keepalive = true;
    cfg.keepalive_time = milliseconds(v[0]);
    cfg.keepalive_interval = milliseconds(v[1]);
    cfg.keepalive_probes = static_cast<int>(v[2]);
  }
  return std::nullopt;
}

}  // namespace synack::tools
