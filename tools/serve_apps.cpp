#include "serve_apps.hpp"

#include <charconv>

#include "cli_checks.hpp"

namespace synack::tools {

std::optional<AppSpec> AppSpec::parse(const std::string& text) {
  AppSpec s;
  auto number = [](std::string_view v, std::uint64_t& out) {
    auto n = parse_u64(v, UINT64_MAX, nullptr);
    if (n) out = *n;
    return n.has_value();
  };
  if (text == "echo") {
    s.kind = Kind::Echo;
  } else if (text == "discard") {
    s.kind = Kind::Discard;
  } else if (text == "hold") {
    s.kind = Kind::Hold;
  } else if (text == "noread") {
    s.kind = Kind::NoRead;
  } else if (text.rfind("source:", 0) == 0) {
    s.kind = Kind::Source;
    if (!number(std::string_view(text).substr(7), s.bytes)) return std::nullopt;
  } else if (text == "http") {
    s.kind = Kind::Http;
  } else if (text.rfind("http:", 0) == 0) {
    s.kind = Kind::Http;
    s.dir = text.substr(5);
    if (s.dir.empty()) return std::nullopt;
  } else if (text.rfind("drop:", 0) == 0) {
    s.kind = Kind::Drop;
    std::uint64_t ms = 0;
    if (!number(std::string_view(text).substr(5), ms) || ms > 86'400'000) return std::nullopt;
    s.delay = std::chrono::milliseconds(ms);
  } else {
    return std::nullopt;
  }
  return s;
}

void ServedConnections::adopt(socket::TcpStream s, Instant now) {
  conns_.emplace_back();
  Served& c = conns_.back();
  c.stream = std::move(s);
  c.drop_at = now + spec_.delay;
  c.stream.on_event([this, &c] { on_event(c); });  // std::list: &c stays valid
}

void ServedConnections::on_event(Served& c) {
  if (c.stream.closed()) return;
  switch (spec_.kind) {
    case AppSpec::Kind::Echo:
      pump_echo(c);
      break;
    case AppSpec::Kind::Discard: {
      std::uint8_t buf[16384];
      while (c.stream.read(buf) > 0) {
      }
      if (c.stream.at_eof() && !c.closing) {
        c.closing = true;
        c.stream.close();
      }
      break;
    }
    case AppSpec::Kind::Source:
      pump_source(c);
      break;
    case AppSpec::Kind::NoRead:
    case AppSpec::Kind::Http:  // served by apps::http::HttpServer instead
    case AppSpec::Kind::Drop:
    case AppSpec::Kind::Hold:
      break;
  }
}

void ServedConnections::pump_echo(Served& c) {
  std::uint8_t buf[16384];
  while (true) {
    if (!c.pending.empty()) {
      std::size_t n = c.stream.write(c.pending);
      c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(n));
      if (!c.pending.empty()) return;  // the send buffer is full: wait for ACKs
    }
    std::size_t n = c.stream.read(buf);
    if (n == 0) break;
    c.pending.assign(buf, buf + n);
  }
  // The peer finished and everything went back: close our side too.
  if (c.stream.at_eof() && c.pending.empty() && !c.closing) {
    c.closing = true;
    c.stream.close();
  }
}

void ServedConnections::pump_source(Served& c) {
  std::uint8_t buf[16384];
  while (c.sent < spec_.bytes && !c.closing) {
    std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, spec_.bytes - c.sent));
    for (std::size_t i = 0; i < want; ++i)
      buf[i] = source_byte(c.sent + i);
    std::size_t n = c.stream.write(std::span(buf, want));
    c.sent += n;
    if (n < want) return;
  }
  if (c.sent == spec_.bytes && !c.closing) {
    c.closing = true;
    // Whatever the client sent is drained first, so that closing does not
    // reset a client that wrote a request (RFC 2525 §2.17).
    while (c.stream.read(buf) > 0) {
    }
    c.stream.close();
  }
}

void ServedConnections::tick(Instant now) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    Served& c = *it;
    if (spec_.kind == AppSpec::Kind::Drop && !c.closing && now >= c.drop_at) {
      c.closing = true;
      c.stream.close();  // unread data makes this a RST, which is the point
    }
    if (c.stream.closed() || (c.closing && c.stream.state() == tcp::TcpState::TimeWait)) {
      if (on_finished) on_finished(c.stream);
      it = conns_.erase(it);  // the stack finishes the close in the background
    } else {
      ++it;
    }
  }
}

void ServedConnections::close_all() {
  for (Served& c : conns_) {
    if (c.closing || c.stream.closed()) continue;
    c.closing = true;
    std::uint8_t buf[16384];
    while (c.stream.read(buf) > 0) {
    }
    c.stream.close();
  }
}

bool ServedConnections::all_closed() const {
  for (const Served& c : conns_)
    if (!c.stream.closed()) return false;
  return true;
}

}  // namespace synack::tools
