#pragma once
// `synack serve --cores N` for N > 1: one multi-queue TUN, and per queue a
// thread pinned to a CPU with its own Stack, EventLoop, listener and
// application. The cores share nothing on the packet path; the kernel
// keeps each flow on one queue (see README, "--cores").
#include <cstdint>
#include <optional>
#include <string>

#include "net_cores.hpp"
#include "serve_apps.hpp"
#include "serve_command.hpp"
#include "serve_http_options.hpp"

namespace synack::tools {

// Runs serve on a.cores cores; every argument was checked already. Returns
// the exit status.
int run_serve_cores(const ServeArgs& a, const AppSpec& spec, std::uint16_t port,
                    const HttpServeSetup& http_setup);

}  // namespace synack::tools
