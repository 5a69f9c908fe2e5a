#include "runtime/event_loop.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

#include "phy/tap_device.hpp"
#include "phy/tun_device.hpp"

namespace synack::runtime {
namespace {

enum Tag : std::uint32_t { kDevice, kStop, kSignal, kSource };

// A deadline that stays in the past after this many polls in a row is a bug
// somewhere (a stack that keeps saying "now" without progress); from then on
// the loop sleeps 1 ms per round instead of spinning.
constexpr int kMaxImmediatePolls = 16;
// Longest single sleep; the loop recomputes after it anyway.
constexpr std::int64_t kMaxSleepMs = 60'000;

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}

void watch(int epoll_fd, int fd, Tag tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl");
}

// Milliseconds for epoll_wait, rounded up so that waking before the deadline
// (and spinning until it) cannot happen; -1 sleeps until an fd event.
int timeout_ms(Instant t, Instant deadline) {
  if (deadline == kNever) return -1;
  if (deadline <= t) return 0;
  std::int64_t us = (deadline - t).count();
  if (us >= kMaxSleepMs * 1000) return static_cast<int>(kMaxSleepMs);
  return static_cast<int>((us + 999) / 1000);
}

}  // namespace

EventLoop::EventLoop(socket::Stack& stack, iface::Device& dev, int dev_fd)
    : stack_(stack), dev_(dev), dev_fd_(dev_fd), start_ns_(monotonic_ns()) {
  sigemptyset(&signals_);
  sigemptyset(&unblock_at_end_);
  try {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw_errno("epoll_create1");
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) throw_errno("eventfd");
    watch(epoll_fd_, stop_fd_, kStop);
    if (dev_fd_ >= 0) watch(epoll_fd_, dev_fd_, kDevice);
  } catch (...) {
    if (stop_fd_ >= 0) ::close(stop_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    throw;
  }
}

EventLoop::EventLoop(socket::Stack& stack, phy::TunDevice& dev)
    : EventLoop(stack, static_cast<iface::Device&>(dev), dev.fd()) {
  set_device_deadline([&dev] { return dev.next_deadline(); });
}

EventLoop::EventLoop(socket::Stack& stack, phy::TapDevice& dev)
    : EventLoop(stack, static_cast<iface::Device&>(dev), dev.fd()) {
  set_device_deadline([&dev] { return dev.next_deadline(); });
}

EventLoop::~EventLoop() {
  if (signal_fd_ >= 0) {
    ::close(signal_fd_);
    ::pthread_sigmask(SIG_UNBLOCK, &unblock_at_end_, nullptr);
  }
  ::close(stop_fd_);
  ::close(epoll_fd_);
}

Instant EventLoop::now() const {
  return instant_from_us((monotonic_ns() - start_ns_) / 1000);
}

void EventLoop::stop() {
  // Only write(2): async-signal-safe. errno is preserved for signal handlers.
  int saved = errno;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(stop_fd_, &one, sizeof one);
  errno = saved;
}

