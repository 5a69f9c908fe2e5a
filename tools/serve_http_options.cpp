#include "serve_http_options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "apps/http/builtin_site.hpp"
#include "apps/http/tls_context.hpp"
#include "cli_checks.hpp"

namespace synack::tools {

void add_http_serve_options(CLI::App* cmd, HttpServeArgs& a) {
  add_text_option(cmd, "--tls-cert", a.tls_cert,
                  "with --app http: serve HTTPS with this PEM certificate (chain); needs "
                  "--tls-key. ALPN offers h2 and http/1.1");
  add_text_option(cmd, "--tls-key", a.tls_key, "with --tls-cert: the PEM private key");
  add_strict_flag(cmd, "--tls-self-signed", a.tls_self_signed,
                  "with --app http: serve HTTPS with a certificate made at start (its SHA-256 "
                  "fingerprint is printed on stderr)");
  add_integer_option(cmd, "--http-idle-timeout-ms", a.idle_timeout_ms, 1, 86'400'000,
                     "with --app http: close a connection idle this long, answer 408 to a "
                     "request not complete this long after its first byte, and reset one whose "
                     "client reads nothing (HTTP/1.1) or whose HTTP/2 stream makes no progress "
                     "(GOAWAY) this long (default 60000)");
  add_integer_option(cmd, "--http-max-requests", a.max_requests, 1, 1'000'000'000,
                     "with --app http: requests per connection; the last answer says "
                     "`Connection: close`, or over HTTP/2 a GOAWAY follows it (default 1000)");
}

std::optional<std::string> setup_http_serve(const HttpServeArgs& a, bool http_app,
                                            const std::string& dir, const std::string& cert_name,
                                            HttpServeSetup& out) {
  if (!http_app) {
    if (!a.tls_cert.empty()) return "--tls-cert needs --app http";
    if (!a.tls_key.empty()) return "--tls-key needs --app http";
    if (a.tls_self_signed) return "--tls-self-signed needs --app http";
    if (a.idle_timeout_ms) return "--http-idle-timeout-ms needs --app http";
    if (a.max_requests) return "--http-max-requests needs --app http";
    return std::nullopt;
  }
  if (a.tls_self_signed && (!a.tls_cert.empty() || !a.tls_key.empty()))
    return "--tls-self-signed and --tls-cert/--tls-key exclude each other";
  if (!a.tls_cert.empty() && a.tls_key.empty()) return "--tls-cert needs --tls-key";
  if (a.tls_cert.empty() && !a.tls_key.empty()) return "--tls-key needs --tls-cert";
  if (!a.tls_cert.empty()) {
    if (auto err = check_input_file(a.tls_cert)) return "bad --tls-cert: " + *err;
    if (auto err = check_input_file(a.tls_key)) return "bad --tls-key: " + *err;
  }
  if (!dir.empty()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return "bad --app http:" + dir + ": " + std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return "bad --app http:" + dir + ": not a directory";
    if (::access(dir.c_str(), R_OK | X_OK) != 0)
      return "bad --app http:" + dir + ": " + std::strerror(errno);
    out.files = std::make_shared<apps::http::DirectorySource>(dir);
  } else {
    out.files = std::make_shared<apps::http::MemorySource>(apps::http::builtin_site());
  }
  // The Date field's clock (RFC 9110 §6.6.1): the server itself reads none.
  out.config.wall_clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  if (a.idle_timeout_ms)
    out.config.http1.idle_timeout = std::chrono::milliseconds(*a.idle_timeout_ms);
  if (a.max_requests) out.config.http1.max_requests = static_cast<std::uint64_t>(*a.max_requests);
  std::string err;
  if (!a.tls_cert.empty()) {
    auto ctx = apps::http::TlsContext::from_files(a.tls_cert, a.tls_key, &err);
    if (!ctx) return "bad --tls-cert/--tls-key: " + err;
    out.fingerprint = ctx->fingerprint();
    out.config.tls = std::move(ctx);
  } else if (a.tls_self_signed) {
    auto ctx = apps::http::TlsContext::self_signed(cert_name, &err);
    if (!ctx) return "cannot make a self-signed certificate: " + err;
    out.fingerprint = ctx->fingerprint();
    out.self_signed = true;
    out.config.tls = std::move(ctx);
  }
  return std::nullopt;
}

}  // namespace synack::tools
