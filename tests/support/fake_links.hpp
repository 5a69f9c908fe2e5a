#pragma once
// Links the AT modem's unit tests control by hand: each FakeLink shares its
// state with the test, which sets its status and inbound bytes and reads
// what the modem wrote.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/at_modem/link.hpp"

namespace synack::test {

using namespace synack::apps::at_modem;

struct FakeLinkState {
  LinkKind kind = LinkKind::Tcp;
  LinkStatus status = LinkStatus::Connecting;
  std::string failure = "refused";
  Endpoint remote;
  std::uint16_t local_port = 40000;
  std::string inbound;  // bytes the peer sent, not yet read
  bool peer_fin = false;
  std::string written;           // what the modem sent
  std::size_t window = 1 << 20;  // how much write() takes
  bool closed = false;           // the modem closed it
  bool aborted = false;          // ... with a RST (AT+CIPCLOSEMODE=1)
  TcpOptions opts;
  // UDP: datagrams from peers not yet read, and those the modem sent (to
  // the remote, or where AT+CIPSEND said).
  UdpMode udp_mode = UdpMode::Fixed;
  std::deque<std::pair<Endpoint, std::string>> datagrams;
  std::vector<std::pair<Endpoint, std::string>> sent;
  bool send_fails = false;
};

class FakeLink final : public Link {
 public:
  explicit FakeLink(std::shared_ptr<FakeLinkState> s) : s_(std::move(s)) {}
  ~FakeLink() override { s_->closed = true; }
  LinkKind kind() const override { return s_->kind; }
  LinkStatus status() const override { return s_->status; }
  std::string failure() const override { return s_->failure; }
  Endpoint remote() const override { return s_->remote; }
  std::uint16_t local_port() const override { return s_->local_port; }
  std::size_t readable() const override {
    std::size_t n = s_->inbound.size();
    for (const auto& d : s_->datagrams)
      n += d.second.size();
    return n;
  }
  Endpoint source() const override {
    return s_->datagrams.empty() ? s_->remote : s_->datagrams.front().first;
  }
  bool send_to(Endpoint to, std::span<const std::uint8_t> data) override {
    if (s_->send_fails) return false;
    s_->sent.push_back({to, std::string(reinterpret_cast<const char*>(data.data()), data.size())});
    return true;
  }
  std::size_t read(std::span<std::uint8_t> out) override {
    if (!s_->datagrams.empty()) {  // UDP: from the first datagram only
      std::string& d = s_->datagrams.front().second;
      std::size_t n = std::min(out.size(), d.size());
      std::copy_n(d.begin(), n, out.begin());
      d.erase(0, n);
      if (d.empty()) s_->datagrams.pop_front();
      return n;
    }
    std::size_t n = std::min(out.size(), s_->inbound.size());
    std::copy_n(s_->inbound.begin(), n, out.begin());
    s_->inbound.erase(0, n);
    return n;
  }
  bool at_eof() const override { return s_->peer_fin && s_->inbound.empty(); }
  std::size_t writable() const override { return s_->window; }
  std::size_t write(std::span<const std::uint8_t> data) override {
    if (s_->kind == LinkKind::Udp) return send_to(s_->remote, data) ? data.size() : 0;
    std::size_t n = std::min(data.size(), s_->window);
    s_->written.append(reinterpret_cast<const char*>(data.data()), n);
    s_->window -= n;
    return n;
  }
  void close() override { s_->closed = true; }
  void abort() override { s_->closed = s_->aborted = true; }

 private:
  std::shared_ptr<FakeLinkState> s_;
};

class FakeLinks final : public LinkFactory {
 public:
  struct Server final : LinkServer {
    std::deque<std::shared_ptr<FakeLinkState>>* queue;
    bool* open;
    ~Server() override { *open = false; }
    std::unique_ptr<Link> accept() override {
      if (queue->empty()) return nullptr;
      auto s = queue->front();
      queue->pop_front();
      return std::make_unique<FakeLink>(s);
    }
  };

  Result<std::unique_ptr<Link>, OpenError> open_tcp(Endpoint to, const TcpOptions& opts) override {
    if (fail_open) return *fail_open;
    auto s = std::make_shared<FakeLinkState>();
    s->remote = to;
    s->opts = opts;
    s->local_port = static_cast<std::uint16_t>(40000 + opened.size());
    opened.push_back(s);
    return std::unique_ptr<Link>(std::make_unique<FakeLink>(s));
  }
  Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint to, std::uint16_t local_port,
                                                    UdpMode mode) override {
    udp_requests.push_back({to, local_port});
    if (fail_open) return *fail_open;
    auto s = std::make_shared<FakeLinkState>();
    s->kind = LinkKind::Udp;
    s->status = LinkStatus::Open;
    s->remote = to;
    s->udp_mode = mode;
    s->local_port =
        local_port != 0 ? local_port : static_cast<std::uint16_t>(50000 + opened.size());
    opened.push_back(s);
    return std::unique_ptr<Link>(std::make_unique<FakeLink>(s));
  }
  Result<std::unique_ptr<LinkServer>, OpenError> listen_tcp(std::uint16_t port,
                                                            const TcpOptions& opts) override {
    listen_port = port;
    listen_opts = opts;
    listening = true;
    auto srv = std::make_unique<Server>();
    srv->queue = &clients;
    srv->open = &listening;
    return std::unique_ptr<LinkServer>(std::move(srv));
  }
  // A client of the server, already connected.
  std::shared_ptr<FakeLinkState> client(const char* ip, std::uint16_t port) {
    auto s = std::make_shared<FakeLinkState>();
    s->status = LinkStatus::Open;
    s->remote = {*wire::Ipv4Address::parse(ip), port};
    s->local_port = listen_port;
    clients.push_back(s);
    return s;
  }

  std::vector<std::shared_ptr<FakeLinkState>> opened;
  std::vector<std::pair<Endpoint, std::uint16_t>> udp_requests;
  std::deque<std::shared_ptr<FakeLinkState>> clients;
  std::optional<OpenError> fail_open;
  std::uint16_t listen_port = 0;
  TcpOptions listen_opts;
  bool listening = false;
};

// Host names the test knows (`names`), answered at once, or held back while
// `hold` is set until the test calls answer(); dotted quads resolve, any
// other name fails with "NXDOMAIN".
class FakeResolver final : public NameResolver {
 public:
  struct Lookup final : NameLookup {
    std::shared_ptr<std::optional<LookupAnswer>> a;
    std::optional<LookupAnswer> result() override { return *a; }
  };
  std::unique_ptr<NameLookup> lookup(std::string_view host) override {
    asked.emplace_back(host);
    auto l = std::make_unique<Lookup>();
    l->a = std::make_shared<std::optional<LookupAnswer>>();
    held = l->a;
    if (!hold) answer();
    return l;
  }
  // Answers the last look-up.
  void answer() {
    LookupAnswer a;
    const std::string& host = asked.back();
    if (auto it = names.find(host); it != names.end())
      a.addr = wire::Ipv4Address::parse(it->second);
    else if (auto q = wire::Ipv4Address::parse(host))
      a.addr = q;
    else
      a.error = host + ": NXDOMAIN";
    *held = a;
  }

  bool use_server(std::optional<wire::Ipv4Address> server) override {
    servers.push_back(server);
    return true;
  }

  std::map<std::string, std::string> names;
  std::vector<std::optional<wire::Ipv4Address>> servers;  // AT+CIPDNS's choices
  bool hold = false;
  std::vector<std::string> asked;
  std::shared_ptr<std::optional<LookupAnswer>> held;
};

}  // namespace synack::test
