#include "tcp_cli_options.hpp"

#include <CLI/CLI.hpp>

namespace synack::tools {

void add_tcp_options(CLI::App* cmd, TcpCliOptions& o) {
  cmd->add_option("--backlog", o.backlog, "accept queue limit (listen backlog)");
  cmd->add_option("--syn-backlog", o.syn_backlog, "half-open (SYN) queue limit");
  cmd->add_option("--synack-retries", o.synack_retries, "SYN-ACK retransmissions (default 5)");
  cmd->add_option("--syn-retries", o.syn_retries, "SYN retransmissions (default 6)");
  cmd->add_option("--rto-initial-ms", o.rto_initial_ms, "initial retransmission timeout (1000)");
  cmd->add_option("--syncookies", o.syncookies,
                  "SYN cookies: off, on (always) or auto (when the SYN queue is full; default)");
  cmd->add_option("--keepalive", o.keepalive,
                  "IDLE_MS,INTVL_MS,COUNT: probe idle connections (Linux: 7200000,75000,9)");
  cmd->add_flag("--nodelay", o.nodelay, "disable Nagle's algorithm (TCP_NODELAY)");
  cmd->add_option("--cc", o.congestion, "congestion control: cubic (default) or reno");
  cmd->add_option("--fin-timeout-ms", o.fin_timeout_ms, "orphaned FIN-WAIT-2 timeout (60000)");
  cmd->add_option("--msl-ms", o.msl_ms, "maximum segment lifetime; TIME-WAIT is 2*MSL (30000)");
  cmd->add_option("--mss", o.mss, "our maximum segment size (at most MTU - 40)");
  cmd->add_flag("--no-wscale", o.no_wscale, "do not offer window scaling");
  cmd->add_flag("--no-sack", o.no_sack, "do not offer or accept SACK (RFC 2018)");
  cmd->add_flag("--no-timestamps", o.no_timestamps, "do not offer or accept timestamps (RFC 7323)");
  cmd->add_flag("--no-loss-probe", o.no_loss_probe,
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

std::optional<std::string> apply_tcp_options(const TcpCliOptions& o, tcp::TcpConfig& cfg) {
  using std::chrono::milliseconds;
  for (auto err :
       {in_range("--backlog", o.backlog, 1, 1'000'000),
        in_range("--syn-backlog", o.syn_backlog, 1, 1'000'000),
        in_range("--synack-retries", o.synack_retries, 0, 255),
        in_range("--syn-retries", o.syn_retries, 0, 255),
        in_range("--rto-initial-ms", o.rto_initial_ms, 1, 120'000),
        in_range("--fin-timeout-ms", o.fin_timeout_ms, 1, 86'400'000),
        in_range("--msl-ms", o.msl_ms, 0, 3'600'000), in_range("--mss", o.mss, 64, 65495)})
    if (err) return err;
  if (o.backlog) cfg.backlog = static_cast<std::size_t>(*o.backlog);
  if (o.syn_backlog) cfg.syn_backlog = static_cast<std::size_t>(*o.syn_backlog);
  if (o.synack_retries) cfg.synack_retries = static_cast<int>(*o.synack_retries);
  if (o.syn_retries) cfg.syn_retries = static_cast<int>(*o.syn_retries);
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
    long long v[3];
    std::size_t pos = 0;
    for (int k = 0; k < 3; ++k) {
      std::size_t end = o.keepalive.find(',', pos);
      if ((k < 2) != (end != std::string::npos)) return bad;
      std::string part = o.keepalive.substr(pos, end == std::string::npos ? end : end - pos);
      if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
          part.size() > 12)
        return bad;
      v[k] = std::stoll(part);
      pos = end + 1;
    }
    if (v[0] < 1 || v[1] < 1 || v[2] < 1 || v[2] > 255) return bad;
    cfg.keepalive = true;
    cfg.keepalive_time = milliseconds(v[0]);
    cfg.keepalive_interval = milliseconds(v[1]);
    cfg.keepalive_probes = static_cast<int>(v[2]);
  }
  return std::nullopt;
}

}  // namespace synack::tools
