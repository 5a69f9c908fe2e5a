#include "flood_spoofer.hpp"

#include <span>

#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::flood {

SpoofedSynSource::SpoofedSynSource(std::uint64_t seed, wire::Ipv4Address target, std::uint16_t port,
                                   wire::Ipv4Address pool, int prefix_len)
    : rng_(seed),
      target_(target),
      port_(port),
      pool_mask_(prefix_len >= 32 ? 0 : (0xffffffffu >> prefix_len)) {
  pool_base_ = pool.to_u32() & ~pool_mask_;
}

std::vector<std::uint8_t> SpoofedSynSource::next_frame() {
  std::uint64_t r = rng_();
  wire::Ipv4Address src(pool_base_ | (static_cast<std::uint32_t>(r) & pool_mask_));
  wire::TcpRepr syn;
  syn.src_port = static_cast<std::uint16_t>(1024 + (r >> 32) % 64000);
  syn.dst_port = port_;
  syn.seq = SeqNum(static_cast<std::uint32_t>(rng_()));
  syn.flags = wire::tcp_flags::kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  wire::Ipv4Repr ip{src,
                    target_,
                    static_cast<std::uint8_t>(wire::IpProtocol::Tcp),
                    64,
                    static_cast<std::uint16_t>(sent_),
                    true,
                    static_cast<std::uint16_t>(syn.total_len())};
  std::vector<std::uint8_t> frame(ip.header_len() + syn.total_len());
  syn.emit(std::span(frame).subspan(ip.header_len()), src, target_);
  ip.emit(frame);
  ++sent_;
  return frame;
}

}  // namespace synack::flood
