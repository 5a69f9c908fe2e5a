#include "apps/ddns/ddns_backends.hpp"

#include <random>

#include "apps/ddns/rfc2136_message.hpp"
#include "apps/http/connection_pool.hpp"
#include "socket/dns_resolver.hpp"
#include "socket/tcp_stream.hpp"
#include "socket/udp_socket.hpp"

namespace synack::apps::ddns {

using namespace std::chrono_literals;

namespace {

class Rfc2136Backend final : public DdnsBackend {
 public:
  Rfc2136Backend(socket::Stack& stack, const Rfc2136Spec& spec, socket::UdpSocket sock)
      : stack_(stack), spec_(spec), sock_(std::move(sock)), rng_(std::random_device{}()) {
    sock_.on_event([this] { on_udp(); });
  }

  void start(wire::Ipv4Address addr, Done done) override {
    done_ = std::move(done);
    std::string err;
    auto id = static_cast<std::uint16_t>(rng_());
    req_ = build_rfc2136_update(spec_, addr, id, &err);
    if (!req_) return finish({UpdateOutcome::Fatal, err, std::nullopt});
    Instant now = stack_.now();
    started_ = now;
    sends_ = 0;
    send_udp(now);
  }

  Instant poll_at() const override { return req_ ? deadline_ : kNever; }

  void on_timers(Instant now) override {
    if (!req_ || now < deadline_) return;
    if (tcp_.valid()) return finish({UpdateOutcome::Transient, "timed out over TCP", {}});
    if (sends_ < 3) return send_udp(now);
    finish({UpdateOutcome::Transient,
            ignored_.empty()
                ? "timed out (no answer to 3 UDP messages)"
                : "timed out (no verified answer to 3 UDP messages; discarded: " + ignored_ + ")",
            {}});
  }

 private:
  void send_udp(Instant now) {
    ++sends_;
    sock_.send_to(spec_.server, spec_.port, req_->wire);
    deadline_ = sends_ < 3 ? now + 2s : started_ + 8s;
  }

  void on_udp() {
    for (;;) {
      auto d = sock_.try_recv();
      if (!d) {
        if (d.error() == socket::SocketError::WouldBlock) return;
        continue;
      }
      if (!req_ || tcp_.valid() || d->addr != spec_.server || d->port != spec_.port) continue;
      Rfc2136Answer a = read_rfc2136_answer(spec_, *req_, d->data);
      if (!a.matches) {
        if (!a.ignored.empty()) note_ignored(a.ignored);
        continue;
      }
      if (a.truncated) return start_tcp();
      return finish(a.result);
    }
  }

  void start_tcp() {
    auto s = stack_.connect(spec_.server, spec_.port);
    if (!s)
      return finish({UpdateOutcome::Transient,
                     "truncated over UDP; TCP: " + std::string(socket::to_string(s.error())),
                     {}});
    tcp_ = std::move(*s);
    tcp_sent_ = false;
    tcp_in_.clear();
    deadline_ = stack_.now() + 10s;
    tcp_.on_event([this] { on_tcp(); });
  }

  void on_tcp() {
    if (!req_) return;
    if (tcp_.connected() && !tcp_sent_) {
      std::string msg;
      msg += static_cast<char>(req_->wire.size() >> 8);
      msg += static_cast<char>(req_->wire.size() & 0xff);
      msg.append(req_->wire.begin(), req_->wire.end());
      tcp_.write(msg);
      tcp_sent_ = true;
    }
    std::uint8_t buf[4096];
    while (std::size_t n = tcp_.read(buf))
      tcp_in_.insert(tcp_in_.end(), buf, buf + n);
    if (tcp_in_.size() >= 2) {
      std::size_t len = (std::size_t(tcp_in_[0]) << 8) | tcp_in_[1];
      if (tcp_in_.size() >= 2 + len) {
        Rfc2136Answer a = read_rfc2136_answer(spec_, *req_, std::span(tcp_in_).subspan(2, len));
        if (!a.matches || a.truncated)
          return finish({UpdateOutcome::Transient,
                         a.ignored.empty() ? "bad answer over TCP"
                                           : "answer over TCP discarded: " + a.ignored,
                         {}});
        return finish(a.result);
      }
    }
    if (tcp_.closed() || tcp_.at_eof())
      finish({UpdateOutcome::Transient,
              "TCP connection ended: " + std::string(socket::to_string(tcp_.error())),
              {}});
  }

  // RFC 8945 §5.4: a client SHOULD log a discarded answer.
  void note_ignored(const std::string& why) {
    ignored_ = why;
    if (log_) log_("ignored an answer from " + spec_.server.to_string() + ": " + why);
  }

  void finish(UpdateResult r) {
    req_.reset();
    ignored_.clear();
    if (tcp_.valid()) {
      tcp_.on_event({});
      tcp_.close();
      tcp_ = socket::TcpStream();
    }
    Done d = std::move(done_);
    done_ = {};
    if (d) d(r);
  }

  socket::Stack& stack_;
  Rfc2136Spec spec_;
  socket::UdpSocket sock_;
  std::mt19937 rng_;
  std::optional<Rfc2136Request> req_;
  Done done_;
  Instant started_{}, deadline_ = kNever;
  int sends_ = 0;
  socket::TcpStream tcp_;
  bool tcp_sent_ = false;
  std::vector<std::uint8_t> tcp_in_;
  std::string ignored_;  // the last discarded answer of this update
};

class Dyndns2Backend final : public DdnsBackend {
 public:
  Dyndns2Backend(socket::Stack& stack, const Dyndns2Spec& spec, http::FetchUrl base)
      : stack_(stack), spec_(spec), base_(std::move(base)), pool_(stack, pool_config()) {}

