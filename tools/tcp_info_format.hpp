#pragma once
// One connection's statistics as one line, in the spirit of `ss -ti`, and a
// listener's queues and counters in the spirit of `nstat`: used by the
// SIGUSR1 connection table and by `--trace`.
#include <string>

#include "tcp/connection.hpp"
#include "tcp/listener.hpp"
#include "tcp/tcp_layer.hpp"

namespace synack::tools {

std::string format_tcp_info(const tcp::TcpInfo& i);
std::string format_listener(const tcp::Listener& l);
// The stack's send and receive buffer storage against its budget
// (--buffer-budget): bytes held now and at the most, blocks handed out and
// reused, writes and receives held short by the budget (refusals), empty
// buffers' first blocks granted past it (forced) and how many times the
// stack came under pressure.
std::string format_buffers(const tcp::TcpLayer& t);

}  // namespace synack::tools
