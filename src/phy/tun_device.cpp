#include "phy/tun_device.hpp"

#include <utility>

namespace synack::phy {

Result<std::unique_ptr<TunDevice>, std::string> TunDevice::open(const TunOptions& opts) {
  auto opened = open_fd(opts, Kind::Tun);
  if (!opened) return opened.error();
  return std::unique_ptr<TunDevice>(
      new TunDevice(opened->fd, std::move(opened->name), opts.mtu, opened->vnet));
}

}  // namespace synack::phy
