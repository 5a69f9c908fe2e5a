#include "apps/http/protocol_selector.hpp"

#include "apps/http/h2_session.hpp"
#include "apps/http/http1_connection.hpp"

namespace synack::apps::http {

ProtocolSelector::ProtocolSelector(Factory make, Instant now, Duration timeout)
    : make_(std::move(make)), deadline_(now + timeout) {}

void ProtocolSelector::choose(HttpProtocol p, Instant now) {
  inner_ = make_(p, now);
  http1_ = dynamic_cast<Http1Connection*>(inner_.get());
  std::string held = std::move(held_);
  held_.clear();
  inner_->receive(held, now);
  if (eof_) inner_->receive_eof(now);
  maybe_upgrade(now);
}

void ProtocolSelector::maybe_upgrade(Instant now) {
  if (!http1_ || !http1_->upgrade_ready()) return;
  Http1Connection::Upgrade u = http1_->take_upgrade();
  std::unique_ptr<ProtocolSession> next = make_(HttpProtocol::Http2, now);
  auto* h2 = dynamic_cast<H2Session*>(next.get());
  if (!h2) return;  // the factory makes no HTTP/2: stay (the HTTP/1.1 side closes)
  before_upgrade_ = http1_->requests();
  http1_ = nullptr;
  inner_ = std::move(next);
  h2->upgrade(u.settings, std::move(u.request), now);
  if (!u.rest.empty()) inner_->receive(u.rest, now);
  if (eof_) inner_->receive_eof(now);
}

void ProtocolSelector::receive(std::string_view bytes, Instant now) {
  if (inner_) {
    inner_->receive(bytes, now);
    return maybe_upgrade(now);
  }
  held_.append(bytes);
  std::size_t n = std::min(held_.size(), kHttp2Preface.size());
  if (held_.compare(0, n, kHttp2Preface.substr(0, n)) != 0) {
    choose(HttpProtocol::Http1, now);
  } else if (n == kHttp2Preface.size()) {
    choose(HttpProtocol::Http2, now);
  }
}

void ProtocolSelector::receive_eof(Instant now) {
  eof_ = true;
  if (inner_) inner_->receive_eof(now);
}

std::string_view ProtocolSelector::pending_output() const {
  return inner_ ? inner_->pending_output() : std::string_view();
}

void ProtocolSelector::consume_output(std::size_t n, Instant now) {
  if (!inner_) return;
  inner_->consume_output(n, now);
  maybe_upgrade(now);
}

Instant ProtocolSelector::deadline() const {
  if (inner_) return inner_->deadline();
  return timed_out_ || eof_ ? kNever : deadline_;
}

void ProtocolSelector::on_timer(Instant now) {
  if (inner_) return inner_->on_timer(now);
  if (now >= deadline_) timed_out_ = true;
}

bool ProtocolSelector::finished() const {
  if (inner_) return inner_->finished();
  return eof_ || timed_out_;  // a preface prefix, then nothing
}

}  // namespace synack::apps::http
