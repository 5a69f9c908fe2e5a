#include "apps/ddns/ddns_schedule.hpp"

#include <algorithm>

namespace synack::apps::ddns {

std::string_view to_string(UpdateOutcome o) {
  switch (o) {
    case UpdateOutcome::Good:
      return "good";
    case UpdateOutcome::NoChange:
      return "nochg";
    case UpdateOutcome::Transient:
      return "transient failure";
    case UpdateOutcome::Fatal:
      return "fatal failure";
  }
  return "?";
}

void DdnsSchedule::set_address(Instant now, std::optional<wire::Ipv4Address> addr) {
  (void)now;
  desired_ = addr;
}

bool DdnsSchedule::wanted(Instant now) const {
  if (!desired_ || in_flight_) return false;
  if (fatal_for_ && *fatal_for_ == *desired_) return false;
  if (!ok_addr_ || *ok_addr_ != *desired_) return true;
  return now >= *ok_at_ + cfg_.refresh_interval;
}

Instant DdnsSchedule::earliest() const {
  Instant t = not_before_;
  if (ok_at_) t = std::max(t, *ok_at_ + cfg_.min_interval);
  if (failed_at_) t = std::max(t, *failed_at_ + cfg_.min_error_interval);
  return t;
}

Instant DdnsSchedule::poll_at() const {
  if (!desired_ || in_flight_) return kNever;
  if (fatal_for_ && *fatal_for_ == *desired_) return kNever;
  if (!ok_addr_ || *ok_addr_ != *desired_) return earliest();
  return std::max(earliest(), *ok_at_ + cfg_.refresh_interval);
}

std::optional<wire::Ipv4Address> DdnsSchedule::take_due(Instant now) {
  if (!wanted(now) || now < earliest()) return std::nullopt;
  in_flight_ = desired_;
  return in_flight_;
}

void DdnsSchedule::on_result(Instant now, const UpdateResult& r) {
  if (!in_flight_) return;
  wire::Ipv4Address sent = *in_flight_;
  in_flight_.reset();
  if (r.success()) {
    ok_addr_ = sent;
    ok_at_ = now;
    failed_at_.reset();
    fatal_for_.reset();
  } else {
    failed_at_ = now;
    if (r.outcome == UpdateOutcome::Fatal) fatal_for_ = sent;
  }
  if (r.retry_after) not_before_ = std::max(not_before_, now + *r.retry_after);
}

}  // namespace synack::apps::ddns
