#include "apps/at_modem/passthrough_framer.hpp"

namespace synack::apps::at_modem {

void PassthroughFramer::push(std::span<const std::uint8_t> bytes, Instant now,
                             std::vector<std::string>& packets) {
  if (bytes.empty()) return;
  if (buf_.empty()) quiet_before_ = now - last_input_ >= kGuard;
  last_input_ = now;
  for (std::uint8_t b : bytes) {
    buf_ += static_cast<char>(b);
    if (buf_.size() == kMaxPacket) {
      packets.push_back(std::move(buf_));
      buf_.clear();
      quiet_before_ = false;
    }
  }
}

PassthroughFramer::Tick PassthroughFramer::poll(Instant now, std::string& packet) {
  if (buf_.empty() || now - last_input_ < kGuard) return Tick::Nothing;
  bool escape = buf_ == "+++" && quiet_before_;
  packet = std::move(buf_);
  buf_.clear();
  if (escape) {
    packet.clear();
    return Tick::Escape;
  }
  return Tick::Packet;
}

}  // namespace synack::apps::at_modem
