#include "apps/at_modem/udp_link.hpp"

#include <algorithm>
#include <deque>

namespace synack::apps::at_modem {

namespace {

class UdpLink final : public Link {
 public:
  UdpLink(socket::UdpSocket sock, Endpoint remote, UdpMode mode, std::size_t queue_limit)
      : sock_(std::move(sock)), remote_(remote), mode_(mode), limit_(queue_limit) {
    sock_.on_event([this] { drain(); });
    drain();
  }
  ~UdpLink() override { sock_.close(); }

  LinkKind kind() const override { return LinkKind::Udp; }
  LinkStatus status() const override {
    return sock_.valid() ? LinkStatus::Open : LinkStatus::Closed;
  }
  std::string failure() const override { return {}; }
  Endpoint remote() const override { return remote_; }
  std::uint16_t local_port() const override { return sock_.valid() ? sock_.local_port() : 0; }

  std::size_t readable() const override { return bytes_; }
  std::size_t read(std::span<std::uint8_t> out) override {
    if (queue_.empty()) return 0;
    Held& d = queue_.front();
    std::size_t n = std::min(out.size(), d.data.size() - d.offset);
    std::copy_n(d.data.begin() + static_cast<std::ptrdiff_t>(d.offset), n, out.begin());
    d.offset += n;
    bytes_ -= n;
    if (d.offset == d.data.size()) queue_.pop_front();
    drain();
    return n;
  }
  Endpoint source() const override { return queue_.empty() ? remote_ : queue_.front().from; }
  bool at_eof() const override { return false; }

  std::size_t writable() const override { return sock_.valid() ? sock_.max_payload() : 0; }
  std::size_t write(std::span<const std::uint8_t> data) override {
    data = data.first(std::min(data.size(), writable()));
    return send_to(remote_, data) ? data.size() : 0;
  }
  bool send_to(Endpoint to, std::span<const std::uint8_t> data) override {
    if (!sock_.valid() || data.size() > sock_.max_payload()) return false;
    socket::SocketError e = sock_.send_to(to.addr, to.port, data);
    if (e != socket::SocketError::None) {
      note_ = "UDP send to " + to.addr.to_string() + ":" + std::to_string(to.port) +
              " failed: " + std::string(socket::to_string(e));
      return false;
    }
    return true;
  }
  std::string take_note() override { return std::exchange(note_, {}); }
  void close() override { sock_.close(); }

 private:
  struct Held {
    Endpoint from;
    std::vector<std::uint8_t> data;
    std::size_t offset = 0;
  };

  void drain() {
    while (sock_.valid() && bytes_ < limit_) {
      auto d = sock_.try_recv();
      if (!d) {
        if (d.error() == socket::SocketError::WouldBlock) return;
        // An unconnected socket reports no ICMP errors; anything else is
        // only worth a trace line (the module would say nothing).
        note_ = "UDP receive: " + std::string(socket::to_string(d.error()));
        continue;
      }
      Endpoint from{d->addr, d->port};
      if (from.addr != remote_.addr || from.port != remote_.port) {
        if (mode_ == UdpMode::LastPeer || (mode_ == UdpMode::FirstPeer && !followed_)) {
          remote_ = from;
          followed_ = true;
        }
      }
      if (d->data.empty()) continue;  // nothing for a +IPD to carry
      bytes_ += d->data.size();
      queue_.push_back({from, std::move(d->data), 0});
    }
  }

  socket::UdpSocket sock_;
  Endpoint remote_;
  UdpMode mode_;
  std::size_t limit_;
  bool followed_ = false;  // FirstPeer: the remote changed once already
  std::deque<Held> queue_;
  std::size_t bytes_ = 0;
  std::string note_;
};

}  // namespace

std::unique_ptr<Link> make_udp_link(socket::UdpSocket sock, Endpoint remote, UdpMode mode,
                                    std::size_t queue_limit) {
  return std::make_unique<UdpLink>(std::move(sock), remote, mode, queue_limit);
}

}  // namespace synack::apps::at_modem
