// The basic and Wi-Fi commands: AT, ATE0/1, AT+RST, AT+RESTORE, AT+GMR,
// AT+SYSLOG, AT+SYSMSG, AT+RFPOWER, AT+CWMODE, AT+CWJAP, AT+CWQAP,
// AT+CWDHCP, AT+CWLAPOPT, AT+CIFSR, AT+CIPSTA, AT+CIPAP and their MACs,
// AT+CIPDNS.
#include <fmt/format.h>

#include "apps/at_modem/modem.hpp"

namespace synack::apps::at_modem {

namespace {

constexpr const char* kSoftApAddress = "192.168.4.1";

// Locally administered MACs made from the station address, so two modems
// on different addresses differ.
std::string station_mac(wire::Ipv4Address a) {
  std::uint32_t v = a.to_u32();
  return fmt::format("02:73:6b:{:02x}:{:02x}:{:02x}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}
std::string softap_mac(wire::Ipv4Address a) {
  std::uint32_t v = a.to_u32();
  return fmt::format("06:73:6b:{:02x}:{:02x}:{:02x}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

std::string netmask_text(int prefix) {
  std::uint32_t m = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return wire::Ipv4Address(m).to_string();
}

}  // namespace

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

bool Modem::wifi_command(const CommandLine& cmd) {
  const std::string& n = cmd.name;
  wire::Ipv4Address sta = cfg_.station.address;
  if (n == "CWMODE") {
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+CWMODE:{}", cwmode_));
      ok();
    } else if (cmd.form == CommandForm::Set && !cmd.args.empty() && cmd.args.size() <= 2 &&
               cmd.number(0, 0, 3) && (cmd.args.size() == 1 || cmd.number(1, 0, 1))) {
      cwmode_ = static_cast<int>(*cmd.number(0, 0, 3));
      if (cwmode_ == 0 || cwmode_ == 2) wifi_disconnect();
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CWJAP") {
    if (cmd.form == CommandForm::Query) {
      if (wifi_joined_)
        line(fmt::format("+CWJAP:\"{}\",\"{}\",1,-40,0,1,3,0,1", wifi_ssid_,
                         softap_mac(cfg_.gateway.value_or(sta))));
      else
        line("No AP");
      ok();
      return true;
    }
    std::string ssid, password;
    if (cmd.form == CommandForm::Exec) {
      // Join the access point last joined (or the first offered).
      ssid = wifi_ssid_.empty() ? cfg_.networks.front().ssid : wifi_ssid_;
      for (const WifiNetwork& w : cfg_.networks)
        if (w.ssid == ssid) password = w.password;
    } else if (cmd.form == CommandForm::Set && cmd.args.size() >= 2 && cmd.string(0) &&
               cmd.string(1)) {
      ssid = *cmd.string(0);
      password = *cmd.string(1);
    } else {
      error(kParamInvalid);
      return true;
    }
    if (cwmode_ != 1 && cwmode_ != 3) {
      trace("at: AT+CWJAP needs station mode (AT+CWMODE=1 or 3)");
      error(kExecFailed);
      return true;
    }
    wifi_disconnect();
    JoinResult r = join(cfg_.networks, ssid, password);
    if (r != JoinResult::Joined) {
      trace(fmt::format("at: cannot join '{}': {}", ssid,
                        r == JoinResult::WrongPassword ? "wrong password" : "no such network"));
      line(fmt::format("+CWJAP:{}", static_cast<int>(r)));
      error(kExecFailed);
      return true;
    }
    wifi_joined_ = true;
    wifi_ssid_ = ssid;
    line("WIFI CONNECTED");
    line("WIFI GOT IP");
    ok();
  } else if (n == "CWLAP") {
    // The networks of --wifi, as a scan finds them: ecn 0 (open) or 3
    // (WPA2-PSK), SSID, RSSI, BSSID, channel.
    if (cmd.form != CommandForm::Exec) {
      error(kOpError);
      return true;
    }
    for (std::size_t i = 0; i < cfg_.networks.size(); ++i) {
      const WifiNetwork& w = cfg_.networks[i];
      line(fmt::format("+CWLAP:({},\"{}\",{},\"{}\",{})", w.password.empty() ? 0 : 3, w.ssid,
                       -40 - static_cast<int>(i),
                       softap_mac(wire::Ipv4Address(cfg_.gateway.value_or(sta).to_u32() + i)),
                       1 + i % 13));
    }
    ok();
  } else if (n == "CWQAP") {
    if (!(cmd.form == CommandForm::Exec)) {
      error(kOpError);
      return true;
    }
    ok();
    wifi_disconnect();
  } else if (n == "CWDHCP") {
    if (cmd.form == CommandForm::Query) {
      line("+CWDHCP:3");
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 2 && cmd.number(0, 0, 1) &&
               cmd.number(1, 1, 3)) {
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CWLAPOPT") {
    if (cmd.form == CommandForm::Set && !cmd.args.empty() && cmd.args.size() <= 3 &&
        cmd.number(0, 0, 1) && (cmd.args.size() < 2 || cmd.number(1, 0, 0x7ff)) &&
        (cmd.args.size() < 3 || cmd.number(2, -100, 40))) {
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CIFSR") {
    if (cmd.form != CommandForm::Exec) {
      error(kOpError);
      return true;
    }
    if (cwmode_ == 2 || cwmode_ == 3) {
      line(fmt::format("+CIFSR:APIP,\"{}\"", kSoftApAddress));
      line(fmt::format("+CIFSR:APMAC,\"{}\"", softap_mac(sta)));
    }
    if (cwmode_ == 1 || cwmode_ == 3) {
      line(fmt::format("+CIFSR:STAIP,\"{}\"", wifi_joined_ ? sta.to_string() : "0.0.0.0"));
      line(fmt::format("+CIFSR:STAMAC,\"{}\"", station_mac(sta)));
    }
    ok();
  } else if (n == "CIPSTA" || n == "CIPAP") {
    if (cmd.form != CommandForm::Query) {
      trace("at: the addresses come from --addr and --host-addr; " + n + " cannot change them");
      error(kOpError);
      return true;
    }
    bool joined = n == "CIPAP" || wifi_joined_;
    std::string ip = n == "CIPAP" ? kSoftApAddress : joined ? sta.to_string() : "0.0.0.0";
    std::string gw = n == "CIPAP"   ? kSoftApAddress
                     : !joined      ? "0.0.0.0"
                     : cfg_.gateway ? cfg_.gateway->to_string()
                                    : "0.0.0.0";
    std::string mask = n == "CIPAP" ? "255.255.255.0"
                       : joined     ? netmask_text(cfg_.station.prefix_len)
                                    : "0.0.0.0";
    line(fmt::format("+{}:ip:\"{}\"", n, ip));
    line(fmt::format("+{}:gateway:\"{}\"", n, gw));
    line(fmt::format("+{}:netmask:\"{}\"", n, mask));
    ok();
  } else if (n == "CIPSTAMAC" || n == "CIPAPMAC") {
    if (cmd.form != CommandForm::Query) {
      error(kOpError);
      return true;
    }
    line(fmt::format("+{}:\"{}\"", n, n == "CIPSTAMAC" ? station_mac(sta) : softap_mac(sta)));
    ok();
  } else if (n == "CIPDNS") {
    if (cmd.form != CommandForm::Query) {
      error(kOpError);
      return true;
    }
    line(cfg_.dns ? fmt::format("+CIPDNS:1,\"{}\"", cfg_.dns->to_string()) : "+CIPDNS:0");
    ok();
  } else {
    return false;
  }
  return true;
}

}  // namespace synack::apps::at_modem
