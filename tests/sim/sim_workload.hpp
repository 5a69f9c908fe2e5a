#pragma once
// Seeded workloads for the deterministic simulation tests (DESIGN.md §4 layer
// 3): a client and a server exchange random byte streams over an impaired
// link, close in a chosen order, and every invariant of the exchange is
// checked: byte-exact delivery, every connection ends, the first closer is the
// one that waits in TIME-WAIT, and no pool or handle leaks.
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "iface/interface.hpp"
#include "phy/link_params.hpp"
#include "tcp/tcp_config.hpp"
#include "tcp/trace.hpp"

namespace synack::simtest {

// SplitMix64: small, and the same numbers on every platform and library
// (std distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  bool chance(double p) { return unit() < p; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[next() % N];
  }

 private:
  std::uint64_t s_;
};

// An eager coroutine whose frame the test owns: it runs until its first
// suspension, is resumed by Stack::poll (or a Signal), and is destroyed with
// the Job, so a run that ends early leaks nothing. Destroy the streams it
// waits on first, so that nothing resumes it afterwards.
class Job {
 public:
  struct promise_type {
    Job get_return_object() {
      return Job(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  Job(Job&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Job& operator=(Job&&) = delete;
  ~Job() {
    if (h_) h_.destroy();
  }
  bool done() const { return !h_ || h_.done(); }

 private:
  explicit Job(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

// A one-shot event one coroutine can wait for.
struct Signal {
  bool fired = false;
  std::coroutine_handle<> waiter;
  void fire() {
    fired = true;
    if (auto h = std::exchange(waiter, {})) h.resume();
  }
  struct Awaiter {
    Signal* s;
    bool await_ready() const noexcept { return s->fired; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->waiter = h; }
    void await_resume() const noexcept {}
  };
  Awaiter operator co_await() { return Awaiter{this}; }
};

std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n);
// A simulated host's interface: `name` at `cidr` ("10.0.0.1/24"), with this
// MTU and TCP configuration.
iface::InterfaceConfig host_config(const char* name, const char* cidr, std::size_t mtu = 1500,
                                   const tcp::TcpConfig& tcp = {});
// Index of the first byte where a and b differ (the shorter length when one is
// a prefix of the other); npos when equal.
std::size_t first_difference(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

enum class CloseOrder : std::uint8_t {
  ClientFirst,      // client closes after reading all; server closes at EOF
  ServerFirst,      // the mirror image
  Simultaneous,     // both close before either FIN arrives
  ClientHalfClose,  // client shutdown(); server keeps writing; both read to EOF
  ServerHalfClose,  // the mirror image
};
enum class Api : std::uint8_t { Callbacks, Coroutines };
std::string_view to_string(CloseOrder o);
std::string_view to_string(Api a);

struct SideSpec {
  std::size_t bytes = 0;         // how much this side writes
  std::size_t max_write = 1460;  // largest single write()
  std::size_t max_read = 1460;   // largest single read()
  std::size_t half_split = 0;    // half-close peer: bytes written before EOF is seen
  Duration read_pause{0};        // reading starts this long after the connect
  Api api = Api::Callbacks;
  std::size_t mtu = 1500;
  tcp::TcpConfig tcp;
};

struct Scenario {
  std::uint64_t seed = 0;
  phy::LinkParams c2s;
  phy::LinkParams s2c;
  SideSpec client;
  SideSpec server;
  CloseOrder order = CloseOrder::ClientFirst;
  // Simultaneous: the second close() comes this much after the first (less
  // than the shortest one-way delay, so the FINs cross).
  Duration close_skew{0};
  bool server_closes_first_in_skew = false;
  Duration limit = std::chrono::minutes(30);  // virtual time for the whole run

  // Every parameter drawn from the seed.
  static Scenario from_seed(std::uint64_t seed);
  std::string describe() const;
};

struct Outcome {
  std::vector<std::string> problems;  // empty when every invariant held
  Duration exchange_time{0};          // connect until both sides closed
  Duration total_time{0};             // until both stacks were empty
  std::uint64_t segments = 0;         // sent by both hosts
  bool time_wait_reset = false;       // TIME-WAIT ended early by the closed peer's RST
  bool closing_reset = false;         // CLOSING ended by the RST of a peer whose TIME-WAIT was over
  bool fin_wait2_timeout = false;     // the peer's FIN was lost until FIN-WAIT-2 timed out
  std::uint64_t rejected_frames = 0;  // malformed on arrival (corruption caught by checksums)
  std::uint64_t retransmits = 0;      // RTO expiries on both connections
  Duration longest_stall{0};          // the exchange's longest time without progress
  Duration stall_bound{0};            // ... and what the path model allows (sim_progress.hpp)
  bool ok() const { return problems.empty(); }
};

// Runs one scenario from scratch, recording every event in `trace`.
Outcome run_scenario(const Scenario& sc, tcp::Trace& trace);

}  // namespace synack::simtest
