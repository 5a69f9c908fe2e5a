#pragma once
// Drives one Stack over one real device: sleeps in epoll_wait until the device
// fd is readable or the next deadline (the stack's poll_at(), the device's
// impairment, a periodic task) passes, then polls the stack. This is the only
// place in synack that reads the real clock: CLOCK_MONOTONIC, turned into
// Instants counted in microseconds from the loop's construction.
#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "iface/device.hpp"
#include "socket/stack.hpp"

namespace synack::phy {
class TunDevice;
class TapDevice;
}  // namespace synack::phy

namespace synack::runtime {

struct LoopStats {
  std::uint64_t wakeups = 0;        // epoll_wait returns
  std::uint64_t polls = 0;          // Stack::poll calls
  std::uint64_t forced_sleeps = 0;  // a deadline stayed in the past; slept 1 ms anyway
};

class EventLoop {
 public:
  // `dev_fd` is watched for readability (the device's receive side). Throws
  // std::system_error if epoll or eventfd cannot be created.
  EventLoop(socket::Stack& stack, iface::Device& dev, int dev_fd);
  // A TUN device: its fd, and its impairment deadline.
  EventLoop(socket::Stack& stack, phy::TunDevice& dev);
  // A TAP device: the same.
  EventLoop(socket::Stack& stack, phy::TapDevice& dev);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // For devices that hold frames back (impairment): when they next need a
  // poll. nullopt from the function means "nothing held".
  void set_device_deadline(std::function<std::optional<Instant>()> fn) {
    device_deadline_ = std::move(fn);
  }

  // Runs until done() returns true (checked after every wakeup and before the
  // first sleep), stop() is called, or a stop signal arrives. done() should
  // depend on what polls change, or the loop may sleep until the next event.
  void run_until(std::function<bool()> done);
  // Runs for `d` of real time, or until stopped.
  void run_for(Duration d);
  // Polls until the stack has nothing left to send and the device holds no
  // frames back (the fault injector's queue), sleeping only until those are
  // due, for at most `limit`. A clean shutdown calls it last, so the RSTs and
  // ACKs the final user calls produced reach the wire. False: time ran out.
  bool drain(Duration limit);
  // Makes the current (or, if none, the next) run return. Safe from any thread
  // and from a signal handler: it only writes to an eventfd.
  void stop();

  // Blocks `signals` in the calling thread (call it before starting other
  // threads, so they inherit the mask) and stops the loop when one arrives,
  // through a signalfd. The destructor unblocks what this call blocked (destroy
  // the loop in the same thread; a signal that came after the last run is
  // then delivered as usual). Throws
  // std::system_error on failure.
  void stop_on_signals(std::initializer_list<int> signals);
  // The signal that stopped the last run, if one did.
  std::optional<int> stop_signal() const { return stop_signal_; }
  // The device fd reported an error or hang-up; the last run stopped on it.
  bool device_failed() const { return device_failed_; }

  // Calls fn every `period` (first after one period), between polls and with
  // the stack's clock set, so it may use the socket API.
  void every(Duration period, std::function<void()> fn);

  // A further input, for a program with one of its own (the AT modem's
  // serial line): `fd` readable wakes the loop too (-1: none), `deadline()`
  // adds a wakeup time (kNever: none), and `after_poll()` runs after every
  // poll of the stack, with the stack's clock set. When it returns true it
  // queued work for the stack, which is polled once more at once.
  void add_source(int fd, std::function<Instant()> deadline, std::function<bool()> after_poll);

  // Real time since construction. Safe from any thread.
  Instant now() const;
  const LoopStats& stats() const { return stats_; }

 private:
  struct Source {
    std::function<Instant()> deadline;
    std::function<bool()> after_poll;
  };
  struct Periodic {
    Instant next;
    Duration period;
    std::function<void()> fn;
  };

  void run(const std::function<bool()>& done, Instant run_end);
  // One sleep and what follows it; returns false when the run must end.
  bool iterate(Instant run_end);
  Instant next_deadline(Instant run_end) const;
  void run_periodic(Instant t);
  void poll(Instant t);

  socket::Stack& stack_;
  iface::Device& dev_;
  int dev_fd_;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;           // eventfd written by stop()
  int signal_fd_ = -1;         // signalfd, once stop_on_signals() was called
  sigset_t signals_{};         // what signal_fd_ reports
  sigset_t unblock_at_end_{};  // what stop_on_signals() blocked that was not blocked before
  std::int64_t start_ns_ = 0;
  std::function<std::optional<Instant>()> device_deadline_;
  std::vector<Periodic> periodic_;
  std::vector<Source> sources_;
  std::optional<int> stop_signal_;
  bool device_failed_ = false;
  int past_deadline_polls_ = 0;  // consecutive polls that left a deadline in the past
  LoopStats stats_;
};

}  // namespace synack::runtime
