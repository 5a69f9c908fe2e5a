#pragma once
// One connection's statistics as one line, in the spirit of `ss -ti`: used by
// the SIGUSR1 connection table and by `--trace`.
#include <string>

#include "tcp/connection.hpp"

namespace synack::tools {

std::string format_tcp_info(const tcp::TcpInfo& i);

}  // namespace synack::tools
