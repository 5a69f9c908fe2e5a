#pragma once
// A host: one interface with its TCP layer, plus the bookkeeping that connects
// connections to user handles, callbacks and waiting coroutines. poll() runs
// ingress, then user callbacks and coroutines, then egress — so user code
// never runs inside protocol processing.
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

class Stack {
 public:
  explicit Stack(const iface::InterfaceConfig& cfg);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void poll(Instant now, iface::Device& dev);
  Instant poll_at() const { return iface_.poll_at(); }
  Instant now() const { return now_; }
  // Advances this host's clock without polling, so that user calls made
  // between polls happen at the right instant.
  void set_time(Instant now) {
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

  iface::Interface& interface() { return iface_; }
  const iface::Interface& interface() const { return iface_; }
  tcp::TcpLayer& tcp() { return iface_.tcp(); }
  const tcp::TcpLayer& tcp() const { return iface_.tcp(); }
  const std::string& name() const { return iface_.config().name; }
  void set_trace(tcp::Trace* t) { iface_.set_trace(t); }
  // Open user handles (streams and listeners): zero once the user let go.
  std::size_t open_handles() const { return streams_.size() + listeners_.size(); }

 private:
  friend class TcpStream;
  friend class TcpListener;

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

  StreamState* attach(tcp::Connection* c);
  void detach(StreamState* s);
  void detach(ListenerState* l);
  void dispatch();

  iface::Interface iface_;
  Instant now_{};
  std::unordered_map<tcp::Connection*, std::unique_ptr<StreamState>> streams_;
  std::unordered_map<tcp::Listener*, std::unique_ptr<ListenerState>> listeners_;
  // dispatch()'s work lists, kept so that a poll does not allocate.
  std::vector<tcp::Connection*> notified_;
  std::vector<tcp::Listener*> acceptable_;
};

}  // namespace synack::socket
