#pragma once
// Keeps one dynamic DNS name pointing at a host's address, over a
// socket::Stack: the DdnsSchedule decides when, a backend sends the update
// through the stack's own sockets, and every step is one log line. Plugs
// into any program that owns a Stack (serve, the NAT gateway's outside
// stack):
//
//   std::string err;
//   auto spec = apps::ddns::DdnsSpec::parse("rfc2136:10.9.9.53,home.test,gw.home.test,/k",
//                                           &err);                 // reads the key file
//   auto ddns = apps::ddns::DdnsUpdater::create(stack, *spec,
//       [](const std::string& line) { std::puts(line.c_str()); });
//   ddns->set_address(addr);        // at start, and on each change (a DHCP
//                                   // lease, Changed); nullopt when it is lost
//   // the stack's event loop runs it (it is one of the stack's timer clients)
//
// Backends:
//   rfc2136  a TSIG-signed UPDATE (rfc2136_message.hpp) over UDP from an
//            ephemeral port to SERVER:PORT, sent again after 2 s and 4 s (the
//            same bytes), a transient failure ("timed out") after 8 s; an
//            answer with TC set is asked again over TCP (2-byte length
//            prefix, RFC 1035 §4.2.2), 10 s for that.
//   dyndns2  GET URL?hostname=NAME&myip=ADDR with Basic auth and the
//            User-Agent "synack-ddns/1.0" through apps::http::ConnectionPool
//            (HTTP/1.1; https verifies the certificate), the answer read by
//            parse_dyndns2_answer(); 30 s for the whole request.
//
// Log lines (exact, for the tests and the operator):
//   ddns: updating NAME A ADDR (DESCRIBE)
//   ddns: NAME A ADDR: good (DETAIL)              also nochg
//   ddns: NAME A ADDR: transient failure (DETAIL); next try in Ns
//   ddns: NAME A ADDR: fatal failure (DETAIL); no retry until the address changes
//   ddns: NAME: ignored an answer from SERVER: DETAIL   (unsigned or bad TSIG)
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/ddns/ddns_schedule.hpp"
#include "apps/ddns/ddns_spec.hpp"
#include "socket/stack.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::apps::ddns {

class DdnsBackend;

struct DdnsUpdaterCounters {
  std::uint64_t updates = 0;  // started
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
};

class DdnsUpdater final : private socket::TimerClient {
 public:
  using Log = std::function<void(const std::string&)>;

  // `stack` must outlive the updater. The spec's files were read by
  // DdnsSpec::parse. Fails (nullptr, `err` set) only when a socket cannot be
  // opened.
  static std::unique_ptr<DdnsUpdater> create(socket::Stack& stack, const DdnsSpec& spec, Log log,
                                             std::string* err,
                                             const DdnsScheduleConfig& sched = {});
  ~DdnsUpdater() override;
  DdnsUpdater(const DdnsUpdater&) = delete;
  DdnsUpdater& operator=(const DdnsUpdater&) = delete;

  // The address NAME should have (nullopt: none now; nothing is sent).
  void set_address(std::optional<wire::Ipv4Address> addr);
  // DNS servers for a dyndns2 URL that names its host (the lease's option 6,
  // or --dns); the first is used. Without one such a URL cannot be used.
  void set_dns_servers(const std::vector<wire::Ipv4Address>& servers);
  const DdnsSchedule& schedule() const { return schedule_; }
  const DdnsUpdaterCounters& counters() const { return counters_; }
  const DdnsSpec& spec() const { return spec_; }

 private:
  DdnsUpdater(socket::Stack& stack, const DdnsSpec& spec, Log log, const DdnsScheduleConfig& sched);
  Instant poll_at() const override;
  void on_timers(Instant now) override;
  void on_done(const UpdateResult& r);

  socket::Stack& stack_;
  DdnsSpec spec_;
  Log log_;
  DdnsSchedule schedule_;
  std::unique_ptr<DdnsBackend> backend_;
  std::optional<wire::Ipv4Address> sending_;
  DdnsUpdaterCounters counters_;
};

}  // namespace synack::apps::ddns
