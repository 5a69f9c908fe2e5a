#include "phy/tun_tap_common.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "phy/pcap_writer.hpp"
#include "phy/virtio_net_header.hpp"

namespace synack::phy {
namespace {

// The largest IPv4 packet plus an Ethernet header and a virtio-net header:
// a GSO frame from the kernel is one IPv4 packet too (gso_max_size 64 KiB;
// BIG TCP is not offered to TUN), so one read always fits.
constexpr std::size_t kRxBufferSize = VnetHeader::kSize + 14 + 65536;
// What we accept from the kernel (include/uapi/linux/if_tun.h): partial
// checksums and unsegmented IPv4 TCP. TSO6 is not asked for (synack speaks
// IPv4 only), nor ECN (such segments come cut by the kernel instead).
constexpr unsigned kOffloads = TUN_F_CSUM | TUN_F_TSO4;
// Frames moved from the fd into the ingress injector per receive() call, so
// that a flood cannot keep one poll busy forever.
constexpr int kMaxIngressDrain = 64;
constexpr const char* kNeedRoot = "permission denied (root or CAP_NET_ADMIN is needed)";

std::string errno_text(int err) {
  return std::system_category().message(err);
}

bool is_permission(int err) {
  return err == EPERM || err == EACCES;
}

// Closes an fd on scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

ifreq make_ifreq(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());  // length checked by open_fd()
  return ifr;
}

void put_address(sockaddr* dst, wire::Ipv4Address a) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(a.to_u32());
  std::memcpy(dst, &sin, sizeof sin);
}

// Configures the kernel side of `name` with ioctls on an AF_INET datagram
// socket (no `ip` subprocess). Returns an error message, or "" on success.
std::string configure(const std::string& name, const TunOptions& opts, const char* kind) {
  FdGuard sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0)
    return fmt::format("cannot configure {} device {}: socket: {}", kind, name, errno_text(errno));
  auto fail = [&](const char* what) {
    int err = errno;
    if (is_permission(err))
      return fmt::format("cannot configure {} device {}: {}", kind, name, kNeedRoot);
    return fmt::format("cannot configure {} device {}: {}: {}", kind, name, what, errno_text(err));
  };

  // Only set the MTU when it differs, so that a persistent device owned by an
  // unprivileged user can be opened with its current MTU.
  ifreq ifr = make_ifreq(name);
  if (::ioctl(sock.get(), SIOCGIFMTU, &ifr) < 0) return fail("get MTU");
  if (static_cast<std::size_t>(ifr.ifr_mtu) != opts.mtu) {
    ifr = make_ifreq(name);
    ifr.ifr_mtu = static_cast<int>(opts.mtu);
    if (::ioctl(sock.get(), SIOCSIFMTU, &ifr) < 0) return fail("set MTU");
  }

  if (opts.host_addr) {
    ifr = make_ifreq(name);
    put_address(&ifr.ifr_addr, opts.host_addr->address);
    if (::ioctl(sock.get(), SIOCSIFADDR, &ifr) < 0) return fail("set address");
    // SIOCSIFADDR gives a classful mask; set the requested prefix after it.
    ifr = make_ifreq(name);
    put_address(&ifr.ifr_netmask, wire::Ipv4Address(opts.host_addr->netmask()));
    if (::ioctl(sock.get(), SIOCSIFNETMASK, &ifr) < 0) return fail("set netmask");
  }

  if (opts.bring_up) {
    ifr = make_ifreq(name);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return fail("get flags");
    if (!(ifr.ifr_flags & IFF_UP)) {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
      if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) return fail("bring up");
    }
  }
  return {};
}

}  // namespace

