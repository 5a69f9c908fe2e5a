#pragma once
// `synack fetch`: HTTP GETs through synack's stack on a TUN device, the way
// a browser makes them (a ConnectionPool: at most N connections per host,
// keep-alive reuse, a queue), with --page loading what the HTML references;
// prints a waterfall and the pool's statistics.
#include <cstddef>
#include <string>
#include <vector>

#include "net_session.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct FetchArgs {
  NetArgs net;
  std::vector<std::string> urls;
  std::size_t max_per_host = 6;
  long long timeout_ms = 30'000;  // connect, TLS handshake and response, each
  bool http10 = false, http11 = false, http2 = false;
  bool page = false;
  bool insecure = false;
  std::string svg;
};

CLI::App* add_fetch_command(CLI::App& app, FetchArgs& args);
int run_fetch_command(const FetchArgs& args);

}  // namespace synack::tools
