// The TCP/IP commands that set up, inspect and close links: AT+CIPMUX,
// AT+CIPSTART(EX), AT+CIPCLOSE, AT+CIPSTATUS, AT+CIPSTATE, AT+CIPSERVER,
// AT+CIPSERVERMAXCONN, AT+CIPSTO, AT+CIPDINFO, AT+CIPMODE,
// AT+CIPRECVMODE, AT+CIPRECVDATA, AT+CIPRECVLEN, AT+CIPDOMAIN.
#include <fmt/format.h>

#include <functional>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

namespace {

// A 0/1 setting: `+NAME:<v>` for the query, `=0|1` to set it. `apply`
// returns false when the module's state refuses the change.
struct ToggleAnswers {
  std::function<void()> ok, bad_argument, refused;
};
template <typename Apply>
void toggle(const CommandLine& cmd, bool current, Apply apply, std::string& out,
            const ToggleAnswers& answer) {
  if (cmd.form == CommandForm::Query) {
    out += fmt::format("+{}:{}\r\n", cmd.name, current ? 1 : 0);
    answer.ok();
  } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && cmd.number(0, 0, 1)) {
    if (apply(*cmd.number(0, 0, 1) == 1))
      answer.ok();
    else
      answer.refused();
  } else {
    answer.bad_argument();
  }
}

}  // namespace

std::optional<int> Modem::parse_link_id(const CommandLine& cmd, std::size_t i) const {
  auto id = cmd.number(i, 0, LinkTable::kLinks - 1);
  if (!id) return std::nullopt;
  return static_cast<int>(*id);
}

bool Modem::link_command(const CommandLine& cmd, Instant now) {
  const std::string& n = cmd.name;
  ToggleAnswers answers{[this] { ok(); }, [this] { error(kParamInvalid); },
                        [this] { error(kExecFailed); }};
  if (n == "CIPMUX") {
    toggle(
        cmd, mux_,
        [&](bool on) {
          if (links_.count() > 0 || (on && transparent_) || (!on && server_)) {
            trace("at: AT+CIPMUX changes only with no link, no server and AT+CIPMODE=0");
            return false;
          }
          mux_ = on;
          return true;
        },
        out_, answers);
  } else if (n == "CIPMODE") {
    toggle(
        cmd, transparent_,
        [&](bool on) {
          if (on && mux_) {
            trace("at: passthrough (AT+CIPMODE=1) needs AT+CIPMUX=0");
            return false;
          }
          transparent_ = on;
          return true;
        },
        out_, answers);
  } else if (n == "CIPRECVMODE") {
    toggle(
        cmd, passive_,
        [&](bool on) {
          passive_ = on;
          for (int id = 0; id < LinkTable::kLinks; ++id)
            links_[id].ipd_pending = false;
          return true;
        },
        out_, answers);
  } else if (n == "CIPDINFO") {
    if (cmd.form == CommandForm::Query) {
      line(dinfo_ ? "+CIPDINFO:true" : "+CIPDINFO:false");
      ok();
    } else {
      toggle(
          cmd, dinfo_,
          [&](bool on) {
            dinfo_ = on;
            return true;
          },
          out_, answers);
    }
  } else if (n == "CIPSTART" || n == "CIPSTARTEX") {
    if (cmd.form != CommandForm::Set) {
      error(kOpError);
      return true;
    }
    cmd_start(cmd, n == "CIPSTARTEX", now);
  } else if (n == "CIPSEND" || n == "CIPSENDEX") {
    cmd_send(cmd, n == "CIPSENDEX", now);
  } else if (n == "CIPCLOSE") {
    cmd_close(cmd);
  } else if (n == "CIPSTATUS" || n == "CIPSTATE") {
    if (cmd.form != (n == "CIPSTATUS" ? CommandForm::Exec : CommandForm::Query)) {
      error(kOpError);
      return true;
    }
    cmd_status(n == "CIPSTATE");
  } else if (n == "CIPSERVER") {
    cmd_server(cmd);
  } else if (n == "CIPRECONNINTV") {
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+CIPRECONNINTV:{}", reconnect_interval_));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && cmd.number(0, 1, 36000)) {
      reconnect_interval_ = static_cast<int>(*cmd.number(0, 1, 36000));
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CIPSERVERMAXCONN" || n == "CIPSTO") {
    bool maxconn = n == "CIPSERVERMAXCONN";
    int& value = maxconn ? server_max_ : server_timeout_s_;
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+{}:{}", n, value));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 &&
               cmd.number(0, maxconn ? 1 : 0, maxconn ? LinkTable::kLinks : 7200)) {
      if (maxconn && server_) {
        trace("at: AT+CIPSERVERMAXCONN must come before AT+CIPSERVER=1");
        error(kExecFailed);
        return true;
      }
      value = static_cast<int>(*cmd.number(0, 0, 7200));
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CIPRECVDATA") {
    if (cmd.form != CommandForm::Set) {
      error(kOpError);
      return true;
    }
    cmd_recv_data(cmd);
  } else if (n == "CIPRECVLEN") {
    if (cmd.form != CommandForm::Query) {
      error(kOpError);
      return true;
    }
    cmd_recv_len();
  } else if (n == "CIPDOMAIN") {
    cmd_domain(cmd);
  } else {
    return false;
  }
  return true;
}