Result<TunTapDevice::Opened, std::string> TunTapDevice::open_fd(const TunOptions& opts, Kind kind) {
  const char* label = kind == Kind::Tun ? "TUN" : "TAP";
  const std::string shown = opts.name.empty() ? std::string("(auto)") : opts.name;
  auto fail = [&](const std::string& why) -> Result<Opened, std::string> {
    return fmt::format("cannot create {} device {}: {}", label, shown, why);
  };
  if (opts.name.size() >= IFNAMSIZ)
    return fail(fmt::format("name longer than {} characters", IFNAMSIZ - 1));
  if (opts.name.find('/') != std::string::npos || opts.name.find(' ') != std::string::npos)
    return fail("name must not contain '/' or spaces");
  if (opts.mtu < 68 || opts.mtu > 65535)
    return fail(fmt::format("MTU {} out of range (68..65535)", opts.mtu));

  FdGuard fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (is_permission(err)) return fail(kNeedRoot);
    if (err == ENOENT || err == ENODEV || err == ENXIO)
      return fail("/dev/net/tun is missing (is the tun module loaded?)");
    return fail(fmt::format("open /dev/net/tun: {}", errno_text(err)));
  }

  // No packet-info header: each read/write is exactly one IP packet (TUN) or
  // one Ethernet frame without FCS (TAP).
  ifreq ifr = make_ifreq(opts.name);
  ifr.ifr_flags = static_cast<short>(
      (kind == Kind::Tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | (opts.offload ? IFF_VNET_HDR : 0) |
      (opts.multi_queue ? IFF_MULTI_QUEUE : 0) | (opts.exclusive ? IFF_TUN_EXCL : 0));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    int err = errno;
    if (is_permission(err)) return fail(kNeedRoot);
    if (err == EBUSY && opts.exclusive)
      return fail("it exists already; with --cores synack creates its own interface");
    if (err == EBUSY) return fail("device busy (another process has it open)");
    if (err == EINVAL && opts.multi_queue)
      return fail("invalid argument (it exists and is not a multi-queue TUN)");
    if (err == EINVAL) return fail("invalid argument (is it an interface of another type?)");
    return fail(errno_text(err));
  }
  std::string name(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  if (opts.offload) {
    // Documentation/networking/tuntap.rst; the header size is set even
    // though 10 is the default, in case another user of a persistent
    // device changed it.
    int hdr_size = static_cast<int>(VnetHeader::kSize);
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr_size) < 0)
      return fail(fmt::format("TUNSETVNETHDRSZ: {}", errno_text(errno)));
    if (::ioctl(fd.get(), TUNSETOFFLOAD, static_cast<unsigned long>(kOffloads)) < 0)
      return fail(fmt::format("TUNSETOFFLOAD: {}", errno_text(errno)));
  }

  if (opts.configure) {
    std::string error = configure(name, opts, label);
    if (!error.empty()) return error;
  }
  return Opened{fd.release(), std::move(name), opts.offload};
}

TunTapDevice::TunTapDevice(int fd, std::string name, std::size_t mtu, bool vnet,
                           std::size_t link_len)
    : mtu_(mtu),
      fd_(fd),
      vnet_(vnet),
      link_len_(link_len),
      name_(std::move(name)),
      rx_buf_(kRxBufferSize) {}

iface::DeviceCaps TunTapDevice::base_caps(iface::Medium medium) const {
  iface::DeviceCaps c{mtu_, medium};
  if (vnet_) {
    c.tx_checksum = true;
    // An IPv4 packet's length field caps what one GSO frame can be; on TAP
    // the frame stays within 64 KiB too (a pcap's snap length).
    c.tso_max = 65535 - link_len_;
  }
  return c;
}

TunTapDevice::~TunTapDevice() {
  // A non-persistent interface disappears with its last fd.
  ::close(fd_);
}

