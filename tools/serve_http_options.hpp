#pragma once
// The options `synack serve --app http[:DIR]` adds to serve (issue 13):
// TLS (--tls-cert/--tls-key or --tls-self-signed), --http-idle-timeout-ms
// and --http-max-requests; their checks, and the server configuration and
// site they make.
#include <memory>
#include <optional>
#include <string>

#include "apps/http/file_source.hpp"
#include "apps/http/http_server.hpp"

namespace CLI {
class App;
}

namespace synack::tools {

struct HttpServeArgs {
  std::string tls_cert;
  std::string tls_key;
  bool tls_self_signed = false;
  std::optional<long long> idle_timeout_ms;
  std::optional<long long> max_requests;
  bool any() const {
    return !tls_cert.empty() || !tls_key.empty() || tls_self_signed || idle_timeout_ms ||
           max_requests;
  }
};

void add_http_serve_options(CLI::App* cmd, HttpServeArgs& a);

// What --app http serves and how, made from good arguments.
struct HttpServeSetup {
  apps::http::HttpServerConfig config;
  std::shared_ptr<const apps::http::FileSource> files;
  std::string fingerprint;  // of the certificate, when TLS is on
  bool self_signed = false;
};

// Checks the HTTP options against the app (`http_app`: --app is http[:DIR],
// `dir` its DIR or empty) and loads or makes the TLS certificate, without
// writing anything. `cert_name` goes into a self-signed certificate. nullopt
// when good (and `out` filled), else the error line.
std::optional<std::string> setup_http_serve(const HttpServeArgs& a, bool http_app,
                                            const std::string& dir, const std::string& cert_name,
                                            HttpServeSetup& out);

}  // namespace synack::tools
