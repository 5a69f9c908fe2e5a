// Sending: AT+CIPSEND=[<id>,]<len> and AT+CIPSENDEX (`OK`, `>`, exactly
// <len> bytes or, for EX, up to a `\0`, then `Recv <len> bytes` and
// `SEND OK` once the link took them, or `SEND FAIL`), and passthrough
// (AT+CIPMODE=1 then a bare AT+CIPSEND).
#include <fmt/format.h>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

void Modem::cmd_send(const CommandLine& cmd, bool ex, Instant now) {
  if (cmd.form == CommandForm::Exec && !ex) {
    if (!transparent_ || mux_ || !links_.used(0) || links_[0].link->status() != LinkStatus::Open) {
      trace("at: bare AT+CIPSEND needs AT+CIPMODE=1, AT+CIPMUX=0 and an open link");
      error(kExecFailed);
      return;
    }
    ok();
    out_ += "\r\n>";
    mode_ = Mode::Passthrough;
    framer_.emplace(now);
    send_buf_.clear();
    passthrough_to_ = links_[0].link->remote();
    passthrough_ssl_ = links_[0].link->kind() == LinkKind::Ssl;
    reconnect_at_ = kNever;
    trace("at: passthrough on link 0");
    return;
  }
  // [<id>,]<len>[,<remote host>,<remote port>]: the last two for UDP only.
  std::size_t at = mux_ ? 1 : 0;
  auto id = mux_ ? parse_link_id(cmd, 0) : std::optional<int>(0);
  auto len = cmd.number(at, 1, kMaxSend);
  bool has_to = cmd.args.size() == at + 3;
  if (cmd.form != CommandForm::Set || !id || !len || (cmd.args.size() != at + 1 && !has_to)) {
    error(kParamInvalid);
    return;
  }
  std::optional<Endpoint> to;
  if (has_to) {
    auto host = cmd.string(at + 1);
    auto addr = host ? wire::Ipv4Address::parse(*host) : std::nullopt;
    auto port = cmd.number(at + 2, 1, 65535);
    if (!addr || !port) {
      error(kParamInvalid);
      return;
    }
    to = Endpoint{*addr, static_cast<std::uint16_t>(*port)};
  }
  if (transparent_ || !links_.used(*id) || links_[*id].link->status() != LinkStatus::Open) {
    trace(transparent_ ? "at: AT+CIPSEND=<len> is not for passthrough mode (AT+CIPMODE=1)"
                       : fmt::format("at: AT+CIPSEND: link {} is not open", *id));
    error(kExecFailed);
    return;
  }
  if (to && links_[*id].link->kind() != LinkKind::Udp) {
    trace("at: AT+CIPSEND's remote host and port are for UDP links only");
    error(kParamInvalid);
    return;
  }
  ok();
  out_ += "\r\n>";
  mode_ = Mode::SendData;
  send_id_ = *id;
  send_len_ = static_cast<std::size_t>(*len);
  send_to_ = to;
  send_ex_ = ex;
  send_backslashes_ = 0;
  send_received_ = 0;
  send_buf_.clear();
}

// AT+CIPSENDEX: the two bytes `\0` end the data early; `\\0` sends the two
// bytes `\0`; every other backslash is data as it is. Backslashes are held
// back (at most two) until the next byte tells which they are.
bool Modem::send_data_byte(char c) {
  ++send_received_;
  if (!send_ex_) {
    send_buf_ += c;
  } else if (c == '\\' && send_backslashes_ < 2) {
    ++send_backslashes_;
  } else if (c == '\\') {  // a third: the first of the two held is data
    send_buf_ += '\\';
  } else if (c == '0' && send_backslashes_ == 1) {
    send_backslashes_ = 0;
    return true;  // `\0`: the end
  } else {
    if (c == '0' && send_backslashes_ == 2) send_backslashes_ = 1;  // `\\0` -> `\0`
    send_buf_.append(static_cast<std::size_t>(send_backslashes_), '\\');
    send_backslashes_ = 0;
    send_buf_ += c;
  }
  if (send_received_ < send_len_) return false;
  send_buf_.append(static_cast<std::size_t>(send_backslashes_), '\\');
  send_backslashes_ = 0;
  return true;
}

void Modem::finish_send_data(bool overflow, Instant now) {
  mode_ = Mode::Command;
  out_ += fmt::format("\r\nRecv {} bytes\r\n", send_buf_.size());
  if (overflow) out_ += "\r\nbusy p...\r\n";
  pending_ = Pending::Send;
  send_done_ = 0;
  push_send(now);
}

