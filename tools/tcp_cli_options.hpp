#pragma once
// The TCP options shared by `synack serve` and `synack connect` (the public
// command-line contract in README.md), and their translation into TcpConfig
// with one-line errors for bad values.
#include <cstdint>
#include <optional>
#include <string>

#include "tcp/tcp_config.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct TcpCliOptions {
  std::optional<long long> backlog;
  std::optional<long long> syn_backlog;
  std::optional<long long> synack_retries;
  std::optional<long long> syn_retries;
  std::optional<long long> retries2;
  std::optional<long long> max_connections;
  std::optional<std::uint64_t> buffer_budget;
  std::optional<long long> invalid_ratelimit_ms;
  std::optional<long long> challenge_ack_limit;
  std::optional<long long> rto_initial_ms;
  std::optional<long long> fin_timeout_ms;
  std::optional<long long> msl_ms;
  std::optional<long long> mss;
  std::string syncookies;  // off | on | auto
  std::string keepalive;   // IDLE_MS,INTVL_MS,COUNT
  std::string congestion;  // cubic | reno
  bool nodelay = false;
  bool no_wscale = false;
  bool no_sack = false;
  bool no_timestamps = false;
  bool no_loss_probe = false;
};

void add_tcp_options(CLI::App* cmd, TcpCliOptions& o);
// Applies the options to `cfg`; nullopt on success, else the error line.
std::optional<std::string> apply_tcp_options(const TcpCliOptions& o, tcp::TcpConfig& cfg);

// Fresh random keys (getrandom) for initial sequence numbers and SYN
// cookies, as RFC 6528 §3 and RFC 4987 §3.6 require of a stack facing real
// peers: TcpConfig's fixed defaults keep simulations reproducible, but on a
// real network they would make ISNs, cookies, ephemeral ports and IP
// identifications predictable.
void randomize_secrets(tcp::TcpConfig& cfg);

}  // namespace synack::tools
