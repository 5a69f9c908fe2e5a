#include "apps/ddns/ddns_updater.hpp"

#include <fmt/format.h>

#include "apps/ddns/ddns_backends.hpp"

namespace synack::apps::ddns {

std::unique_ptr<DdnsUpdater> DdnsUpdater::create(socket::Stack& stack, const DdnsSpec& spec,
                                                 Log log, std::string* err,
                                                 const DdnsScheduleConfig& sched) {
  std::unique_ptr<DdnsUpdater> u(new DdnsUpdater(stack, spec, std::move(log), sched));
  u->backend_ = spec.kind == DdnsSpec::Kind::Rfc2136
                    ? make_rfc2136_backend(stack, spec.rfc2136, err)
                    : make_dyndns2_backend(stack, spec.dyndns2, err);
  if (!u->backend_) return nullptr;
  DdnsUpdater* self = u.get();
  u->backend_->set_log([self](const std::string& what) {
    if (self->log_) self->log_(fmt::format("ddns: {}: {}", self->spec_.name(), what));
  });
  stack.add_timer_client(u.get());
  return u;
}

DdnsUpdater::DdnsUpdater(socket::Stack& stack, const DdnsSpec& spec, Log log,
                         const DdnsScheduleConfig& sched)
    : stack_(stack), spec_(spec), log_(std::move(log)), schedule_(sched) {}

DdnsUpdater::~DdnsUpdater() {
  stack_.remove_timer_client(this);
}

void DdnsUpdater::set_address(std::optional<wire::Ipv4Address> addr) {
  schedule_.set_address(stack_.now(), addr);
}

void DdnsUpdater::set_dns_servers(const std::vector<wire::Ipv4Address>& servers) {
  backend_->set_dns_servers(servers);
}

Instant DdnsUpdater::poll_at() const {
  return earliest(schedule_.poll_at(), backend_->poll_at());
}

void DdnsUpdater::on_timers(Instant now) {
  backend_->on_timers(now);
  if (auto a = schedule_.take_due(now)) {
    sending_ = a;
    ++counters_.updates;
    if (log_)
      log_(fmt::format("ddns: updating {} A {} ({})", spec_.name(), a->to_string(),
                       spec_.describe()));
    backend_->start(*a, [this](const UpdateResult& r) { on_done(r); });
  }
}

void DdnsUpdater::on_done(const UpdateResult& r) {
  Instant now = stack_.now();
  schedule_.on_result(now, r);
  std::string addr = sending_ ? sending_->to_string() : "?";
  sending_.reset();
  std::string line =
      fmt::format("ddns: {} A {}: {} ({})", spec_.name(), addr, to_string(r.outcome), r.detail);
  if (r.success()) {
    ++counters_.successes;
  } else {
    ++counters_.failures;
    if (r.outcome == UpdateOutcome::Fatal) {
      line += "; no retry until the address changes";
    } else {
      Instant next = schedule_.poll_at();
      if (next != kNever)
        line += fmt::format("; next try in {}s",
                            std::chrono::duration_cast<std::chrono::seconds>(next - now).count());
    }
  }
  if (log_) log_(line);
}

}  // namespace synack::apps::ddns
