#pragma once
// A device in memory for tests: frames pushed on `in` are received in order,
// transmitted frames are kept in `out`.
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "iface/device.hpp"

namespace synack::test {

class MemDevice final : public iface::Device {
 public:
  explicit MemDevice(iface::Medium medium = iface::Medium::Ip) : medium_(medium) {}
  iface::DeviceCaps caps() const override { return {1500, medium_}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (in.empty()) return std::nullopt;
    cur_ = std::move(in.front());
    in.pop_front();
    return std::span<const std::uint8_t>(cur_);
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    out.emplace_back(frame.begin(), frame.end());
  }
  std::deque<std::vector<std::uint8_t>> in;
  std::vector<std::vector<std::uint8_t>> out;

 private:
  iface::Medium medium_;
  std::vector<std::uint8_t> cur_;
};

}  // namespace synack::test
