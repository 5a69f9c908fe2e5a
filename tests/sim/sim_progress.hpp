#pragma once
// How long a correct exchange may go without progress, from the path model,
// and how long a run actually went. Progress is a state change or an ACK that
// acknowledges something new; between two, a correct sender waits at most as
// long as k timeouts in a row, backed off from the path's RTO up to the
// RTO cap, where k consecutive lost attempts (data or ACK) are too unlikely
// to happen in any of the campaign's seeds. A repair that waits on anything
// slower (a known hole left alone) fails the seed long before 30 minutes at
// low and moderate loss; at 20 % each way k is about 21 and the bound no
// tighter than the run's 30-minute limit.
#include "core/time.hpp"
#include "sim_workload.hpp"
#include "tcp/trace.hpp"

namespace synack::simtest {

struct StallBound {
  int attempts = 0;         // k: consecutive failed attempts allowed for
  Duration rto0{0};         // the path's worst un-backed-off RTO
  Duration bound{0};        // what the run may not exceed
  double attempt_loss = 0;  // probability that one attempt (segment + ACK) fails
};

StallBound stall_bound(const Scenario& sc);

struct Stall {
  Duration longest{0};
  Instant from{};  // when it began
};

// The longest interval in [start, end) with no progress on the run's one connection.
Stall longest_stall(const tcp::Trace& trace, Instant start, Instant end);

}  // namespace synack::simtest
