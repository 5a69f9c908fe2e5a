#pragma once
// Which queue of a multi-queue TUN the kernel hands each packet to, chosen
// by a small eBPF program (TUNSETSTEERINGEBPF) instead of tun.c's flow
// table, so that every segment of a connection reaches the one stack that
// owns it, however long the connection idles (the flow table forgets a flow
// 3 s after the last packet written for it) and however many there are (it
// learns at most 4096).
//
// For a packet the kernel sends (IPv4, from its address to ours):
//  * TCP or UDP to a local port in [port_first, port_first + queues *
//    port_chunk): queue (port - port_first) / port_chunk. With each core's
//    ephemeral ports in its own chunk, the replies of an active open come
//    back to the core that opened it.
//  * any other TCP or UDP packet: a hash of the source address and both
//    ports (steering_hash_queue() below), so a connection the kernel opens
//    stays on the queue its SYN went to.
//  * anything else (ICMP, fragments, not IPv4): queue 0.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"

namespace synack::phy {

struct SteeringRule {
  std::uint16_t port_first = 0;  // the first core's first ephemeral port
  std::uint16_t port_chunk = 0;  // ports per core; 0: no port range, hash only
  std::uint16_t queues = 1;
};

// The queue for packets outside the port range (host byte order): the top
// bits of a Fibonacci hash of the source address and both ports, scaled to
// [0, queues). Low bits would not do: Linux picks even ports for connect().
std::size_t steering_hash_queue(std::uint32_t src_addr, std::uint16_t src_port,
                                std::uint16_t dst_port, std::uint16_t queues);
// The queue the program picks for `packet` (an IPv4 packet as the kernel
// sends it), computed here: what tests compare against.
std::size_t steering_queue(const SteeringRule& rule, std::span<const std::uint8_t> packet);

// Loads the program for `rule` (bpf(BPF_PROG_LOAD), a socket filter);
// returns its fd, which the caller closes once TunTapDevice::set_steering()
// holds it. An error message (with the verifier's log) on failure.
Result<int, std::string> load_steering_program(const SteeringRule& rule);

}  // namespace synack::phy
