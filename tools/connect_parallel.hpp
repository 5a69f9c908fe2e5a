#pragma once
// `synack connect --parallel K --cores N` (other than K = N = 1): K
// connections to one server, spread round-robin over N stacks (one per
// thread and TUN queue), each sending the --send file; what arrives is
// counted, not kept. One summary line on stdout at the end.
#include <cstdint>

#include "connect_command.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::tools {

// Every argument was checked already. Exits 0 only when every connection
// closed cleanly.
int run_connect_parallel(const ConnectArgs& a, wire::Ipv4Address ip, std::uint16_t port);

}  // namespace synack::tools
