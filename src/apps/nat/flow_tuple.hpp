#pragma once
// A flow's 5-tuple as one packet shows it, in the direction it travels.
// For ICMP echo (RFC 5508 §3.1: the identifier plays the port's role) an
// echo request puts its identifier in src_port and 0 in dst_port and an echo
// reply the other way round, so that a reply's tuple is its request's tuple
// reversed, like TCP's and UDP's.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "wire/ipv4_address.hpp"

namespace synack::nat {

enum class Protocol : std::uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

const char* to_string(Protocol p);

struct FlowTuple {
  Protocol proto = Protocol::Tcp;
  wire::Ipv4Address src;
  std::uint16_t src_port = 0;
  wire::Ipv4Address dst;
  std::uint16_t dst_port = 0;

  FlowTuple reversed() const { return {proto, dst, dst_port, src, src_port}; }
  bool operator==(const FlowTuple&) const = default;
  // "tcp 10.0.1.201:3389 -> 203.0.113.9:40000"
  std::string to_string() const;
};

struct FlowTupleHash {
  std::size_t operator()(const FlowTuple& t) const {
    std::uint64_t a = (std::uint64_t(t.src.to_u32()) << 32) | t.dst.to_u32();
    std::uint64_t b = (std::uint64_t(t.src_port) << 24) | (std::uint64_t(t.dst_port) << 8) |
                      static_cast<std::uint8_t>(t.proto);
    // A 64-bit mix (splitmix64's finaliser) of both halves.
    std::uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ull);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return static_cast<std::size_t>(x);
  }
};

// One side of a mapping: an address and a port (or ICMP identifier).
struct Endpoint {
  wire::Ipv4Address addr;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
  std::string to_string() const;
};

}  // namespace synack::nat
