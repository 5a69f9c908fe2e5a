#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "wire/ipv4_address.hpp"

namespace synack::tcp {

struct FourTuple {
  wire::Ipv4Address local_addr;
  std::uint16_t local_port = 0;
  wire::Ipv4Address remote_addr;
  std::uint16_t remote_port = 0;

  bool operator==(const FourTuple&) const = default;
  std::string to_string() const {
    return local_addr.to_string() + ":" + std::to_string(local_port) + " <-> " +
           remote_addr.to_string() + ":" + std::to_string(remote_port);
  }
};

struct FourTupleHash {
  std::size_t operator()(const FourTuple& t) const {
    // splitmix64 finaliser over the packed tuple: cheap and well mixed.
    std::uint64_t x = (std::uint64_t(t.local_addr.to_u32()) << 32) ^ t.remote_addr.to_u32();
    x ^= (std::uint64_t(t.local_port) << 16 | t.remote_port) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return static_cast<std::size_t>(x);
  }
};

}  // namespace synack::tcp
