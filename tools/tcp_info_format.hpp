#pragma once
// One connection's statistics as one line, in the spirit of `ss -ti`, and a
// listener's queues and counters in the spirit of `nstat`: used by the
// SIGUSR1 connection table and by `--trace`.
#include <string>

#include "tcp/connection.hpp"
#include "tcp/listener.hpp"

namespace synack::tools {

std::string format_tcp_info(const tcp::TcpInfo& i);
std::string format_listener(const tcp::Listener& l);

}  // namespace synack::tools
