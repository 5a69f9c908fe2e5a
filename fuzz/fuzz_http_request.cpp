// Fuzzes the HTTP/1.1 request glue (llhttp through RequestParser) and the
// sans-IO Http1Connection around it. Input: byte 0 picks the size of the
// pieces the rest arrives in (1 to 256 bytes); byte 1 the limits (small
// header and body limits, a small output backlog, the peer's FIN at the end);
// the rest is what a client sends. The same input is also fed in one piece to
// a second connection: the bytes sent back, the request count and whether the
// connection closes must not depend on how the input was split -- except that
// a malformed request may be refused for a different reason (a 414 for a
// target that grew past the limit before llhttp saw the bad version, or 400
// when it saw both at once): the last answers may then differ, as long as
// both are errors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apps/http/http1_connection.hpp"
#include "apps/http/site_handler.hpp"

using namespace synack;
using namespace synack::apps::http;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::shared_ptr<MemorySource> files() {
  static auto s = [] {
    auto m = std::make_shared<MemorySource>();
    m->add("/index.html", "<p>hello</p>\n");
    m->add("/a.txt", "0123456789abcdefghijklmnopqrstuvwxyz");
    return m;
  }();
  return s;
}

struct Run {
  std::string out;
  std::uint64_t requests = 0;
  bool finished = false;
};

Run run(std::string_view input, std::size_t piece, const Http1Config& cfg, bool fin) {
  static const Handler handler = make_site_handler(files());
  Instant now = instant_from_us(1'000'000);
  Http1Connection c(handler, cfg, now);
  Run r;
  auto drain = [&] {
    // Output is taken a few bytes at a time, so the backlog pause and resume
    // run too.
    while (!c.pending_output().empty()) {
      std::string_view o = c.pending_output();
      std::size_t n = std::min<std::size_t>(o.size(), 1000);
      r.out.append(o.substr(0, n));
      c.consume_output(n, now);
    }
  };
  for (std::size_t i = 0; i < input.size(); i += piece) {
    c.receive(input.substr(i, piece), now);
    // Let a few requests' answers pile up before draining.
    if ((i / piece) % 3 == 2) drain();
  }
  if (fin) c.receive_eof(now);
  drain();
  r.requests = c.counters().requests;
  r.finished = c.finished();
  check(c.counters().errors <= c.counters().requests);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t piece = 1 + data[0];
  std::uint8_t mode = data[1];
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  Http1Config cfg;
  if (mode & 1) cfg.limits.max_header_bytes = 64;
  if (mode & 2) cfg.limits.max_body_bytes = 16;
  if (mode & 4) cfg.limits.max_target_bytes = 8;
  if (mode & 8) cfg.max_output_backlog = 32;
  if (mode & 16) cfg.max_requests = 2;
  bool fin = mode & 32;
  Run split = run(input, piece, cfg, fin);
  Run whole = run(input, input.size() ? input.size() : 1, cfg, fin);
  if (split.out != whole.out) {
    std::size_t a = split.out.rfind("HTTP/1.1 "), b = whole.out.rfind("HTTP/1.1 ");
    check(a != std::string::npos && b != std::string::npos && a == b);
    check(split.out.compare(0, a, whole.out, 0, b) == 0);
    check(split.out[a + 9] >= '4' && whole.out[b + 9] >= '4');
  }
  check(split.requests == whole.requests);
  check(split.finished == whole.finished);
  // Every answer starts with a status line.
  check(split.requests == 0 || split.out.rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
