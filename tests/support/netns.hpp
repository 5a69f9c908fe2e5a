#pragma once
// Runs test code inside a network namespace of its own. Namespaces belong to
// threads, so `body` runs on a new thread that unshares CLONE_NEWNET; the
// namespace and every interface in it vanish when the thread ends. Without
// root this fails the test (never skips it).
#include <gtest/gtest.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

namespace synack::testing {

inline void in_fresh_netns(const std::function<void()>& body) {
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno)
                    << " (this test needs root or CAP_SYS_ADMIN and CAP_NET_ADMIN)";
      return;
    }
    body();
  });
  t.join();
}

}  // namespace synack::testing
