#pragma once
// Share-nothing multi-core helpers: one thread per core, each pinned to a
// CPU and running its own Stack and EventLoop; one thread that owns the
// signals; and a way for that thread to ask every core for a snapshot made
// on the core's own thread (nothing reads another core's stack).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace synack::runtime {

// The CPUs this process may run on (sched_getaffinity), ascending; {0} if
// that cannot be read.
std::vector<int> allowed_cpus();
// Pins the calling thread to `cpu`. "" on success, else why not.
std::string pin_current_thread(int cpu);

// Blocks `signals` in the calling thread (call it before starting the core
// threads, so that they inherit the mask and only this thread sees them)
// and reports them through a signalfd. wake() makes wait() return from
// another thread (a core that stopped on its own). Throws std::system_error.
class SignalWaiter {
 public:
  explicit SignalWaiter(std::initializer_list<int> signals);
  // Discards the signals still pending, then unblocks what it blocked.
  ~SignalWaiter();
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;
  // The next signal, or nullopt after wake().
  std::optional<int> wait();
  // Safe from any thread.
  void wake();

 private:
  sigset_t set_{};
  sigset_t unblock_at_end_{};
  int signal_fd_ = -1;
  int wake_fd_ = -1;
};

// One snapshot per core, asked for by one thread and made by each core on
// its own thread when it next calls answer() (from its loop's periodic
// task). The generation counter is the only thing a core reads per call.
template <typename T>
class CoreReports {
 public:
  explicit CoreReports(std::size_t cores) : done_(cores, 0), slots_(cores) {}

  // Starts a round; returns its number for collect().
  std::uint64_t request() { return ++wanted_; }
  // Core `i`: makes its part if a round is open and it has not answered yet.
  void answer(std::size_t i, const std::function<T()>& make) {
    std::uint64_t want = wanted_.load(std::memory_order_acquire);
    if (want == 0 || seen(i) == want) return;
    T part = make();
    std::lock_guard<std::mutex> lock(m_);
    slots_[i] = std::move(part);
    done_[i] = want;
    cv_.notify_all();
  }
  // Waits up to `limit` for every core's part of round `gen`; a core that
  // did not answer in time (stopped, or busy) gets nullopt.
  std::vector<std::optional<T>> collect(std::uint64_t gen, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait_for(lock, limit, [&] {
      for (std::uint64_t d : done_)
        if (d < gen) return false;
      return true;
    });
    std::vector<std::optional<T>> out(slots_.size());
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (done_[i] >= gen) out[i] = slots_[i];
    return out;
  }

 private:
  std::uint64_t seen(std::size_t i) {
    std::lock_guard<std::mutex> lock(m_);
    return done_[i];
  }

  std::atomic<std::uint64_t> wanted_{0};
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::uint64_t> done_;
  std::vector<T> slots_;
};

// Runs fn(i) for every i < n, each on its own thread pinned to CPU
// allowed_cpus()[i % count]; join() waits for all of them.
class CoreThreads {
 public:
  CoreThreads();
  ~CoreThreads() { join(); }
  CoreThreads(const CoreThreads&) = delete;
  CoreThreads& operator=(const CoreThreads&) = delete;
  // The CPU core i runs on.
  int cpu_for(std::size_t i) const { return cpus_[i % cpus_.size()]; }
  void start(std::size_t n, std::function<void(std::size_t)> fn);
  void join();

 private:
  std::vector<int> cpus_;
  std::vector<std::thread> threads_;
};

}  // namespace synack::runtime