void Modem::push_send(Instant now) {
  if (!links_.used(send_id_) || links_[send_id_].link->status() != LinkStatus::Open) {
    trace(fmt::format("at: link {} closed before its data was sent", send_id_));
    out_ += "\r\nSEND FAIL\r\n";
    pending_ = Pending::None;
    return;
  }
  LinkSlot& s = links_[send_id_];
  if (s.link->kind() == LinkKind::Udp) {
    // One datagram, sent at once or not at all.
    std::span<const std::uint8_t> all(reinterpret_cast<const std::uint8_t*>(send_buf_.data()),
                                      send_buf_.size());
    bool sent = send_to_ ? s.link->send_to(*send_to_, all) : s.link->write(all) == all.size();
    pending_ = Pending::None;
    if (!sent) {
      if (std::string note = s.link->take_note(); !note.empty())
        trace(fmt::format("at: link {}: {}", send_id_, note));
      trace(fmt::format("at: link {}: the datagram of {} bytes was not sent", send_id_,
                        send_buf_.size()));
      out_ += "\r\nSEND FAIL\r\n";
      return;
    }
    s.last_active = now;
    out_ += "\r\nSEND OK\r\n";
    return;
  }
  std::span<const std::uint8_t> rest(
      reinterpret_cast<const std::uint8_t*>(send_buf_.data()) + send_done_,
      send_buf_.size() - send_done_);
  if (!rest.empty() && s.link->writable() > 0) send_done_ += s.link->write(rest);
  if (send_done_ < send_buf_.size()) return;
  s.last_active = now;
  out_ += "\r\nSEND OK\r\n";
  pending_ = Pending::None;
}

void Modem::passthrough_input(std::span<const std::uint8_t> bytes, Instant now) {
  framer_->push(bytes, now, passthrough_packets_);
  for (std::string& p : passthrough_packets_)
    send_buf_ += p;
  passthrough_packets_.clear();
  poll_passthrough(now);
}

void Modem::poll_passthrough(Instant now) {
  std::string packet;
  switch (framer_->poll(now, packet)) {
    case PassthroughFramer::Tick::Escape:
      leave_passthrough();
      return;
    case PassthroughFramer::Tick::Packet:
      send_buf_ += packet;
      break;
    case PassthroughFramer::Tick::Nothing:
      break;
  }
  if (!links_.used(0)) {
    send_buf_.clear();  // no link: the bytes are lost, as on the module
    if (now >= reconnect_at_) reconnect_passthrough(now);
    return;
  }
  if (send_buf_.empty()) return;
  Link& l = *links_[0].link;
  if (l.writable() == 0) return;
  std::size_t n =
      l.write(std::span(reinterpret_cast<const std::uint8_t*>(send_buf_.data()), send_buf_.size()));
  send_buf_.erase(0, n);
  links_[0].last_active = now;
}

void Modem::reconnect_passthrough(Instant now) {
  TcpOptions opts;
  opts.receive_buffer = kPassiveWindow;
  Result<std::unique_ptr<Link>, OpenError> link = OpenError::Unsupported;
  if (passthrough_ssl_) {
    SslOptions ssl;
    ssl.tcp = opts;
    ssl.verify = ssl_auth_[0] >= 2;
    ssl.host = passthrough_to_.addr.to_string();
    link = factory_.open_ssl(passthrough_to_, ssl);
  } else {
    link = factory_.open_tcp(passthrough_to_, opts);
  }
  if (!link) {
    trace(fmt::format("at: passthrough: cannot open a link: {}", to_string(link.error())));
    reconnect_at_ = now + std::chrono::milliseconds(100 * reconnect_interval_);
    return;
  }
  trace(fmt::format("at: passthrough: reconnecting to {}:{}", passthrough_to_.addr.to_string(),
                    passthrough_to_.port));
  LinkSlot& s = links_[0];
  s.link = std::move(*link);
  s.announced = false;  // `CONNECT` once it opens, with AT+SYSMSG bit 2
  s.last_active = now;
  reconnect_at_ = kNever;
}

void Modem::leave_passthrough() {
  mode_ = Mode::Command;
  if (links_.used(0)) links_[0].announced = true;  // its `CLOSED` is printed again
  reconnect_at_ = kNever;
  framer_.reset();
  send_buf_.clear();
  reader_.clear();
  trace("at: passthrough ended");
  if (sysmsg_ & 1) line("+QUITT");
}

}  // namespace synack::apps::at_modem
