#pragma once
// UART-Wi-Fi passthrough (AT+CIPMODE=1, then AT+CIPSEND): serial bytes are
// cut into packets, one after 20 ms without input or at 2048 bytes, and a
// packet that is exactly `+++`, with 20 ms of silence before and after it,
// leaves passthrough instead of being sent. Sans-IO: the caller passes the
// time of every byte and polls at deadline().
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace synack::apps::at_modem {

class PassthroughFramer {
 public:
  static constexpr Duration kGuard = std::chrono::milliseconds(20);
  static constexpr std::size_t kMaxPacket = 2048;

  // Entering passthrough counts as the last input: `+++` needs 20 ms of
  // silence after the `>` prompt too.
  explicit PassthroughFramer(Instant now) : last_input_(now) {}

  // Takes serial input received at `now`; full 2048-byte packets are
  // appended to `packets`.
  void push(std::span<const std::uint8_t> bytes, Instant now, std::vector<std::string>& packets);

  enum class Tick : std::uint8_t { Nothing, Packet, Escape };
  // At or after deadline(): Packet with the bytes in `packet`, or Escape for
  // a guarded `+++`.
  Tick poll(Instant now, std::string& packet);
  Instant deadline() const { return buf_.empty() ? kNever : last_input_ + kGuard; }

 private:
  std::string buf_;
  Instant last_input_;
  bool quiet_before_ = false;  // buf_ began after kGuard of silence
};

}  // namespace synack::apps::at_modem
