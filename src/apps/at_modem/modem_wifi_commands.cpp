// The Wi-Fi commands: AT+CWMODE, AT+CWSTATE, AT+CWJAP, AT+CWQAP, AT+CWLAP,
// AT+CWLAPOPT, AT+CWAUTOCONN, AT+CWDHCP, AT+CWHOSTNAME, AT+CIFSR, AT+CIPSTA,
// AT+CIPAP and their MACs, AT+CIPDNS (esp-at v2.2 for ESP8266, "Wi-Fi AT
// Commands"; AT+CIPDNS from "TCP/IP AT Commands").
#include <fmt/format.h>

#include <algorithm>

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

// What a scan finds of network `i` of --wifi: a signal strength made from
// the SSID (stable, and not in --wifi's order, so AT+CWLAPOPT's sort shows),
// channel 1-13 by position, ecn 0 (open) or 3 (WPA2-PSK, CCMP ciphers).
struct ScanEntry {
  int ecn = 0;
  std::string ssid;
  int rssi = 0;
  std::string mac;
  int channel = 1;
};

ScanEntry scan_entry(const WifiNetwork& w, std::size_t i, wire::Ipv4Address ap) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : w.ssid)
    h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return {w.password.empty() ? 0 : 3, w.ssid, -30 - static_cast<int>(h % 60),
          softap_mac(wire::Ipv4Address(ap.to_u32() + static_cast<std::uint32_t>(i))),
          1 + static_cast<int>(i % 13)};
}

// `+CWLAP:(<ecn>,<"ssid">,<rssi>,<"mac">,<channel>,<freq_offset>,
// <freqcal_val>,<pairwise_cipher>,<group_cipher>,<bgn>,<wps>)`, only the
// fields whose bit is set in AT+CWLAPOPT's <print mask>.
std::string cwlap_line(const ScanEntry& e, int mask) {
  int cipher = e.ecn == 0 ? 0 : 4;
  std::string fields[] = {std::to_string(e.ecn),
                          fmt::format("\"{}\"", e.ssid),
                          std::to_string(e.rssi),
                          fmt::format("\"{}\"", e.mac),
                          std::to_string(e.channel),
                          "0",
                          "0",
                          std::to_string(cipher),
                          std::to_string(cipher),
                          "7",
                          "0"};
  std::string text;
  for (int bit = 0; bit < 11; ++bit) {
    if (!(mask & (1 << bit))) continue;
    if (!text.empty()) text += ',';
    text += fields[bit];
  }
  return "+CWLAP:(" + text + ")";
}

std::string netmask_text(int prefix) {
  std::uint32_t m = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return wire::Ipv4Address(m).to_string();
}

}  // namespace

bool Modem::wifi_command(const CommandLine& cmd) {
  const std::string& n = cmd.name;
  wire::Ipv4Address sta = cfg_.station.address;
  wire::Ipv4Address ap = cfg_.gateway.value_or(sta);
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
    return wifi_join(cmd);
  } else if (n == "CWSTATE") {
    // +CWSTATE:<state>,<"ssid">: 0 no join tried yet, 2 joined with an
    // address, 4 disconnected.
    if (cmd.form != CommandForm::Query) {
      error(kOpError);
      return true;
    }
    int state = wifi_joined_ ? 2 : wifi_tried_ ? 4 : 0;
    line(fmt::format("+CWSTATE:{},\"{}\"", state, wifi_ssid_));
    ok();
  } else if (n == "CWLAP") {
    // The networks of --wifi, as a scan finds them, filtered, sorted and
    // trimmed as AT+CWLAPOPT says.
    if (cmd.form != CommandForm::Exec) {
      error(kOpError);
      return true;
    }
    std::vector<ScanEntry> found;
    for (std::size_t i = 0; i < cfg_.networks.size(); ++i) {
      ScanEntry e = scan_entry(cfg_.networks[i], i, ap);
      if (e.rssi >= cwlap_rssi_min_ && (cwlap_auth_mask_ & (1 << e.ecn))) found.push_back(e);
    }
    if (cwlap_sort_)
      std::stable_sort(found.begin(), found.end(),
                       [](const ScanEntry& a, const ScanEntry& b) { return a.rssi > b.rssi; });
    for (const ScanEntry& e : found)
      line(cwlap_line(e, cwlap_mask_));
    ok();
  } else if (n == "CWLAPOPT") {
    // AT+CWLAPOPT=<sort_enable>,<print mask>[,<rssi filter>][,<authmode mask>]
    // (v2.2 for ESP8266; later versions call the first argument reserved).
    if (cmd.form == CommandForm::Set && cmd.args.size() >= 2 && cmd.args.size() <= 4 &&
        cmd.number(0, 0, 1) && cmd.number(1, 0, 0x7ff) &&
        (cmd.args.size() < 3 || cmd.number(2, -100, 40)) &&
        (cmd.args.size() < 4 || cmd.number(3, 0, 0xffff))) {
      cwlap_sort_ = *cmd.number(0, 0, 1) == 1;
      cwlap_mask_ = static_cast<int>(*cmd.number(1, 0, 0x7ff));
      cwlap_rssi_min_ = cmd.args.size() >= 3 ? static_cast<int>(*cmd.number(2, -100, 40)) : -100;
      cwlap_auth_mask_ =
          cmd.args.size() >= 4 ? static_cast<int>(*cmd.number(3, 0, 0xffff)) : 0xffff;
      ok();
    } else {
      error(kParamInvalid);
    }
  } else if (n == "CWAUTOCONN") {
    // Whether the module rejoins its access point when it starts (AT+RST).
    if (cmd.form == CommandForm::Query) {
      line(fmt::format("+CWAUTOCONN:{}", autoconn_ ? 1 : 0));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && cmd.number(0, 0, 1)) {
      autoconn_ = *cmd.number(0, 0, 1) == 1;
      ok();
    } else {
      error(kParamInvalid);
    }
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
  } else if (n == "CWHOSTNAME") {
    // The station's host name (the ESP8266 RTOS SDK's lwIP default,
    // CONFIG_LWIP_LOCAL_HOSTNAME, is "espressif"); kept, not sent anywhere
    // (there is no DHCP).
    if (cmd.form == CommandForm::Query) {
      line("+CWHOSTNAME:" + (hostname_.empty() ? std::string("espressif") : hostname_));
      ok();
    } else if (cmd.form == CommandForm::Set && cmd.args.size() == 1 && cmd.string(0) &&
               !cmd.string(0)->empty() && cmd.string(0)->size() <= 32 &&
               (cwmode_ == 1 || cwmode_ == 3)) {
      hostname_ = *cmd.string(0);
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
  } else if (n == "CIPSTA" && cmd.form == CommandForm::Set) {
    // AT+CIPSTA="ip"[,"gateway","netmask"]: Zephyr's static-IP start-up and
    // WiFiEspAT's WiFi.config() send it. The address is the TUN's (--addr):
    // that address and its netmask are accepted, anything else refused.
    std::size_t argc = cmd.args.size();
    auto ip = cmd.string(0);
    bool same = (argc == 1 || argc == 3) && ip && wire::Ipv4Address::parse(*ip) == sta;
    if (same && argc == 3) {
      auto gw = cmd.string(1);
      auto mask = cmd.string(2);
      same = gw && wire::Ipv4Address::parse(*gw) && mask &&
             *mask == netmask_text(cfg_.station.prefix_len);
    }
    if (same) {
      ok();
    } else {
      trace("at: AT+CIPSTA may only restate the station's address and netmask (--addr " +
            cfg_.station.to_string() + ")");
      error(kParamInvalid);
    }
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
    cmd_dns(cmd);
  } else {
    return false;
  }
  return true;
}

