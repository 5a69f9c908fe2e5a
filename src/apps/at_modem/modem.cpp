#include "apps/at_modem/modem.hpp"

#include <fmt/format.h>

namespace synack::apps::at_modem {

Modem::Modem(ModemConfig cfg, LinkFactory& links, NameResolver& resolver, Instant now)
    : cfg_(std::move(cfg)), factory_(links), resolver_(resolver), now_(now), timestamp_at_(now) {}

Modem::~Modem() = default;

// --- output --------------------------------------------------------------------

void Modem::line(std::string_view text) {
  out_ += text;
  out_ += "\r\n";
}

void Modem::ok() {
  out_ += "\r\nOK\r\n";
}

void Modem::error(std::uint32_t code) {
  // esp-at prints `ERR CODE:0x%08x\r\n` straight before its "\r\nERROR\r\n".
  if (syslog_) out_ += fmt::format("ERR CODE:0x{:08x}\r\n", code);
  out_ += "\r\nERROR\r\n";
}

void Modem::trace(std::string text) {
  trace_.push_back(std::move(text));
}

std::string Modem::link_prefix(int id) const {
  return mux_ ? fmt::format("{},", id) : std::string();
}

// --- input ---------------------------------------------------------------------

void Modem::receive(std::string_view text, Instant now) {
  receive(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), now);
}

void Modem::receive(std::span<const std::uint8_t> bytes, Instant now) {
  now_ = now;
  std::size_t i = 0;
  while (i < bytes.size()) {
    switch (mode_) {
      case Mode::Command:
        command_byte(static_cast<char>(bytes[i++]), now);
        break;
      case Mode::SendData:
        if (send_data_byte(static_cast<char>(bytes[i++]))) {
          // Bytes beyond <len> arrive while the module sends: it answers
          // `busy p...` and drops them (they are never run as commands).
          finish_send_data(i < bytes.size(), now);
          if (i < bytes.size())
            trace(fmt::format("at: {} bytes after AT+CIPSEND's data dropped (busy p...)",
                              bytes.size() - i));
          return;
        }
        break;
      case Mode::Passthrough:
        passthrough_input(bytes.subspan(i), now);
        i = bytes.size();
        break;
    }
  }
}

void Modem::command_byte(char c, Instant now) {
  if (echo_) out_ += c;
  if (auto l = reader_.push(c)) execute(*l, now);
}

void Modem::execute(const InputLine& in, Instant now) {
  if (in.too_long) {
    trace(fmt::format("at: a line longer than {} bytes: ERROR", LineReader::kMaxLine));
    error(kParamParse);
    return;
  }
  if (in.text.empty()) return;  // a bare CR LF: ignored
  if (pending_ != Pending::None) {
    // The module still works on the last command: the line is dropped
    // (esp-at's AT_CMD_MSG_BUSY, "\r\nbusy p...\r\n").
    out_ += "\r\nbusy p...\r\n";
    return;
  }
  auto cmd = parse_command_line(in.text);
  if (!cmd) {
    error(in.text.substr(0, 2) == "AT" ? kParamParse : kNoAt);
    return;
  }
  dispatch(*cmd, now);
}

void Modem::dispatch(const CommandLine& cmd, Instant now) {
  // NonOS AT 1.7's _CUR and _DEF forms, which older drivers still send: the
  // same command, with the suffixed name in the answer (`+CWMODE_CUR:1`).
  // Nothing is saved to flash, so _DEF acts like _CUR.
  static constexpr std::string_view kSuffixed[] = {
      "CWMODE", "CWJAP", "CWDHCP", "CIPSTA", "CIPSTAMAC", "CIPAP", "CIPAPMAC", "SYSMSG", "UART"};
  const std::string& n = cmd.name;
  if (n.size() > 4 && (n.ends_with("_CUR") || n.ends_with("_DEF"))) {
    std::string_view base = std::string_view(n).substr(0, n.size() - 4);
    for (std::string_view s : kSuffixed) {
      if (s != base) continue;
      CommandLine plain = cmd;
      plain.name = std::string(base);
      std::size_t mark = out_.size();
      if (!wifi_command(plain)) system_command(plain);
      std::string from = "+" + plain.name + ":", to = "+" + n + ":";
      for (std::size_t at = out_.find(from, mark); at != std::string::npos;
           at = out_.find(from, at + to.size()))
        out_.replace(at, from.size(), to);
      return;
    }
  }
  if (system_command(cmd) || wifi_command(cmd) || link_command(cmd, now) ||
      link_option_command(cmd))
    return;
  error(kUnsupported);
}

// --- time ----------------------------------------------------------------------

void Modem::poll(Instant now) {
  now_ = now;
  for (int id = 0; id < LinkTable::kLinks; ++id)
    if (links_.used(id)) links_[id].link->poll(now);
  if (pending_ == Pending::Resolve) finish_resolve(now);
  if (pending_ == Pending::Connect) finish_connect();
  if (pending_ == Pending::Send) push_send(now);
  if (mode_ == Mode::Passthrough) poll_passthrough(now);
  poll_links(now);
}

Instant Modem::next_deadline() const {
  Instant d = kNever;
  if (framer_) d = earliest(framer_->deadline(), reconnect_at_);
  // AT+CIPSTO's idle time-out is checked once a second.
  if (server_timeout_s_ > 0 && links_.count_server_side() > 0)
    d = earliest(d, now_ + std::chrono::seconds(1));
  return d;
}

// --- start-up and reset ------------------------------------------------------------

void Modem::close_all() {
  server_.reset();
  for (int id = 0; id < LinkTable::kLinks; ++id)
    if (links_.used(id)) links_.release(id);
  framer_.reset();
  mode_ = Mode::Command;
  pending_ = Pending::None;
  lookup_.reset();
}

void Modem::reset(bool factory) {
  ok();
  bool rejoin = wifi_joined_ && !factory && autoconn_;
  close_all();
  reader_.clear();
  echo_ = true;
  mux_ = false;
  passive_ = false;
  dinfo_ = false;
  transparent_ = false;
  sysmsg_ = 0;
  server_max_ = 5;
  server_timeout_s_ = 180;
  reconnect_interval_ = 1;
  had_link_ = false;
  close_abort_ = {};
  timestamp_ = 0;
  timestamp_at_ = now_;
  if (factory) {
    syslog_ = false;
    sysstore_ = true;
    autoconn_ = true;
    cwmode_ = 1;
    wifi_ssid_.clear();
    hostname_.clear();
    cwlap_sort_ = false;
    cwlap_mask_ = 0x7ff;
    cwlap_rssi_min_ = -100;
    cwlap_auth_mask_ = 0xffff;
    dns_servers_.clear();
    resolver_.use_server(std::nullopt);
    ssl_auth_ = {};
    ssl_buffer_ = 4096;
  }
  wifi_joined_ = false;
  wifi_tried_ = rejoin;
  out_ += "\r\nready\r\n";
  // The module joins its saved access point again on its own.
  if (rejoin) {
    wifi_joined_ = true;
    line("WIFI CONNECTED");
    line("WIFI GOT IP");
  }
}

}  // namespace synack::apps::at_modem
