#include "phy/tun_device.hpp"

#include <utility>

namespace synack::phy {

Result<std::unique_ptr<TunDevice>, std::string> TunDevice::open(const TunOptions& opts) {
  auto opened = open_fd(opts, Kind::Tun);
  if (!opened) return opened.error();
  return std::unique_ptr<TunDevice>(
      new TunDevice(opened->fd, std::move(opened->name), opts.mtu, opened->vnet));
}

Result<std::vector<std::unique_ptr<TunDevice>>, std::string> TunDevice::open_queues(
    const TunOptions& opts, std::size_t n) {
  std::vector<std::unique_ptr<TunDevice>> queues;
  TunOptions o = opts;
  o.multi_queue = n > 1;
  o.exclusive = n > 1;
  for (std::size_t i = 0; i < n; ++i) {
    auto q = open(o);
    // Closing the queues opened so far removes the interface again.
    if (!q) return q.error();
    queues.push_back(std::move(*q));
    // The kernel may have picked the name; the others attach to it.
    o.name = queues.front()->name();
    o.configure = false;
    o.exclusive = false;
  }
  return queues;
}

}  // namespace synack::phy
