#pragma once
// How `synack fetch` shows what its pool did: a text waterfall, one line per
// request (connection, new or reused, TCP connect, time to first byte, end,
// bytes, status), the pool's statistics, and the same waterfall as an SVG.
#include <deque>
#include <string>

#include "apps/http/connection_pool.hpp"

namespace synack::tools {

// Times in milliseconds from `t0` (the first request).
std::string format_waterfall(const std::deque<apps::http::FetchRecord>& records, Instant t0);
std::string format_pool_summary(const apps::http::PoolStats& stats,
                                const std::deque<apps::http::FetchRecord>& records,
                                Duration elapsed);
std::string waterfall_svg(const std::deque<apps::http::FetchRecord>& records, Instant t0);

}  // namespace synack::tools