void EventLoop::stop_on_signals(std::initializer_list<int> signals) {
  sigset_t add;
  sigemptyset(&add);
  for (int s : signals)
    sigaddset(&add, s);
  sigset_t old;
  if (int err = ::pthread_sigmask(SIG_BLOCK, &add, &old); err != 0)
    throw std::system_error(err, std::system_category(), "pthread_sigmask");
  for (int s : signals) {
    sigaddset(&signals_, s);
    if (!sigismember(&old, s)) sigaddset(&unblock_at_end_, s);
  }
  // Passing the existing signalfd replaces its mask with the union.
  int fd = ::signalfd(signal_fd_, &signals_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw_errno("signalfd");
  if (signal_fd_ < 0) {
    signal_fd_ = fd;
    watch(epoll_fd_, signal_fd_, kSignal);
  }
}

void EventLoop::every(Duration period, std::function<void()> fn) {
  if (period <= Duration(0)) period = Duration(1);
  periodic_.push_back({now() + period, period, std::move(fn)});
}

void EventLoop::run_until(std::function<bool()> done) {
  run(done, kNever);
}

void EventLoop::run_for(Duration d) {
  run(nullptr, now() + d);
}

void EventLoop::run(const std::function<bool()>& done, Instant run_end) {
  stop_signal_.reset();
  device_failed_ = false;
  past_deadline_polls_ = 0;
  // User calls made before the run (connect, write) happen "now".
  stack_.set_time(now());
  while (true) {
    if (done && done()) return;
    if (!iterate(run_end)) return;
  }
}

bool EventLoop::drain(Duration limit) {
  Instant end = now() + limit;
  while (true) {
    Instant t = now();
    stack_.set_time(t);
    poll(t);
    bool pending = stack_.poll_at() <= t;
    if (device_deadline_ && device_deadline_()) pending = true;
    if (!pending) return true;
    if (t >= end) return false;
    iterate(end);  // sleeps until the held frames are due, then polls
  }
}

Instant EventLoop::next_deadline(Instant run_end) const {
  Instant d = earliest(stack_.poll_at(), run_end);
  if (device_deadline_)
    if (auto dev = device_deadline_()) d = earliest(d, *dev);
  for (const Periodic& p : periodic_)
    d = earliest(d, p.next);
  for (const Source& s : sources_)
    d = earliest(d, s.deadline());
  return d;
}

bool EventLoop::iterate(Instant run_end) {
  Instant t = now();
  int timeout = timeout_ms(t, next_deadline(run_end));
  if (timeout == 0 && past_deadline_polls_ >= kMaxImmediatePolls) {
    timeout = 1;
    ++stats_.forced_sleeps;
  }

  epoll_event events[8];
  int n = ::epoll_wait(epoll_fd_, events, 8, timeout);
  ++stats_.wakeups;
  if (n < 0) {
    if (errno != EINTR) throw_errno("epoll_wait");
    n = 0;
  }

  bool stopping = false;
  for (int i = 0; i < n; ++i) {
    switch (events[i].data.u32) {
      case kStop: {
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t r = ::read(stop_fd_, &count, sizeof count);
        stopping = true;
        break;
      }
      case kSignal: {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
          stop_signal_ = static_cast<int>(info.ssi_signo);
          stopping = true;
        }
        break;
      }
      case kDevice:
        // Level-triggered: an error or hang-up would wake us forever, so poll
        // once to take what is left and stop.
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          device_failed_ = true;
          stopping = true;
        }
        break;
      default:
        break;
    }
  }

  // Every wakeup is either readable frames or a deadline; polling when
  // nothing is due costs little, and is simpler than deciding which.
  t = now();
  run_periodic(t);
  poll(t);
  return !stopping && t < run_end;
}

void EventLoop::run_periodic(Instant t) {
  stack_.set_time(t);
  // By index: a task may add tasks.
  for (std::size_t i = 0; i < periodic_.size(); ++i) {
    if (periodic_[i].next > t) continue;
    auto fn = periodic_[i].fn;
    fn();
    Periodic& p = periodic_[i];
    p.next += p.period;
    if (p.next <= t) p.next = t + p.period;  // fell behind: skip, do not burst
  }
}

void EventLoop::add_source(int fd, std::function<Instant()> deadline,
                           std::function<bool()> after_poll) {
  if (fd >= 0) watch(epoll_fd_, fd, kSource);
  sources_.push_back({std::move(deadline), std::move(after_poll)});
}

void EventLoop::poll(Instant t) {
  stack_.poll(t, dev_);
  ++stats_.polls;
  bool again = false;
  for (Source& s : sources_)
    again = s.after_poll() || again;
  if (again) {
    stack_.poll(t, dev_);
    ++stats_.polls;
  }
  // A deadline still in the past right after a poll is fine once (more work
  // was queued) but not forever; iterate() stops spinning on it.
  Instant due = stack_.poll_at();
  if (device_deadline_)
    if (auto dev = device_deadline_()) due = earliest(due, *dev);
  past_deadline_polls_ = due <= t ? past_deadline_polls_ + 1 : 0;
}

}  // namespace synack::runtime
