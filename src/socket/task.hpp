#pragma once
// A minimal lazy coroutine type for the socket API: `Task<T>` starts when
// awaited and resumes its awaiter when done (symmetric transfer); spawn()
// runs one detached. Resumption happens only from Stack::poll, so protocol
// code never re-enters itself.
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace synack::socket {

template <typename T>
class Task;

namespace detail {

template <typename T>
struct TaskPromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr exception;
  bool started_inline = false;  // Task::await_suspend is still running it

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      // Finished without suspending: Task::await_suspend resumes the awaiter
      // by returning false.
      if (h.promise().started_inline) return std::noop_coroutine();
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { exception = std::current_exception(); }
};

template <typename T>
struct TaskPromise : TaskPromiseBase<T> {
  std::optional<T> value;
  Task<T> get_return_object();
  void return_value(T v) { value = std::move(v); }
  T take() {
    if (this->exception) std::rethrow_exception(this->exception);
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase<void> {
  Task<void> get_return_object();
  void return_void() {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  // Runs the task until it first suspends. A task that completes at once
  // (a write that fits the buffer) continues the awaiter without nesting a
  // resume: a loop of such awaits otherwise grows the stack by one frame per
  // iteration where the compiler does not turn symmetric transfer into a
  // tail call (GCC at -O0), and overflows it.
  bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    h_.promise().started_inline = true;
    h_.resume();
    h_.promise().started_inline = false;
    return !h_.done();
  }
  T await_resume() { return h_.promise().take(); }

 private:
  Handle h_;
};

namespace detail {
template <typename T>
Task<T> TaskPromise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

// Runs eagerly and frees itself at the end.
struct Detached {
  struct promise_type {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};
}  // namespace detail

// Starts `task` now; it runs until its first suspension and continues from
// Stack::poll. An exception escaping it terminates the program.
inline void spawn(Task<void> task) {
  [](Task<void> t) -> detail::Detached { co_await t; }(std::move(task));
}

}  // namespace synack::socket
