#include "phy/tun_tap_common.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "phy/pcap_writer.hpp"

namespace synack::phy {
namespace {

// The largest IPv4 packet plus an Ethernet header: the kernel never hands us
// more without IFF_VNET_HDR (which we do not ask for), so one read always fits.
constexpr std::size_t kRxBufferSize = 65535 + 14;
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
  ifr.ifr_flags = static_cast<short>((kind == Kind::Tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    int err = errno;
    if (is_permission(err)) return fail(kNeedRoot);
    if (err == EBUSY) return fail("device busy (another process has it open)");
    if (err == EINVAL) return fail("invalid argument (is it an interface of another type?)");
    return fail(errno_text(err));
  }
  std::string name(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));

  std::string error = configure(name, opts, label);
  if (!error.empty()) return error;
  return Opened{fd.release(), std::move(name)};
}

TunTapDevice::TunTapDevice(int fd, std::string name, std::size_t mtu)
    : mtu_(mtu), fd_(fd), name_(std::move(name)), rx_buf_(kRxBufferSize) {}

TunTapDevice::~TunTapDevice() {
  // A non-persistent interface disappears with its last fd.
  ::close(fd_);
}

std::size_t TunTapDevice::read_one() {
  while (true) {
    ssize_t n = ::read(fd_, rx_buf_.data(), rx_buf_.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.rx_errors;
    return 0;
  }
}

void TunTapDevice::write_frame(std::span<const std::uint8_t> frame) {
  while (true) {
    ssize_t n = ::write(fd_, frame.data(), frame.size());
    if (n >= 0) {
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
    frame = std::span<const std::uint8_t>(rx_buf_).first(n);
  } else {
    // Called on every poll, so delayed egress frames also leave from here.
    flush_egress(now);
    for (int i = 0; i < kMaxIngressDrain; ++i) {
      std::size_t n = read_one();
      if (n == 0) break;
      ingress_->submit(now, std::span<const std::uint8_t>(rx_buf_).first(n));
    }
    auto due = ingress_->pop_due(now);
    if (!due) return std::nullopt;
    rx_held_ = std::move(*due);
    frame = rx_held_;
  }
  ++counters_.rx_frames;
  counters_.rx_bytes += frame.size();
  if (pcap_) pcap_->write(now, frame);
  return frame;
}

void TunTapDevice::transmit(Instant now, std::span<const std::uint8_t> frame) {
  if (pcap_) pcap_->write(now, frame);
  if (!egress_) {
    write_frame(frame);
    return;
  }
  egress_->submit(now, frame);
  flush_egress(now);
}

void TunTapDevice::flush_egress(Instant now) {
  if (!egress_) return;
  while (auto due = egress_->pop_due(now))
    write_frame(*due);
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

std::optional<Instant> TunTapDevice::next_deadline() const {
  std::optional<Instant> a = egress_ ? egress_->next_delivery() : std::nullopt;
  std::optional<Instant> b = ingress_ ? ingress_->next_delivery() : std::nullopt;
  if (a && b) return earliest(*a, *b);
  return a ? a : b;
}

}  // namespace synack::phy
