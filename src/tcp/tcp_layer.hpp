#pragma once
// The TCP layer of one host: demultiplexes segments to connections (FlowTable),
// TIME-WAIT mini-sockets and listeners, answers the rest with RST (RFC 9293
// §3.10.7.1), runs timers, and flushes output. Sans-IO: segments leave through
// SegmentOutput; time is an argument.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bounded_pool.hpp"
#include "core/deadline_heap.hpp"
#include "core/node_reserve.hpp"
#include "core/result.hpp"
#include "tcp/connection.hpp"
#include "tcp/isn_generator.hpp"
#include "tcp/listener.hpp"
#include "tcp/tcp_config.hpp"
#include "tcp/time_wait.hpp"
#include "tcp/trace.hpp"

namespace synack::tcp {

// Where finished segments go (the IP layer).
class SegmentOutput {
 public:
  virtual ~SegmentOutput() = default;
  virtual void send_tcp(wire::Ipv4Address src, wire::Ipv4Address dst, const wire::TcpRepr& seg) = 0;
};

enum class OpenError : std::uint8_t {
  AddressInUse,  // the port (or the 4-tuple) is taken
  NoPorts,       // every ephemeral port to that peer is in use
  NoMemory,      // a pool is exhausted
  InvalidArgument,
};
std::string_view to_string(OpenError e);

struct TcpLayerCounters {
  std::uint64_t segments_in = 0;
  std::uint64_t segments_out = 0;
  std::uint64_t resets_sent = 0;  // for segments that matched nothing
  std::uint64_t time_wait_acks = 0;
  std::uint64_t time_wait_expired = 0;
  std::uint64_t time_wait_killed = 0;        // ended early by an exact RST (RFC 1337's hazard)
  std::uint64_t challenge_acks_limited = 0;  // over the host's per-second budget (RFC 5961 §7)
  std::uint64_t time_wait_acks_limited = 0;  // TIME-WAIT answers not sent (rate limit)
};

class TcpLayer final : private ConnectionHost, private ListenerHost {
 public:
  TcpLayer(const TcpConfig& cfg, std::string host_name);
  ~TcpLayer() override;
  TcpLayer(const TcpLayer&) = delete;
  TcpLayer& operator=(const TcpLayer&) = delete;

  void set_output(SegmentOutput* out) { out_ = out; }
  void set_trace(Trace* trace) { trace_ = trace; }
  // The clock moved with nothing to process (user calls between polls are
  // stamped with this instant).
  void set_time(Instant now) { now_ = now; }
  // See Interface::clock_rewound().
  void clock_rewound();
  // Our MSS follows the device MTU (IPv4 and TCP headers without options).
  void set_mtu(std::size_t mtu) {
    mss_ = static_cast<std::uint16_t>(std::min<std::size_t>(mtu - 40, cfg_.mss));
  }
  // The device takes IPv4 packets up to `max_packet` bytes and cuts TCP
  // segments at the MSS itself (segmentation offload); 0 turns it off.
  // Connections then send segments of up to that size (less IPv4 and TCP
  // headers, options at their longest).
  void set_segmentation_offload(std::size_t max_packet) {
    offload_payload_ =
        max_packet > kMaxHeaders ? static_cast<std::uint32_t>(max_packet - kMaxHeaders) : 0;
  }
  const TcpConfig& config() const { return cfg_; }
  const std::string& host_name() const { return host_name_; }

  // --- driven by the interface -------------------------------------------
  void on_segment(Instant now, wire::Ipv4Address src, wire::Ipv4Address dst,
                  const wire::TcpRepr& seg);
  void on_timers(Instant now);
  // Sends what the connections have queued and frees finished ones.
  void flush(Instant now);
  Instant next_deadline() const;

  // --- used by the socket layer ------------------------------------------
  Result<Connection*, OpenError> connect(Instant now, wire::Ipv4Address local,
                                         wire::Ipv4Address remote, std::uint16_t remote_port,
                                         const TcpConfig& cfg, std::uint16_t local_port = 0);
  Result<Listener*, OpenError> listen(wire::Ipv4Address local, std::uint16_t port,
                                      const TcpConfig& cfg);
  void close_listener(Instant now, Listener* l);
  // The user's handle is gone; the connection lives on until it is closed.
  void release(Connection* c);
  // Queues a notification as if readiness had changed (a callback was just
  // installed on a connection or listener that already has something ready).
  void notify(Connection& c);
  void notify(Listener& l) { on_accept_ready(l); }
  // Connections whose readiness changed since the last call.
  // Hand over (into `out`, whose old contents are dropped) the connections
  // with news for their user, and the listeners with connections to accept.
  void take_notifications(std::vector<Connection*>& out);
  void take_accept_ready(std::vector<Listener*>& out);

