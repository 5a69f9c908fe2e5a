// FrameWatchDevice passes the inner device's offloads through: it
// advertises the inner caps, so a frame with a partial checksum must reach
// the inner device with its metadata, and the inner device's verdict on a
// received checksum must reach the stack (a TAP with virtio-net offloads
// under `--addr dhcp`).
#include "apps/dhcp_client/frame_watch_device.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace synack::apps::dhcp {
namespace {

class OffloadDevice final : public iface::Device {
 public:
  iface::DeviceCaps caps() const override {
    iface::DeviceCaps c;
    c.tx_checksum = true;
    c.tso_max = 65535;
    return c;
  }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    return std::span<const std::uint8_t>(frame_);
  }
  void transmit(Instant, std::span<const std::uint8_t>) override { ++plain; }
  void transmit_offloaded(Instant, std::span<const std::uint8_t>,
                          const iface::TxMeta& meta) override {
    ++offloaded;
    last_gso = meta.gso_size;
  }
  bool rx_checksum_trusted() const override { return true; }
  int plain = 0, offloaded = 0;
  std::uint16_t last_gso = 0;

 private:
  std::vector<std::uint8_t> frame_ = {1, 2, 3};
};

TEST(FrameWatchDevice, PassesOffloadsThrough) {
  OffloadDevice inner;
  FrameWatchDevice w(inner);
  int seen = 0;
  w.set_watcher([&](Instant, std::span<const std::uint8_t> f) { seen += f.size() == 3; });
  EXPECT_TRUE(w.caps().tx_checksum);
  EXPECT_EQ(w.caps().tso_max, 65535u);
  std::vector<std::uint8_t> f(100);
  iface::TxMeta meta;
  meta.csum_start = 20;
  meta.gso_size = 1448;
  w.transmit_offloaded(Instant{}, f, meta);
  w.transmit(Instant{}, f);
  EXPECT_EQ(inner.offloaded, 1);
  EXPECT_EQ(inner.last_gso, 1448);
  EXPECT_EQ(inner.plain, 1);
  ASSERT_TRUE(w.receive(Instant{}));
  EXPECT_EQ(seen, 1);
  EXPECT_TRUE(w.rx_checksum_trusted());
}

}  // namespace
}  // namespace synack::apps::dhcp
