#pragma once
// The two ways DdnsUpdater sends an update (see ddns_updater.hpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/ddns/ddns_schedule.hpp"
#include "apps/ddns/ddns_spec.hpp"
#include "socket/stack.hpp"

namespace synack::apps::ddns {

class DdnsBackend {
 public:
  using Done = std::function<void(const UpdateResult&)>;
  using Log = std::function<void(const std::string&)>;
  virtual ~DdnsBackend() = default;
  // Where the backend says what it noticed along the way (a discarded answer).
  void set_log(Log log) { log_ = std::move(log); }
  // Starts one update; `done` runs once (from a socket event or on_timers).
  virtual void start(wire::Ipv4Address addr, Done done) = 0;
  // kNever when idle.
  virtual Instant poll_at() const = 0;
  virtual void on_timers(Instant now) = 0;
  // The DNS servers to resolve a service's host name with (the lease's, or
  // --dns); the first is used.
  virtual void set_dns_servers(const std::vector<wire::Ipv4Address>& servers) { (void)servers; }

 protected:
  Log log_;
};

// nullptr with `err` set when a socket cannot be opened.
std::unique_ptr<DdnsBackend> make_rfc2136_backend(socket::Stack& stack, const Rfc2136Spec& spec,
                                                  std::string* err);
std::unique_ptr<DdnsBackend> make_dyndns2_backend(socket::Stack& stack, const Dyndns2Spec& spec,
                                                  std::string* err);

}  // namespace synack::apps::ddns
