#pragma once
// A host: one interface with its TCP and UDP layers, plus the bookkeeping
// that connects connections and UDP ports to user handles, callbacks and
// waiting coroutines. poll() runs ingress, then timer clients (the DNS
// resolver), user callbacks and coroutines, then egress — so user code never
// runs inside protocol processing.
#include <coroutine>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "iface/interface.hpp"
#include "socket/socket_error.hpp"

namespace synack::socket {

class TcpStream;
class TcpListener;
class UdpSocket;

// Something above the interface with deadlines of its own (the DNS
// resolver): the stack wakes for poll_at() and calls on_timers() in the
// user phase of poll(), before callbacks and coroutines run.
class TimerClient {
 public:
  virtual ~TimerClient() = default;
  virtual Instant poll_at() const = 0;
  virtual void on_timers(Instant now) = 0;
};

class Stack {
 public:
  explicit Stack(const iface::InterfaceConfig& cfg);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void poll(Instant now, iface::Device& dev);
  Instant poll_at() const;
  Instant now() const { return now_; }
  // Advances this host's clock without polling, so that user calls made
  // between polls happen at the right instant.
  void set_time(Instant now) {
    if (now < now_) iface_.clock_rewound();
    now_ = now;
    iface_.set_time(now);
  }

  // Active open from this host's address; `cfg` overrides the host's TCP
  // configuration for this connection.
  Result<TcpStream, SocketError> connect(wire::Ipv4Address addr, std::uint16_t port);
  Result<TcpStream, SocketError> connect(wire::Ipv4Address addr, std::uint16_t port,
                                         const tcp::TcpConfig& cfg);
  Result<TcpListener, SocketError> listen(std::uint16_t port);
  Result<TcpListener, SocketError> listen(std::uint16_t port, const tcp::TcpConfig& cfg);
  // A UDP socket on `port` of this host's address; 0 picks a free port from
  // the ephemeral range TCP uses.
  Result<UdpSocket, SocketError> udp_bind(std::uint16_t port);

  void add_timer_client(TimerClient* c) { timer_clients_.push_back(c); }
  void remove_timer_client(TimerClient* c) { std::erase(timer_clients_, c); }

  iface::Interface& interface() { return iface_; }
  const iface::Interface& interface() const { return iface_; }
  tcp::TcpLayer& tcp() { return iface_.tcp(); }
  const tcp::TcpLayer& tcp() const { return iface_.tcp(); }
  const std::string& name() const { return iface_.config().name; }
  void set_trace(tcp::Trace* t) { iface_.set_trace(t); }
  // Open user handles (streams and listeners): zero once the user let go.
  std::size_t open_handles() const {
    return streams_.size() + listeners_.size() + udp_sockets_.size();
  }

 private:
  friend class TcpStream;
  friend class TcpListener;
  friend class UdpSocket;

  struct StreamState {
    tcp::Connection* conn = nullptr;
    std::function<void()> on_event;
    std::coroutine_handle<> reader;
    std::coroutine_handle<> writer;
  };
  struct ListenerState {
    tcp::Listener* listener = nullptr;
    std::function<void()> on_acceptable;
    std::coroutine_handle<> waiter;
  };

  struct UdpState {
    udp::UdpEndpoint* endpoint = nullptr;
    std::function<void()> on_event;
    std::coroutine_handle<> reader;
  };

  StreamState* attach(tcp::Connection* c);
  void detach(UdpState* u);
  void detach(StreamState* s);
  void detach(ListenerState* l);
  void dispatch();

  iface::Interface iface_;
  Instant now_{};
  using StreamMap = std::unordered_map<tcp::Connection*, std::unique_ptr<StreamState>>;
  StreamMap streams_;
  // Entries (map node and state) of detached streams, reused by attach():
  // opening and closing connections allocates nothing in steady state.
  std::vector<StreamMap::node_type> spare_streams_;
  static constexpr std::size_t kSpareStreams = 4096;
  std::unordered_map<tcp::Listener*, std::unique_ptr<ListenerState>> listeners_;
  // dispatch()'s work lists, kept so that a poll does not allocate.
  std::vector<tcp::Connection*> notified_;
  std::vector<tcp::Listener*> acceptable_;
  std::unordered_map<udp::UdpEndpoint*, std::unique_ptr<UdpState>> udp_sockets_;
  std::vector<TimerClient*> timer_clients_;
};

}  // namespace synack::socket