  // --- inspection (like ss and nstat) -------------------------------------
  const TcpLayerCounters& counters() const { return counters_; }
  // The send and receive buffers' block recycler (bytes cached, reuse).
  const BufferPoolStats& buffer_stats() const { return buffers_.stats(); }
  std::size_t buffer_budget() const { return buffers_.budget(); }
  const PoolStats& connection_pool() const { return conn_pool_.stats(); }
  const PoolStats& request_pool() const { return req_pool_.stats(); }
  const PoolStats& time_wait_pool() const { return time_wait_.pool_stats(); }
  std::size_t connection_count() const { return flows_.size(); }
  const TimeWaitTable& time_wait() const { return time_wait_; }
  template <typename F>
  void for_each_connection(F f) const {
    for (auto& [t, c] : flows_)
      f(*c);
  }
  Listener* find_listener(wire::Ipv4Address addr, std::uint16_t port) const;

 private:
  // ConnectionHost
  void send_segment(const FourTuple& tuple, const wire::TcpRepr& seg) override;
  void on_state_change(Connection& c, TcpState from, TcpState to, std::string_view why) override;
  void on_activity(Connection& c) override;
  bool allow_challenge_ack(Instant now) override;
  BufferPool* buffer_pool() override { return &buffers_; }
  std::uint32_t offload_payload_limit() const override { return offload_payload_; }
  // ListenerHost
  SeqNum choose_isn(const FourTuple& tuple, Instant now) override {
    return isn_.generate(tuple, now);
  }
  std::uint32_t choose_ts_offset(const FourTuple& tuple) override { return isn_.ts_offset(tuple); }
  std::uint16_t local_mss() const override { return mss_; }
  Connection* create_connection(Instant now, const FourTuple& tuple, const TcpConfig& cfg,
                                const HandshakeResult& h) override;
  void on_request_state(Listener& l, const FourTuple& tuple, TcpState from, TcpState to,
                        std::string_view why) override;
  void on_listener_note(Listener& l, std::string_view text) override;
  bool tracing() const override { return trace_ != nullptr; }
  void on_accept_ready(Listener& l) override;
  bool buffers_under_pressure() const override { return buffers_.under_pressure(); }

  void on_time_wait_segment(Instant now, TimeWaitSock* tw, const wire::TcpRepr& seg);
  void send_time_wait_ack(const TimeWaitSock& tw);
  void reset_unmatched(const FourTuple& tuple, const wire::TcpRepr& seg);
  void record_state(const FourTuple& tuple, TcpState from, TcpState to, std::string_view why);
  bool tuple_in_use(const FourTuple& t) const;
  // One shared copy of each distinct configuration connections are opened
  // with; they point at it instead of carrying their own.
  const TcpConfig& intern(const TcpConfig& cfg);
  void maybe_reap(Connection* c);
  // Keeps timers_ in step with c's earliest deadline; call after anything
  // that may have changed it (input, timers, output).
  void reindex(Connection* c);

  TcpConfig cfg_;
  std::string host_name_;
  SegmentOutput* out_ = nullptr;
  Trace* trace_ = nullptr;
  Instant now_{};  // the instant of the call being processed (for the trace)
  std::uint16_t mss_;
  // IPv4 header without options and the longest TCP header.
  static constexpr std::size_t kMaxHeaders = 20 + 60;
  std::uint32_t offload_payload_ = 0;  // see set_segmentation_offload()
  IsnGenerator isn_;
  // Before conn_pool_: connections point into these, and their buffers go
  // back to the pool when they die.
  std::vector<std::unique_ptr<TcpConfig>> configs_;
  BufferPool buffers_;
  BoundedPool<Connection> conn_pool_;
  BoundedPool<RequestSock> req_pool_;
  TimeWaitTable time_wait_;
  using FlowMap = std::unordered_map<FourTuple, Connection*, FourTupleHash>;
  FlowMap flows_;
  // Nodes of erased flows, reused: no allocation per connection in steady
  // state.
  NodeReserve<FlowMap> flow_nodes_;
  // Every connection with a timer armed, by deadline: next_deadline() is
  // O(1) and on_timers() O(log n) per due connection, not a scan of all.
  DeadlineHeap<Connection> timers_;
  std::vector<Connection*> due_;      // on_timers()' work list, kept to reuse
  std::vector<Connection*> reaping_;  // flush()'s, likewise
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<Connection*> dirty_;
  std::vector<Connection*> notify_;
  std::vector<Listener*> accept_ready_;
  std::vector<Connection*> reap_;
  std::uint32_t next_port_hint_;
  // RFC 5961 §7 host-wide challenge-ACK budget: what is left in this second.
  std::int64_t challenge_second_ = -1;
  std::uint32_t challenge_budget_ = 0;
  TcpLayerCounters counters_;
};

}  // namespace synack::tcp