void Modem::cmd_start(const CommandLine& cmd, bool auto_id, Instant now) {
  // [<id>,]"TCP"|"UDP"|"SSL",<host>,<port>[,<keepalive>|,<local port>,<mode>][,<local IP>]
  std::size_t at = 0;
  int id = 0;
  if (mux_ && !auto_id) {
    auto i = parse_link_id(cmd, 0);
    if (!i) {
      error(kParamInvalid);
      return;
    }
    id = *i;
    at = 1;
  }
  auto type = cmd.string(at);
  auto host = cmd.string(at + 1);
  auto port = cmd.number(at + 2, 1, 65535);
  std::size_t extra = cmd.args.size() - std::min(cmd.args.size(), at + 3);
  if (!type || !host || !port || host->empty() || extra > 3) {
    error(kParamInvalid);
    return;
  }
  LinkKind kind;
  if (*type == "TCP") {
    kind = LinkKind::Tcp;
    if (extra > 2 || (extra >= 1 && !cmd.empty_arg(at + 3) && !cmd.number(at + 3, 0, 7200)) ||
        (extra == 2 && !cmd.empty_arg(at + 4) && !cmd.string(at + 4))) {
      error(kParamInvalid);
      return;
    }
  } else if (*type == "UDP") {
    kind = LinkKind::Udp;
    // [,<local port>[,<mode>]][,<local IP>]
    if ((extra >= 1 && !cmd.empty_arg(at + 3) && !cmd.number(at + 3, 1, 65535)) ||
        (extra >= 2 && !cmd.empty_arg(at + 4) && !cmd.number(at + 4, 0, 2)) ||
        (extra == 3 && !cmd.empty_arg(at + 5) && !cmd.string(at + 5))) {
      error(kParamInvalid);
      return;
    }
  } else if (*type == "SSL") {
    kind = LinkKind::Ssl;
    // [,<keep alive>]: as TCP.
    if (extra > 1 || (extra == 1 && !cmd.empty_arg(at + 3) && !cmd.number(at + 3, 0, 7200))) {
      error(kParamInvalid);
      return;
    }
  } else {
    error(kParamInvalid);
    return;
  }
  if (!wifi_joined_) {
    trace("at: AT+CIPSTART before joining a network (AT+CWJAP)");
    error(kExecFailed);
    return;
  }
  if (auto_id && mux_) {
    auto free = links_.lowest_free();
    if (!free) {
      trace("at: no free link id");
      error(kExecFailed);
      return;
    }
    id = *free;
  }
  if (links_.used(id)) {
    line("ALREADY CONNECTED");
    error(kExecFailed);
    return;
  }
  pending_id_ = id;
  pending_auto_id_ = auto_id;
  pending_domain_ = false;
  pending_kind_ = kind;
  pending_port_ = static_cast<std::uint16_t>(*port);
  pending_host_ = *host;
  // The fourth argument: TCP's keep-alive, or UDP's local port.
  auto fourth = extra >= 1 ? cmd.number(at + 3, 0, 65535) : std::nullopt;
  pending_keepalive_ = kind != LinkKind::Udp && fourth ? static_cast<int>(*fourth) : 0;
  pending_local_port_ = kind == LinkKind::Udp && fourth ? static_cast<std::uint16_t>(*fourth) : 0;
  auto fifth = kind == LinkKind::Udp && extra >= 2 ? cmd.number(at + 4, 0, 2) : std::nullopt;
  pending_udp_mode_ = static_cast<UdpMode>(fifth ? *fifth : 0);
  lookup_ = resolver_.lookup(*host);
  pending_ = Pending::Resolve;
  trace(fmt::format("at: link {}: {} to {}:{}", id, to_string(kind), *host, *port));
  finish_resolve(now);
}

