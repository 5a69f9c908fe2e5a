#include "phy/tap_device.hpp"

#include <utility>

namespace synack::phy {

Result<std::unique_ptr<TapDevice>, std::string> TapDevice::open(const TapOptions& opts) {
  auto opened = open_fd(opts, Kind::Tap);
  if (!opened) return opened.error();
  return std::unique_ptr<TapDevice>(
      new TapDevice(opened->fd, std::move(opened->name), opts.mtu, opened->vnet));
}

}  // namespace synack::phy
