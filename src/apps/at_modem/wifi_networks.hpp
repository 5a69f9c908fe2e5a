#pragma once
// The Wi-Fi networks the pretend access point offers (`--wifi SSID:PASSWORD`,
// or one open network named `synack`), and AT+CWJAP's verdict on a join.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synack::apps::at_modem {

struct WifiNetwork {
  std::string ssid;
  std::string password;  // empty: an open network
};

// The reason codes of `+CWJAP:<code>` (esp-at): 1 time-out, 2 wrong
// password, 3 no such access point, 4 connection failed.
enum class JoinResult : int { Joined = 0, WrongPassword = 2, NoSuchNetwork = 3 };

JoinResult join(const std::vector<WifiNetwork>& networks, std::string_view ssid,
                std::string_view password);

// "SSID:PASSWORD" (split at the first ':'; "SSID" or "SSID:" is open).
// nullopt, with `why`, when the SSID is empty or longer than 32 bytes, or
// the password is 1-7 or over 64 bytes (WPA2's limits).
std::optional<WifiNetwork> parse_wifi_spec(std::string_view spec, std::string* why);

}  // namespace synack::apps::at_modem