void Modem::finish_resolve(Instant now) {
  auto answer = lookup_->result();
  if (!answer) return;
  lookup_.reset();
  pending_ = Pending::None;
  if (!answer->addr) {
    trace("at: DNS Fail: " + answer->error);
    line("DNS Fail");
    error(kExecFailed);
    // AT+CIPSTART fails like a refused link: ERROR, then CLOSED.
    if (!pending_domain_) line(link_prefix(pending_id_) + "CLOSED");
    return;
  }
  if (pending_domain_) {
    line(fmt::format("+CIPDOMAIN:\"{}\"", answer->addr->to_string()));
    ok();
    return;
  }
  Endpoint to{*answer->addr, pending_port_};
  Result<std::unique_ptr<Link>, OpenError> link = OpenError::Unsupported;
  TcpOptions opts;
  opts.keepalive_s = pending_keepalive_;
  opts.receive_buffer = kPassiveWindow;
  if (pending_kind_ == LinkKind::Tcp) {
    link = factory_.open_tcp(to, opts);
  } else if (pending_kind_ == LinkKind::Ssl) {
    SslOptions ssl;
    ssl.tcp = opts;
    ssl.verify = ssl_auth_[static_cast<std::size_t>(pending_id_)] >= 2;
    ssl.host = pending_host_;
    link = factory_.open_ssl(to, ssl);
  } else {
    link = factory_.open_udp(to, pending_local_port_, pending_udp_mode_);
  }
  if (!link) {
    trace(fmt::format("at: cannot open a {} link: {}", to_string(pending_kind_),
                      to_string(link.error())));
    error(kExecFailed);
    return;
  }
  LinkSlot& s = links_[pending_id_];
  s.link = std::move(*link);
  s.last_active = now;
  had_link_ = true;
  pending_ = Pending::Connect;
  finish_connect();
}

void Modem::finish_connect() {
  LinkSlot& s = links_[pending_id_];
  LinkStatus st = s.link->status();
  if (st == LinkStatus::Connecting) return;
  pending_ = Pending::None;
  if (st == LinkStatus::Open) {
    trace(fmt::format("at: link {} connected from port {}", pending_id_, s.link->local_port()));
    announce_connect(pending_id_);
    ok();
    return;
  }
  trace(fmt::format("at: link {} failed: {}", pending_id_, s.link->failure()));
  links_.release(pending_id_);
  error(kExecFailed);
  line(link_prefix(pending_id_) + "CLOSED");
}

void Modem::cmd_close(const CommandLine& cmd) {
  std::vector<int> ids;
  if (cmd.form == CommandForm::Exec && !mux_) {
    ids.push_back(0);
  } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && mux_ &&
             cmd.number(0, 0, LinkTable::kLinks)) {
    int id = static_cast<int>(*cmd.number(0, 0, LinkTable::kLinks));
    if (id == LinkTable::kLinks) {
      for (int i = 0; i < LinkTable::kLinks; ++i)
        if (links_.used(i)) ids.push_back(i);
      if (ids.empty()) {
        ok();
        return;
      }
    } else {
      ids.push_back(id);
    }
  } else {
    error(kParamInvalid);
    return;
  }
  for (int id : ids)
    if (!links_.used(id)) {
      trace(fmt::format("at: AT+CIPCLOSE: link {} is not open", id));
      error(kExecFailed);
      return;
    }
  for (int id : ids) {
    announce_closed(id);
    release_link(id);
  }
  ok();
}

void Modem::cmd_status(bool state_form) {
  if (!state_form) {
    // <stat>: 0 station not initialised (AT+CWMODE 0 or 2), 1 no join tried
    // yet, 2 joined with an address, 3 a link open, 4 every link closed,
    // 5 not joined (a join failed, or AT+CWQAP).
    bool station = cwmode_ == 1 || cwmode_ == 3;
    int status = !station             ? 0
                 : !wifi_joined_      ? (wifi_tried_ ? 5 : 1)
                 : links_.count() > 0 ? 3
                 : had_link_          ? 4
                                      : 2;
    line(fmt::format("STATUS:{}", status));
  }
  for (int id = 0; id < LinkTable::kLinks; ++id) {
    if (!links_.used(id)) continue;
    const LinkSlot& s = links_[id];
    if (s.link->status() == LinkStatus::Connecting) continue;
    Endpoint r = s.link->remote();
    line(fmt::format("+{}:{},\"{}\",\"{}\",{},{},{}", state_form ? "CIPSTATE" : "CIPSTATUS", id,
                     to_string(s.link->kind()), r.addr.to_string(), r.port, s.link->local_port(),
                     s.server_side ? 1 : 0));
  }
  ok();
}

