#pragma once
// Counts heap allocations made through operator new (every allocation in
// synack's C++ code: containers, make_unique, std::function), so that a
// benchmark can report allocations per unit of work. It replaces the global
// operator new, so include it in exactly one translation unit per program.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace synack::bench {
inline std::atomic<std::uint64_t> g_heap_allocations{0};
inline std::uint64_t heap_allocations() {
  return g_heap_allocations.load(std::memory_order_relaxed);
}
}  // namespace synack::bench

// The replaceable forms; the nothrow and array forms call these. The
// deletes are replaced too, as a matching pair.
[[gnu::noinline]] void* operator new(std::size_t n) {
  synack::bench::g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t al) {
  synack::bench::g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
