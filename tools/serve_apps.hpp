#pragma once
// The applications `synack serve --app` can run on each accepted connection.
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::tools {

struct AppSpec {
  enum class Kind { Echo, Discard, Hold, NoRead, Source, Drop, Http } kind = Kind::Echo;
  std::uint64_t bytes = 0;  // source:BYTES
  Duration delay{0};        // drop:MS
  std::string dir;          // http:DIR (empty: the built-in page)
  // Parses echo | discard | hold | noread | source:BYTES | drop:MS | http[:DIR].
  static std::optional<AppSpec> parse(const std::string& text);
};

// The data source:BYTES sends: byte i is (i mod 256), so a reader can check
// any prefix without a copy of the file.
inline std::uint8_t source_byte(std::uint64_t i) {
  return static_cast<std::uint8_t>(i & 0xff);
}

// The accepted connections and what the app does with each.
class ServedConnections {
 public:
  explicit ServedConnections(AppSpec spec) : spec_(spec) {}
  void adopt(socket::TcpStream s, Instant now);
  // Timers of drop:MS; removes finished connections.
  void tick(Instant now);
  // Graceful close of everything (SIGTERM).
  void close_all();
  bool all_closed() const;
  std::size_t size() const { return conns_.size(); }
  // Called with each connection just before it is let go (for --trace).
  std::function<void(const socket::TcpStream&)> on_finished;
  template <typename F>
  void for_each(F f) const {
    for (const Served& c : conns_)
      f(c.stream);
  }

 private:
  struct Served {
    socket::TcpStream stream;
    std::vector<std::uint8_t> pending;  // echo: read but not yet written
    std::uint64_t sent = 0;             // source: bytes queued so far
    Instant drop_at{};
    bool closing = false;
  };
  void on_event(Served& c);
  void pump_echo(Served& c);
  void pump_source(Served& c);

  AppSpec spec_;
  std::list<Served> conns_;
};

}  // namespace synack::tools