void Modem::cmd_server(const CommandLine& cmd) {
  if (cmd.form == CommandForm::Query) {
    // +CIPSERVER:<mode>[,<port>,<"type">]: the ESP8266 has no <CA enable>.
    line(server_ ? fmt::format("+CIPSERVER:1,{},\"TCP\"", server_port_) : "+CIPSERVER:0");
    ok();
    return;
  }
  auto mode = cmd.number(0, 0, 1);
  if (cmd.form != CommandForm::Set || !mode || cmd.args.size() > 2) {
    error(kParamInvalid);
    return;
  }
  if (*mode == 0) {
    if (cmd.args.size() == 2 && !cmd.number(1, 0, 1)) {
      error(kParamInvalid);
      return;
    }
    server_.reset();
    if (cmd.args.size() == 2 && *cmd.number(1, 0, 1) == 1) {
      for (int id = 0; id < LinkTable::kLinks; ++id)
        if (links_.used(id) && links_[id].server_side) {
          announce_closed(id);
          release_link(id);
        }
    }
    ok();
    return;
  }
  std::uint16_t port = 333;
  if (cmd.args.size() == 2) {
    auto p = cmd.number(1, 1, 65535);
    if (!p) {
      error(kParamInvalid);
      return;
    }
    port = static_cast<std::uint16_t>(*p);
  }
  if (!mux_ || server_) {
    trace(server_ ? "at: a server is already running" : "at: AT+CIPSERVER=1 needs AT+CIPMUX=1");
    error(kExecFailed);
    return;
  }
  TcpOptions opts;
  opts.receive_buffer = kPassiveWindow;
  auto s = factory_.listen_tcp(port, opts);
  if (!s) {
    trace(fmt::format("at: cannot listen on port {}: {}", port, to_string(s.error())));
    error(kExecFailed);
    return;
  }
  server_ = std::move(*s);
  server_port_ = port;
  trace(fmt::format("at: server listening on port {}", port));
  ok();
}

void Modem::cmd_recv_data(const CommandLine& cmd) {
  std::size_t at = mux_ ? 1 : 0;
  auto id = mux_ ? parse_link_id(cmd, 0) : std::optional<int>(0);
  auto len = cmd.number(at, 1, 0x7fffffff);
  if (!id || !len || cmd.args.size() != at + 1) {
    error(kParamInvalid);
    return;
  }
  if (!passive_ || !links_.used(*id) || links_[*id].link->readable() == 0) {
    trace(fmt::format("at: AT+CIPRECVDATA: nothing to read on link {}", *id));
    error(kExecFailed);
    return;
  }
  LinkSlot& s = links_[*id];
  Endpoint from = s.link->source();  // before the read: a UDP link's next sender
  std::string data(std::min<std::size_t>(static_cast<std::size_t>(*len), s.link->readable()), '\0');
  std::size_t n =
      s.link->read(std::span(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
  data.resize(n);
  s.ipd_pending = false;
  s.last_active = now_;
  if (dinfo_) {
    out_ += fmt::format("+CIPRECVDATA:{},\"{}\",{},", n, from.addr.to_string(), from.port);
  } else {
    out_ += fmt::format("+CIPRECVDATA:{},", n);
  }
  out_ += data;
  ok();
}

void Modem::cmd_recv_len() {
  // One length per link id; -1 for an id with no open link.
  std::string text = "+CIPRECVLEN:";
  for (int id = 0; id < LinkTable::kLinks; ++id) {
    if (id > 0) text += ',';
    bool open = links_.used(id) &&
                (links_[id].link->status() == LinkStatus::Open || links_[id].link->readable() > 0);
    text += open ? std::to_string(links_[id].link->readable()) : "-1";
  }
  line(text);
  ok();
}

void Modem::cmd_domain(const CommandLine& cmd) {
  auto host = cmd.string(0);
  if (cmd.form != CommandForm::Set || !host || host->empty() || cmd.args.size() > 2) {
    error(kParamInvalid);
    return;
  }
  pending_domain_ = true;
  lookup_ = resolver_.lookup(*host);
  pending_ = Pending::Resolve;
  finish_resolve(now_);
}

}  // namespace synack::apps::at_modem
