// Per-link options set before or while a link is open: AT+CIPCLOSEMODE
// (close with a RST), AT+CIPSSLSIZE and AT+CIPSSLCCONF (esp-at v2.2 for
// ESP8266, "TCP/IP AT Commands").
#include <fmt/format.h>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

bool Modem::link_option_command(const CommandLine& cmd) {
  const std::string& n = cmd.name;
  std::size_t at = mux_ ? 1 : 0;
  if (n == "CIPCLOSEMODE") {
    // AT+CIPCLOSEMODE=[<link ID>,]<enable_abort>: 1 closes the link with a
    // RST instead of a FIN; the setting lasts until the link is gone.
    auto id = mux_ ? parse_link_id(cmd, 0) : std::optional<int>(0);
    auto abort = cmd.number(at, 0, 1);
    if (cmd.form != CommandForm::Set || !id || !abort || cmd.args.size() != at + 1) {
      error(kParamInvalid);
      return true;
    }
    if (!links_.used(*id)) {
      trace(fmt::format("at: AT+CIPCLOSEMODE: link {} is not open", *id));
      error(kExecFailed);
      return true;
    }
    close_abort_[static_cast<std::size_t>(*id)] = *abort == 1;
    ok();
  } else if (n == "CIPSSLSIZE") {
    // AT+CIPSSLSIZE=<size>: the ESP8266's SSL buffer. OpenSSL sizes its own
    // buffers, so the value is checked and kept only.
    if (cmd.form != CommandForm::Set || cmd.args.size() != 1 || !cmd.number(0, 2048, 16384)) {
      error(kParamInvalid);
      return true;
    }
    ssl_buffer_ = static_cast<int>(*cmd.number(0, 2048, 16384));
    ok();
  } else if (n == "CIPSSLCCONF") {
    if (cmd.form == CommandForm::Query) {
      // +CIPSSLCCONF:<link ID>,<auth_mode>,<pki_number>,<ca_number> per link.
      int ids = mux_ ? LinkTable::kLinks : 1;
      for (int id = 0; id < ids; ++id)
        line(fmt::format("+CIPSSLCCONF:{},{},0,0", id, ssl_auth_[static_cast<std::size_t>(id)]));
      ok();
      return true;
    }
    // [<link ID>,]<auth_mode>[,<pki_number>][,<ca_number>]; link ID 5 is
    // every link. Mode 2 checks the server's certificate (the system's CAs
    // stand in for the CA slot); 1 and 3 need a client certificate, which
    // the modem does not have.
    auto id = mux_ ? cmd.number(0, 0, LinkTable::kLinks) : std::optional<std::int64_t>(0);
    auto mode = cmd.number(at, 0, 3);
    bool numbers_ok = true;
    for (std::size_t i = at + 1; i < cmd.args.size(); ++i)
      numbers_ok = numbers_ok && (cmd.empty_arg(i) || cmd.number(i, 0, 0));
    if (cmd.form != CommandForm::Set || !id || !mode || cmd.args.size() > at + 3 || !numbers_ok) {
      error(kParamInvalid);
      return true;
    }
    if (*mode == 1 || *mode == 3) {
      trace("at: AT+CIPSSLCCONF: no client certificate; auth modes 0 and 2 only");
      error(kExecFailed);
      return true;
    }
    for (int i = 0; i < LinkTable::kLinks; ++i)
      if (*id == LinkTable::kLinks || *id == i)
        ssl_auth_[static_cast<std::size_t>(i)] = static_cast<int>(*mode);
    ok();
  } else {
    return false;
  }
  return true;
}

}  // namespace synack::apps::at_modem
