#pragma once
// Links the AT modem's unit tests control by hand: each FakeLink shares its
// state with the test, which sets its status and inbound bytes and reads
// what the modem wrote.
#include <deque>
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
  TcpOptions opts;
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
  std::size_t readable() const override { return s_->inbound.size(); }
  std::size_t read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min(out.size(), s_->inbound.size());
    std::copy_n(s_->inbound.begin(), n, out.begin());
    s_->inbound.erase(0, n);
    return n;
  }
  bool at_eof() const override { return s_->peer_fin && s_->inbound.empty(); }
  std::size_t writable() const override { return s_->window; }
  std::size_t write(std::span<const std::uint8_t> data) override {
    std::size_t n = std::min(data.size(), s_->window);
    s_->written.append(reinterpret_cast<const char*>(data.data()), n);
    s_->window -= n;
    return n;
  }
  void close() override { s_->closed = true; }

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
  Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint to,
                                                    std::uint16_t local_port) override {
    udp_requests.push_back({to, local_port});
    return OpenError::Unsupported;  // as TcpLinks, until the stack has UDP
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

}  // namespace synack::test
