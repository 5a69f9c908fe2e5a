#include "apps/at_modem/wifi_networks.hpp"

namespace synack::apps::at_modem {

JoinResult join(const std::vector<WifiNetwork>& networks, std::string_view ssid,
                std::string_view password) {
  for (const WifiNetwork& n : networks) {
    if (n.ssid != ssid) continue;
    if (n.password.empty() || n.password == password) return JoinResult::Joined;
    return JoinResult::WrongPassword;
  }
  return JoinResult::NoSuchNetwork;
}

std::optional<WifiNetwork> parse_wifi_spec(std::string_view spec, std::string* why) {
  WifiNetwork n;
  auto colon = spec.find(':');
  n.ssid = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) n.password = std::string(spec.substr(colon + 1));
  auto fail = [&](const char* msg) -> std::optional<WifiNetwork> {
    if (why) *why = msg;
    return std::nullopt;
  };
  if (n.ssid.empty() || n.ssid.size() > 32) return fail("the SSID must be 1 to 32 bytes");
  if (!n.password.empty() && (n.password.size() < 8 || n.password.size() > 64))
    return fail("a password must be 8 to 64 bytes (or none, for an open network)");
  for (char c : spec)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail("control characters are not allowed");
  return n;
}

}  // namespace synack::apps::at_modem
