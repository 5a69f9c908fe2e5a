#pragma once
// When to update a dynamic DNS name, with ddclient's discipline, as a
// sans-IO scheduler (it reads no clock; the owner passes the instant):
//
// - an update is wanted when the address differs from the last one the
//   service accepted, or when the last success is `refresh_interval` (25
//   days) old, so that the provider does not expire the name;
// - never within `min_interval` (30 s) of a success or `min_error_interval`
//   (5 min) of a failure, and never before a retry-after the service gave;
// - a fatal answer (bad credentials, no such host, abuse: the user must act)
//   stops updates for that address; a new address gets one attempt again
//   (still after the 5 min);
// - one update at a time.
//
//   DdnsSchedule s;
//   s.set_address(now, addr);                     // at start and on every change
//   if (auto a = s.take_due(now)) backend.update(*a, ...);   // at poll_at()
//   s.on_result(now, result);                     // when the backend answers
#include <optional>
#include <string>

#include "core/time.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::apps::ddns {

struct DdnsScheduleConfig {
  Duration min_interval = std::chrono::seconds(30);
  Duration min_error_interval = std::chrono::minutes(5);
  Duration refresh_interval = std::chrono::hours(25 * 24);
};

// How an update ended.
enum class UpdateOutcome : std::uint8_t {
  Good,       // the service set the address
  NoChange,   // it already had this address (a success, like ddclient's nochg)
  Transient,  // try again later (network error, server failure, 911)
  Fatal,      // the user must act (bad key or credentials, unknown host, abuse)
};
std::string_view to_string(UpdateOutcome o);

struct UpdateResult {
  UpdateOutcome outcome = UpdateOutcome::Transient;
  std::string detail;                   // for the log: the answer word, the rcode, the error
  std::optional<Duration> retry_after;  // the service asked to wait this long
  bool success() const {
    return outcome == UpdateOutcome::Good || outcome == UpdateOutcome::NoChange;
  }
};

class DdnsSchedule {
 public:
  explicit DdnsSchedule(const DdnsScheduleConfig& cfg = {}) : cfg_(cfg) {}

  // The address the name should have now (nullopt: none; nothing is sent).
  void set_address(Instant now, std::optional<wire::Ipv4Address> addr);
  // When take_due() will next return an address (kNever: nothing to do or an
  // update in flight). May lie in the past: due now.
  Instant poll_at() const;
  // The address to send now, if an update is due; the schedule then waits
  // for on_result().
  std::optional<wire::Ipv4Address> take_due(Instant now);
  void on_result(Instant now, const UpdateResult& r);

  bool in_flight() const { return in_flight_.has_value(); }
  const std::optional<wire::Ipv4Address>& address() const { return desired_; }
  // The address the service last accepted, and when.
  const std::optional<wire::Ipv4Address>& registered() const { return ok_addr_; }
  std::optional<Instant> last_success() const { return ok_at_; }

 private:
  bool wanted(Instant now) const;
  Instant earliest() const;

  DdnsScheduleConfig cfg_;
  std::optional<wire::Ipv4Address> desired_;
  std::optional<wire::Ipv4Address> in_flight_;
  std::optional<wire::Ipv4Address> ok_addr_;
  std::optional<Instant> ok_at_;
  std::optional<Instant> failed_at_;  // the last failure since the last success
  std::optional<wire::Ipv4Address> fatal_for_;
  Instant not_before_{};
};

}  // namespace synack::apps::ddns
