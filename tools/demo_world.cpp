#include "demo_world.hpp"

namespace synack::demo {

namespace {

// splitmix64's finaliser: nearby inputs give unrelated keys.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

// ---- World ------------------------------------------------------------------------

World::World(std::uint64_t seed, std::uint64_t salt, Instant start, tcp::Trace* trace,
             phy::PcapWriter* pcap)
    : seed_(seed), salt_(salt), start_(start), sim_(seed, start) {
  sim_.set_trace(trace);
  sim_.set_pcap(pcap);
}

socket::Stack& World::add_host(const std::string& name, wire::Ipv4Address address,
                               const tcp::TcpConfig& tcp) {
  iface::InterfaceConfig cfg;
  cfg.name = name;
  cfg.address = wire::Ipv4Cidr{address, 24};
  cfg.tcp = tcp;
  // Initial sequence numbers and ephemeral ports follow the seed.
  cfg.tcp.isn_key0 = mix(mix(seed_) ^ mix(salt_) ^ name_hash(name));
  cfg.tcp.isn_key1 = mix(cfg.tcp.isn_key0 + 1);
  return sim_.add_host(cfg);
}

void World::link(socket::Stack& a, socket::Stack& b, const phy::LinkParams& both) {
  sim_.link(a, b, both);
}

phy::FilteredPort& World::filter(socket::Stack& host) {
  return sim_.filter(host);
}

}  // namespace synack::demo