bool Modem::wifi_join(const CommandLine& cmd) {
  wire::Ipv4Address ap = cfg_.gateway.value_or(cfg_.station.address);
  if (cmd.form == CommandForm::Query) {
    if (wifi_joined_) {
      // +CWJAP:<ssid>,<bssid>,<channel>,<rssi>,<pci_en>,<reconn_interval>,
      // <listen_interval>,<scan_mode>,<pmf>
      ScanEntry e{};
      for (std::size_t i = 0; i < cfg_.networks.size(); ++i)
        if (cfg_.networks[i].ssid == wifi_ssid_) e = scan_entry(cfg_.networks[i], i, ap);
      line(fmt::format("+CWJAP:\"{}\",\"{}\",{},{},0,1,3,0,1", wifi_ssid_, e.mac, e.channel,
                       e.rssi));
    } else {
      line("No AP");
    }
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
  wifi_tried_ = true;
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
  return true;
}

void Modem::cmd_dns(const CommandLine& cmd) {
  // AT+CIPDNS? -> +CIPDNS:<enable>[,<"DNS IP1">,<"DNS IP2">,<"DNS IP3">]: the
  // servers in use (--dns stands in for the access point's DHCP answer).
  if (cmd.form == CommandForm::Query) {
    std::string text = fmt::format("+CIPDNS:{}", dns_servers_.empty() ? 0 : 1);
    if (!dns_servers_.empty()) {
      for (wire::Ipv4Address a : dns_servers_)
        text += fmt::format(",\"{}\"", a.to_string());
    } else if (cfg_.dns) {
      text += fmt::format(",\"{}\"", cfg_.dns->to_string());
    }
    line(text);
    ok();
    return;
  }
  // AT+CIPDNS=<enable>[,<"DNS IP1">,<"DNS IP2">,<"DNS IP3">]
  auto enable = cmd.number(0, 0, 1);
  if (cmd.form != CommandForm::Set || !enable || cmd.args.size() > 4 ||
      (*enable == 0) != (cmd.args.size() == 1)) {
    error(kParamInvalid);
    return;
  }
  std::vector<wire::Ipv4Address> servers;
  for (std::size_t i = 1; i < cmd.args.size(); ++i) {
    auto text = cmd.string(i);
    auto a = text ? wire::Ipv4Address::parse(*text) : std::nullopt;
    if (!a || a->to_u32() == 0 || (a->to_u32() >> 28) >= 0xe) {
      error(kParamInvalid);
      return;
    }
    servers.push_back(*a);
  }
  std::optional<wire::Ipv4Address> first;
  if (!servers.empty()) first = servers.front();
  if (!resolver_.use_server(first)) {
    trace("at: AT+CIPDNS: this resolver cannot change servers");
    error(kExecFailed);
    return;
  }
  if (first) trace(fmt::format("at: DNS server {}", first->to_string()));
  dns_servers_ = std::move(servers);
  ok();
}

void Modem::wifi_disconnect() {
  if (!wifi_joined_) return;
  server_.reset();
  for (int id = 0; id < LinkTable::kLinks; ++id)
    if (links_.used(id)) {
      announce_closed(id);
      release_link(id);
    }
  wifi_joined_ = false;
  line("WIFI DISCONNECT");
}

}  // namespace synack::apps::at_modem
