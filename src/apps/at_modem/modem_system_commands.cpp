// The basic and system commands: AT, ATE0/1, AT+RST, AT+RESTORE, AT+GMR,
// AT+SYSLOG, AT+SYSMSG, AT+SYSSTORE, AT+SYSTIMESTAMP, AT+UART, AT+RFPOWER
// (esp-at v2.2 for ESP8266, "Basic AT Commands").
#include <fmt/format.h>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

bool Modem::system_command(const CommandLine& cmd) {
  const std::string& n = cmd.name;
  bool exec = cmd.form == CommandForm::Exec;
  if (n.empty() || n == "E0" || n == "E1") {
    if (!exec) return false;
    if (n == "E0") echo_ = false;
    if (n == "E1") echo_ = true;
    ok();
  } else if (n == "RST" || n == "RESTORE") {
    if (!exec) {
      error(kOpError);
      return true;
    }
    trace(n == "RST" ? "at: restart" : "at: restore factory settings and restart");
    reset(n == "RESTORE");
  } else if (n == "GMR") {
    if (!exec) {
      error(kOpError);
      return true;
    }
    line("AT version:2.2.1.0(synack - ESP8266 - Jun  7 2021 08:15:24)");
    line("SDK version:v3.4-22-g967752e2");
    line("compile time(synack):Aug  4 2021 17:20:05");
    line("Bin version:2.2.1(WROOM-02)");
    ok();
  } else if (n == "SYSLOG" || n == "SYSMSG") {
    bool log = n == "SYSLOG";
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+{}:{}", n, log ? (syslog_ ? 1 : 0) : sysmsg_));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 &&
               cmd.number(0, 0, log ? 1 : 7)) {
      if (log)
        syslog_ = *cmd.number(0, 0, 1) == 1;
      else
        sysmsg_ = static_cast<int>(*cmd.number(0, 0, 7));
      ok();
    } else {
      error(cmd.form == CommandForm::Set ? kParamInvalid : kOpError);
    }
  } else if (n == "SYSSTORE") {
    // Drivers send AT+SYSSTORE=0 at start-up so settings stay off flash;
    // nothing is ever saved here, the mode is only kept and reported.
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+SYSSTORE:{}", sysstore_ ? 1 : 0));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && cmd.number(0, 0, 1)) {
      sysstore_ = *cmd.number(0, 0, 1) == 1;
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "SYSTIMESTAMP") {
    // The module's Unix time: 0 at start-up (no SNTP), then whatever was
    // set, counting on from there.
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now_ - timestamp_at_);
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+SYSTIMESTAMP:{}", timestamp_ + elapsed.count()));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 &&
               cmd.number(0, 0, 0xffffffffLL)) {
      timestamp_ = *cmd.number(0, 0, 0xffffffffLL);
      timestamp_at_ = now_;
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "UART") {
    // The pty has no baud rate: the settings are checked, kept and ignored.
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+UART:{},8,1,0,0", uart_baud_));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 5 &&
               cmd.number(0, 80, 5'000'000) && cmd.number(1, 5, 8) && cmd.number(2, 1, 3) &&
               cmd.number(3, 0, 2) && cmd.number(4, 0, 3)) {
      ok();
      uart_baud_ = static_cast<int>(*cmd.number(0, 80, 5'000'000));
    } else {
      error(kParamInvalid);
    }
  } else if (n == "RFPOWER") {
    // Accepted and ignored: there is no radio.
    if (cmd.form == CommandForm::Query) {
      line("+RFPOWER:78");
      ok();
    } else if (cmd.form == CommandForm::Set && !cmd.args.empty() && cmd.args.size() <= 4 &&
               cmd.number(0, 40, 82)) {
      ok();
    } else {
      error(kParamInvalid);
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace synack::apps::at_modem
