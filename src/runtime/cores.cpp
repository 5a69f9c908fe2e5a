#include "runtime/cores.hpp"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace synack::runtime {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}

}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

std::string pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (int err = ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set); err != 0)
    return std::system_category().message(err);
  return {};
}

SignalWaiter::SignalWaiter(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  sigemptyset(&unblock_at_end_);
  for (int s : signals)
    sigaddset(&set_, s);
  sigset_t old;
  if (int err = ::pthread_sigmask(SIG_BLOCK, &set_, &old); err != 0)
    throw std::system_error(err, std::system_category(), "pthread_sigmask");
  for (int s : signals)
    if (!sigismember(&old, s)) sigaddset(&unblock_at_end_, s);
  signal_fd_ = ::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) throw_errno("signalfd");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(signal_fd_);
    throw_errno("eventfd");
  }
}

SignalWaiter::~SignalWaiter() {
  // A stop signal that came after the last wait() (a second Ctrl-C during
  // the shutdown it started) is discarded here: unblocked, it would kill the
  // process after a clean shutdown and turn its exit 0 into 130 or 143.
  signalfd_siginfo info{};
  while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  ::close(wake_fd_);
  ::close(signal_fd_);
  ::pthread_sigmask(SIG_UNBLOCK, &unblock_at_end_, nullptr);
}

std::optional<int> SignalWaiter::wait() {
  while (true) {
    signalfd_siginfo info{};
    if (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
      return static_cast<int>(info.ssi_signo);
    std::uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count))
      return std::nullopt;
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw_errno("poll");
  }
}

void SignalWaiter::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof one);
}

CoreThreads::CoreThreads() : cpus_(allowed_cpus()) {}

void CoreThreads::start(std::size_t n, std::function<void(std::size_t)> fn) {
  for (std::size_t i = 0; i < n; ++i)
    threads_.emplace_back([fn, i, cpu = cpu_for(i)] {
      // Pinning is a performance hint: a core that cannot be pinned (a
      // restricted cpuset) still runs, wherever the scheduler puts it.
      pin_current_thread(cpu);
      fn(i);
    });
}

void CoreThreads::join() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace synack::runtime