  static http::PoolConfig pool_config() {
    http::PoolConfig c;
    c.max_per_host = 1;
    c.protocol = http::ClientProtocol::Http11;
    c.max_body_bytes = 64 * 1024;
    return c;
  }

  void start(wire::Ipv4Address addr, Done done) override {
    done_ = std::move(done);
    sent_ = addr;
    busy_ = true;
    deadline_ = stack_.now() + 30s;
    std::uint64_t gen = ++generation_;
    if (base_.name.empty()) return send(gen, base_.host);
    // A provider's URL names its host (name-based virtual hosts, and a
    // certificate for the name): resolved afresh for every update, through
    // the DNS server the lease or --dns gave.
    if (!dns_)
      return finish(
          {UpdateOutcome::Transient,
           "cannot resolve " + base_.name + ": no DNS server (none from DHCP; give --dns)",
           {}});
    dns_->resolve_a(base_.name, [this, gen](const dns::ResolveResult& r) {
      if (gen != generation_ || !busy_) return;
      if (!r.ok() || r.addrs.empty())
        return finish({UpdateOutcome::Transient,
                       "cannot resolve " + base_.name + ": " + std::string(dns::to_string(r.error)),
                       {}});
      send(gen, r.addrs.front());
    });
  }

  void set_dns_servers(const std::vector<wire::Ipv4Address>& servers) override {
    wire::Ipv4Address first = servers.empty() ? wire::Ipv4Address() : servers.front();
    if (first == dns_server_) return;
    dns_server_ = first;
    dns_.reset();
    if (base_.name.empty() || first.is_unspecified()) return;
    auto r = socket::DnsResolver::open(stack_, first);
    if (r) {
      dns_ = std::move(*r);
    } else if (log_) {
      log_("cannot open a DNS socket to " + first.to_string() + ": " +
           std::string(socket::to_string(r.error())));
    }
  }

  Instant poll_at() const override {
    if (!busy_ && pool_.all_closed()) return kNever;
    // The pool moves a request on from its ticks; once the answer is in, the
    // ticks only reap the closing connection, whose FIN exchange the stack
    // drives by itself: once a second is enough (a FIN the old address
    // never gets answered may take minutes to give up).
    return stack_.now() + (busy_ ? Duration(2ms) : Duration(1s));
  }

  void on_timers(Instant now) override {
    pool_.tick();
    if (busy_ && now >= deadline_) {
      ++generation_;  // a late answer is ignored
      pool_.close_all();
      finish({UpdateOutcome::Transient, "timed out", {}});
    }
  }

 private:
  void send(std::uint64_t gen, wire::Ipv4Address server) {
    http::FetchUrl url = base_;
    url.host = server;
    url.target = dyndns2_target(base_.target, spec_.name, sent_);
    http::HeaderList h = {{"Authorization", basic_auth(spec_.user, spec_.password)},
                          {"User-Agent", "synack-ddns/1.0"}};
    pool_.fetch(
        url, [this, gen](const http::FetchRecord& rec) { on_fetched(gen, rec); }, std::move(h));
    pool_.tick();
  }

  void on_fetched(std::uint64_t gen, const http::FetchRecord& rec) {
    if (gen != generation_ || !busy_) return;
    pool_.close_all();  // one request every few minutes at most: no keep-alive
    if (rec.status == 0)
      return finish({UpdateOutcome::Transient,
                     rec.error.empty() ? std::string("no response") : rec.error,
                     {}});
    finish(parse_dyndns2_answer(rec.status, rec.response.body,
                                http::find_field(rec.response.headers, "Retry-After"), sent_));
  }

  void finish(UpdateResult r) {
    busy_ = false;
    Done d = std::move(done_);
    done_ = {};
    if (d) d(r);
  }

  socket::Stack& stack_;
  Dyndns2Spec spec_;
  http::FetchUrl base_;
  http::ConnectionPool pool_;
  Done done_;
  bool busy_ = false;
  Instant deadline_ = kNever;
  std::uint64_t generation_ = 0;
  wire::Ipv4Address sent_;  // the address of the request in flight
  wire::Ipv4Address dns_server_;
  std::unique_ptr<socket::DnsResolver> dns_;  // only when the URL names its host
};

}  // namespace

std::unique_ptr<DdnsBackend> make_rfc2136_backend(socket::Stack& stack, const Rfc2136Spec& spec,
                                                  std::string* err) {
  auto sock = stack.udp_bind(0);
  if (!sock) {
    *err = "cannot bind a UDP port: " + std::string(socket::to_string(sock.error()));
    return nullptr;
  }
  return std::make_unique<Rfc2136Backend>(stack, spec, std::move(*sock));
}

std::unique_ptr<DdnsBackend> make_dyndns2_backend(socket::Stack& stack, const Dyndns2Spec& spec,
                                                  std::string* err) {
  auto url = http::parse_fetch_url(spec.url, err, /*allow_names=*/true);
  if (!url) return nullptr;
  return std::make_unique<Dyndns2Backend>(stack, spec, *url);
}

}  // namespace synack::apps::ddns
