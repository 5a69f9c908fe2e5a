// What the links bring: clients of the server, data (`+IPD` in active mode,
// a `+IPD,<len>` notice in passive mode, raw bytes in passthrough), and
// the end of a link (`CLOSED`, held back in passive mode until every
// buffered byte was read). Unsolicited lines are whole lines, appended
// between command responses, never inside one.
#include <fmt/format.h>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

void Modem::poll_links(Instant now) {
  accept_clients(now);
  for (int id = 0; id < LinkTable::kLinks; ++id) {
    if (!links_.used(id)) continue;
    if (pending_ == Pending::Connect && id == pending_id_) continue;
    LinkSlot& s = links_[id];
    if (std::string note = s.link->take_note(); !note.empty())
      trace(fmt::format("at: link {}: {}", id, note));
    deliver(id, now);
    if (s.server_side && server_timeout_s_ > 0 &&
        now - s.last_active >= std::chrono::seconds(server_timeout_s_)) {
      trace(fmt::format("at: link {} idle for {} s (AT+CIPSTO): closed", id, server_timeout_s_));
      announce_closed(id);
      release_link(id);
      continue;
    }
    if (mode_ == Mode::Passthrough && id == 0 && !s.announced &&
        s.link->status() == LinkStatus::Open) {
      // A link passthrough opened again: `CONNECT` only with AT+SYSMSG bit 2.
      s.announced = true;
      if (sysmsg_ & 4) announce_connect(id);
    }
    if (link_finished(s) && mode_ == Mode::Passthrough && id == 0) {
      // The serial side is a raw data channel now: nothing is printed unless
      // AT+SYSMSG's bit 2 asks for the link's messages in passthrough; the
      // link is opened again (see reconnect_passthrough).
      trace(fmt::format("at: passthrough link {}: {}; reconnecting every {} ms", id,
                        s.link->status() == LinkStatus::Failed ? s.link->failure() : "closed",
                        reconnect_interval_ * 100));
      if (sysmsg_ & 4) announce_closed(id);
      links_.release(id);
      reconnect_at_ = now + std::chrono::milliseconds(100 * reconnect_interval_);
      continue;
    }
    if (link_finished(s)) {
      if (s.link->status() == LinkStatus::Failed)
        trace(fmt::format("at: link {} ended: {}", id, s.link->failure()));
      else
        trace(fmt::format("at: link {} closed by the peer", id));
      announce_closed(id);
      release_link(id);
    }
  }
}

bool Modem::link_finished(const LinkSlot& s) const {
  if (s.link->readable() > 0) return false;  // CLOSED waits for the data
  LinkStatus st = s.link->status();
  return st == LinkStatus::Failed || st == LinkStatus::Closed || s.link->at_eof();
}

void Modem::accept_clients(Instant now) {
  while (server_) {
    std::unique_ptr<Link> l = server_->accept();
    if (!l) return;
    auto id = links_.lowest_free();
    if (!id || links_.count_server_side() >= server_max_) {
      Endpoint r = l->remote();
      trace(fmt::format("at: client {}:{} refused: {} server links in use", r.addr.to_string(),
                        r.port, links_.count_server_side()));
      l->close();
      continue;
    }
    LinkSlot& s = links_[*id];
    s.link = std::move(l);
    s.server_side = true;
    s.last_active = now;
    had_link_ = true;
    Endpoint r = s.link->remote();
    trace(fmt::format("at: link {}: client {}:{}", *id, r.addr.to_string(), r.port));
    announce_connect(*id);
  }
}

void Modem::deliver(int id, Instant now) {
  LinkSlot& s = links_[id];
  if (mode_ == Mode::Passthrough && id == 0) {
    std::uint8_t buf[kMaxIpd];
    while (s.link->readable() > 0 && out_.size() < kOutputHighWater) {
      std::size_t n = s.link->read(buf);
      out_.append(reinterpret_cast<const char*>(buf), n);
      s.last_active = now;
    }
    return;
  }
  if (passive_) {
    std::size_t n = s.link->readable();
    if (n > 0 && !s.ipd_pending) {
      out_ += fmt::format("\r\n+IPD,{}{}\r\n", link_prefix(id), n);
      s.ipd_pending = true;
      s.last_active = now;
    }
    return;
  }
  if (s.link->readable() == 0) return;
  // TCP: at most kMaxIpd bytes per +IPD; UDP: one datagram per +IPD.
  std::vector<std::uint8_t> buf(s.link->kind() == LinkKind::Udp ? kMaxDatagram : kMaxIpd);
  while (s.link->readable() > 0 && out_.size() < kOutputHighWater) {
    Endpoint from = s.link->source();
    std::size_t n = s.link->read(buf);
    if (n == 0) break;
    out_ += fmt::format("\r\n+IPD,{}{}", link_prefix(id), n);
    if (dinfo_) out_ += fmt::format(",\"{}\",{}", from.addr.to_string(), from.port);
    out_ += ':';
    out_.append(reinterpret_cast<const char*>(buf.data()), n);
    s.last_active = now;
  }
}

// AT+SYSMSG bit 1: `+LINK_CONN:<status_type>,<link_id>,<"type">,<c/s>,
// <"remote_ip">,<remote_port>,<local_port>` in place of `[<id>,]CONNECT`.
// A close is `[<id>,]CLOSED` either way.
void Modem::announce_connect(int id) {
  LinkSlot& s = links_[id];
  s.announced = true;
  if (sysmsg_ & 2) {
    Endpoint r = s.link->remote();
    line(fmt::format("+LINK_CONN:0,{},\"{}\",{},\"{}\",{},{}", id, to_string(s.link->kind()),
                     s.server_side ? 1 : 0, r.addr.to_string(), r.port, s.link->local_port()));
  } else {
    line(link_prefix(id) + "CONNECT");
  }
}

void Modem::announce_closed(int id) {
  LinkSlot& s = links_[id];
  if (!s.announced) return;
  line(link_prefix(id) + "CLOSED");
}

void Modem::release_link(int id) {
  if (links_.used(id) && close_abort_[static_cast<std::size_t>(id)]) {
    trace(fmt::format("at: link {} aborted (AT+CIPCLOSEMODE=1): RST", id));
    links_[id].link->abort();
  }
  close_abort_[static_cast<std::size_t>(id)] = false;
  links_.release(id);
}

}  // namespace synack::apps::at_modem
