#include "apps/http/protocol_selector.hpp"

namespace synack::apps::http {

ProtocolSelector::ProtocolSelector(Factory make, Instant now, Duration timeout)
    : make_(std::move(make)), deadline_(now + timeout) {}

void ProtocolSelector::choose(HttpProtocol p, Instant now) {
  inner_ = make_(p, now);
  std::string held = std::move(held_);
  held_.clear();
  inner_->receive(held, now);
  if (eof_) inner_->receive_eof(now);
}

void ProtocolSelector::receive(std::string_view bytes, Instant now) {
  if (inner_) return inner_->receive(bytes, now);
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
  if (inner_) inner_->consume_output(n, now);
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