std::size_t TunTapDevice::read_one() {
  rx_trusted_ = false;
  rx_partial_ = false;
  rx_start_ = 0;
  while (true) {
    ssize_t n = ::read(fd_, rx_buf_.data(), rx_buf_.size());
    ++counters_.rx_reads;
    if (n > 0 && !vnet_) {
      ++counters_.rx_segments;
      return static_cast<std::size_t>(n);
    }
    if (n > static_cast<ssize_t>(VnetHeader::kSize)) {
      auto h = VnetHeader::parse(std::span(rx_buf_).first<VnetHeader::kSize>());
      rx_start_ = VnetHeader::kSize;
      std::size_t len = static_cast<std::size_t>(n) - VnetHeader::kSize;
      auto frame = std::span(rx_buf_).subspan(rx_start_, len);
      counters_.rx_segments += h.wire_segments(len);
      if (h.gso()) ++counters_.rx_gso_frames;
      if (h.flags & (VnetHeader::kNeedsCsum | VnetHeader::kDataValid)) {
        ++counters_.rx_csum_trusted;
        rx_trusted_ = true;
        // The stack skips TCP's check for trusted frames (csum_offset 16);
        // anything else partial (UDP) is finished here, so it checks out.
        if (h.flags & VnetHeader::kNeedsCsum) {
          if (h.csum_offset != 16) {
            complete_partial_checksum(frame, h);
          } else {
            rx_partial_ = true;
          }
        }
      }
      return len;
    }
    if (n > 0 && vnet_) {
      ++counters_.rx_errors;  // shorter than its own header
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.rx_errors;
    return 0;
  }
}

void TunTapDevice::write_frame(std::span<const std::uint8_t> frame, const iface::TxMeta& meta) {
  std::uint8_t hdr_bytes[VnetHeader::kSize] = {};
  VnetHeader h;
  if (vnet_) {
    h = VnetHeader::for_transmit(meta, link_len_);
    h.emit(std::span(hdr_bytes));
  }
  // Two pieces, one syscall: the header is not copied in front of the frame.
  iovec iov[2] = {{hdr_bytes, sizeof hdr_bytes},
                  {const_cast<std::uint8_t*>(frame.data()), frame.size()}};
  while (true) {
    ++counters_.tx_writes;
    ssize_t n = vnet_ ? ::writev(fd_, iov, 2) : ::write(fd_, frame.data(), frame.size());
    if (n >= 0) {
      counters_.tx_segments += h.wire_segments(frame.size());
      if (h.gso()) ++counters_.tx_gso_frames;
      ++counters_.tx_frames;
      counters_.tx_bytes += frame.size();
      return;
    }
    if (errno == EINTR) continue;
    // EAGAIN, ENOBUFS, EIO (link down), EINVAL (not IPv4): the frame is lost,
    // like on a congested wire; TCP retransmits.
    ++counters_.tx_dropped;
    return;
  }
}

std::optional<std::span<const std::uint8_t>> TunTapDevice::receive(Instant now) {
  std::span<const std::uint8_t> frame;
  if (!ingress_) {
    // The fast path: the stack reads straight from rx_buf_, no copy, no delay.
    std::size_t n = read_one();
    if (n == 0) return std::nullopt;
    frame = std::span<const std::uint8_t>(rx_buf_).subspan(rx_start_, n);
  } else {
    // Called on every poll, so delayed egress frames also leave from here.
    flush_egress(now);
    for (int i = 0; i < kMaxIngressDrain; ++i) {
      std::size_t n = read_one();
      if (n == 0) break;
      auto f = std::span(rx_buf_).subspan(rx_start_, n);
      // The injector's copy is checked by the stack like any frame.
      if (rx_partial_) complete_checksum(f);
      ingress_->submit(now, f);
    }
    rx_trusted_ = false;
    auto due = ingress_->pop_due(now);
    if (!due) return std::nullopt;
    rx_held_ = std::move(*due);
    frame = rx_held_;
  }
  ++counters_.rx_frames;
  counters_.rx_bytes += frame.size();
  if (pcap_) {
    // A capture shows checksums as they will be on the wire: finish a
    // partial one in place (the stack does not check a trusted frame's).
    if (rx_partial_ && !ingress_)
      complete_checksum(std::span(rx_buf_).subspan(rx_start_, frame.size()));
    pcap_->write(now, frame);
  }
  return frame;
}

void TunTapDevice::transmit(Instant now, std::span<const std::uint8_t> frame) {
  transmit_offloaded(now, frame, {});
}

void TunTapDevice::transmit_offloaded(Instant now, std::span<const std::uint8_t> frame,
                                      const iface::TxMeta& meta) {
  // The capture shows the frame as it goes to the kernel, a GSO frame as one
  // large segment (like tcpdump on a Linux host with TSO), but with its
  // checksum finished as the kernel will, in a copy, so that it reads clean.
  if (pcap_) {
    if (meta.csum_start != 0) {
      tx_scratch_.assign(frame.begin(), frame.end());
      complete_partial_checksum(tx_scratch_, VnetHeader::for_transmit(meta, link_len_));
      pcap_->write(now, tx_scratch_);
    } else {
      pcap_->write(now, frame);
    }
  }
  if (!egress_) {
    write_frame(frame, meta);
    return;
  }
  if (meta.csum_start != 0) {
    // The injector holds plain frames: finish the checksum in a copy.
    tx_scratch_.assign(frame.begin(), frame.end());
    complete_partial_checksum(tx_scratch_, VnetHeader::for_transmit(meta, link_len_));
    egress_->submit(now, tx_scratch_);
  } else {
    egress_->submit(now, frame);
  }
  flush_egress(now);
}

void TunTapDevice::complete_checksum(std::span<std::uint8_t> frame) {
  // Only for frames read just now: rx_buf_ still holds their header.
  auto h = VnetHeader::parse(std::span(rx_buf_).first<VnetHeader::kSize>());
  if (h.flags & VnetHeader::kNeedsCsum) complete_partial_checksum(frame, h);
}

void TunTapDevice::flush_egress(Instant now) {
  if (!egress_) return;
  while (auto due = egress_->pop_due(now))
    write_frame(*due, {});
}

void TunTapDevice::set_impairment(const LinkParams& params, std::uint64_t seed) {
  egress_ = std::make_unique<FaultInjector>(params, seed);
  // A different stream for the other direction, still fixed by `seed`.
  ingress_ = std::make_unique<FaultInjector>(params, seed ^ 0x9e3779b97f4a7c15ULL);
}

void TunTapDevice::clear_impairment() {
  egress_.reset();
  ingress_.reset();
  rx_held_.clear();
}

std::string TunTapDevice::set_steering(int prog_fd) {
  if (::ioctl(fd_, TUNSETSTEERINGEBPF, &prog_fd) < 0)
    return fmt::format("cannot steer {}'s queues: TUNSETSTEERINGEBPF: {}", name_,
                       errno_text(errno));
  return {};
}

std::optional<Instant> TunTapDevice::next_deadline() const {
  std::optional<Instant> a = egress_ ? egress_->next_delivery() : std::nullopt;
  std::optional<Instant> b = ingress_ ? ingress_->next_delivery() : std::nullopt;
  if (a && b) return earliest(*a, *b);
  return a ? a : b;
}

}  // namespace synack::phy
