#pragma once
// What `serve --cores` and `connect --cores` share: the argument checks, a
// multi-queue TUN with a Stack and an EventLoop per queue, and the reports
// that sum the queues' counters.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net_session.hpp"
#include "phy/tun_device.hpp"
#include "runtime/event_loop.hpp"
#include "socket/stack.hpp"

namespace synack::tools {

// The options that cannot work with several cores: nullopt when `net` is
// fine for `cores` cores, else the error line. --addr dhcp and --ddns need
// one stack holding the lease; TAP has no multi-queue here; --pcap and
// --trace would be one file written by every core.
// `single` names what the options need ("--cores 1").
std::optional<std::string> check_cores_args(const NetArgs& net, int cores,
                                            const std::string& single = "--cores 1");

struct NetCore {
  std::size_t index = 0;
  std::unique_ptr<phy::TunDevice> dev;  // queue `index` of the interface
  std::unique_ptr<socket::Stack> stack;
  std::unique_ptr<runtime::EventLoop> loop;  // no signals: one thread owns them
  tcp::TcpConfig cfg;                        // the stack's, for listen() and connect()
};

// Opens `n` queues of --tun (with --impair, core i's injectors seeded
// seed + i), steers the kernel's packets over them (phy/tun_steering.hpp)
// and makes a stack and loop on each. With `own_ports` each core's active
// opens use a chunk of the ephemeral ports of their own, which the steering
// maps back to that core. On failure prints `synack CMD: error: ...`, sets
// exit_code (2 for bad arguments or missing permission, 1 otherwise) and
// returns an empty vector.
std::vector<NetCore> open_net_cores(const char* cmd, const NetArgs& a, std::size_t n,
                                    bool own_ports, int& exit_code);

// One `core I device NAME: ...` line per queue and the summed `device NAME:
// ...` line last (the format of one queue's line, for the same parsers).
std::string cores_device_report(const std::vector<const phy::TunDevice*>& queues);
// One `core I buffers: ...` line per stack (each has its own budget).
std::string cores_buffer_report(const std::vector<const socket::Stack*>& stacks);

}  // namespace synack::tools
