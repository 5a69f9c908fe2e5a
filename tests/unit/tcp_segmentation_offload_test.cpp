// TCP over a device with segmentation and checksum offload (TSO, as TUN
// with virtio-net headers offers it): the sender builds segments of many
// MSS that the device cuts at the MSS, with partial checksums; without the
// offload every segment fits the MSS. Two stacks on an in-memory link that
// records what each device was handed, on virtual time.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iface/device.hpp"
#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

// What a device was handed: one IPv4 packet and its offload metadata.
struct Sent {
  std::size_t ip_len = 0;
  std::size_t payload_len = 0;  // TCP payload
  iface::TxMeta meta;
  std::uint32_t seq = 0;
};

class LinkEnd final : public iface::Device {
 public:
  explicit LinkEnd(bool offload) : offload_(offload) {}
  iface::DeviceCaps caps() const override {
    iface::DeviceCaps c{1500, iface::Medium::Ip};
    c.tx_checksum = offload_;
    c.tso_max = offload_ ? 65535 : 0;
    return c;
  }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (inbox.empty()) return std::nullopt;
    cur_ = std::move(inbox.front().first);
    trusted_ = inbox.front().second;
    inbox.pop_front();
    return std::span<const std::uint8_t>(cur_);
  }
  void transmit(Instant now, std::span<const std::uint8_t> frame) override {
    transmit_offloaded(now, frame, {});
  }
  void transmit_offloaded(Instant, std::span<const std::uint8_t> frame,
                          const iface::TxMeta& meta) override {
    Sent s;
    s.ip_len = frame.size();
    s.meta = meta;
    auto ip = wire::Ipv4View<const std::uint8_t>::checked(frame);
    EXPECT_TRUE(ip.ok());
    if (!ip) return;
    auto tv = wire::TcpView<const std::uint8_t>::checked(ip->payload());
    if (tv) {
      s.payload_len = tv->payload().size();
      s.seq = tv->seq().raw();
    }
    sent.push_back(s);
    if (drop && drop(s)) return;
    // Like the kernel, the peer trusts a checksum the sender left partial.
    peer->inbox.emplace_back(std::vector<std::uint8_t>(frame.begin(), frame.end()),
                             meta.csum_start != 0);
  }
  bool rx_checksum_trusted() const override { return trusted_; }

  LinkEnd* peer = nullptr;
  std::deque<std::pair<std::vector<std::uint8_t>, bool>> inbox;
  std::vector<Sent> sent;
  std::function<bool(const Sent&)> drop;  // true: lost on the link

 private:
  bool offload_;
  std::vector<std::uint8_t> cur_;
  bool trusted_ = false;
};

iface::InterfaceConfig host(Ipv4Address a) {
  iface::InterfaceConfig c;
  c.address = {a, 24};
  return c;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A client on `a` sends `data` to a server on `b`; returns what arrived.
struct Transfer {
  explicit Transfer(bool offload) : da(offload), db(offload) {
    da.peer = &db;
    db.peer = &da;
  }
  std::string run(const std::string& data) {
    socket::Stack a(host(Ipv4Address(10, 0, 0, 1)));
    socket::Stack b(host(Ipv4Address(10, 0, 0, 2)));
    auto l = b.listen(80);
    EXPECT_TRUE(l.ok());
    auto c = a.connect(Ipv4Address(10, 0, 0, 2), 80);
    EXPECT_TRUE(c.ok());
    std::optional<socket::TcpStream> server;
    std::string got;
    std::size_t written = 0;
    Instant t{};
    for (int round = 0; round < 200000 && got.size() < data.size(); ++round) {
      a.poll(t, da);
      b.poll(t, db);
      if (!server) server = l->accept();
      if (c->connected() && written < data.size())
        written += c->write(std::string_view(data).substr(written));
      if (server) {
        char buf[65536];
        while (std::size_t n =
                   server->read(std::span(reinterpret_cast<std::uint8_t*>(buf), sizeof buf)))
          got.append(buf, n);
      }
      // Frames in flight arrive 1 ms later; otherwise sleep to the next timer.
      Instant next = t + 1ms;
      if (da.inbox.empty() && db.inbox.empty())
        next = std::max(next, std::min(a.poll_at(), b.poll_at()));
      if (next == kNever) break;
      t = next;
    }
    return got;
  }
  LinkEnd da;
  LinkEnd db;
};

// The MSS on the wire: 1500 less IPv4 and TCP headers and the timestamps.
constexpr std::size_t kWireMss = 1500 - 20 - 20 - 12;

TEST(SegmentationOffload, LargeSegmentsOnATsoDevice) {
  Transfer x(true);
  std::string data = pattern(1 << 20);
  ASSERT_EQ(x.run(data), data);
  std::size_t largest = 0, gso = 0;
  bool first_data_seen = false;
  for (const Sent& s : x.da.sent) {
    if (s.payload_len == 0) continue;
    // Every TCP packet leaves with a partial checksum for the device.
    EXPECT_EQ(s.meta.csum_start, 20u);
    EXPECT_LE(s.ip_len, 65535u);
    if (!first_data_seen) {
      // The initial window (RFC 6928, 10 segments) goes out as one segment.
      first_data_seen = true;
      EXPECT_EQ(s.payload_len, 10 * kWireMss);
    }
    if (s.payload_len > kWireMss) {
      ++gso;
      // The device cuts it at the wire MSS: every piece fits the MTU.
      EXPECT_EQ(s.meta.gso_size, kWireMss);
    } else {
      EXPECT_EQ(s.meta.gso_size, 0u);
    }
    largest = std::max(largest, s.payload_len);
  }
  // 64 KiB less headers, in whole wire segments: 45 of them.
  EXPECT_EQ(largest, 45 * kWireMss);
  EXPECT_GT(gso, 0u);
  // 1 MiB in far fewer packets than wire segments.
  EXPECT_LT(x.da.sent.size(), (1u << 20) / kWireMss / 4);
}

TEST(SegmentationOffload, MssSegmentsWithoutIt) {
  Transfer x(false);
  std::string data = pattern(1 << 20);
  ASSERT_EQ(x.run(data), data);
  std::size_t data_packets = 0;
  for (const Sent& s : x.da.sent) {
    EXPECT_EQ(s.meta.csum_start, 0u);
    EXPECT_EQ(s.meta.gso_size, 0u);
    EXPECT_LE(s.ip_len, 1500u);
    EXPECT_LE(s.payload_len, kWireMss);
    if (s.payload_len > 0) ++data_packets;
  }
  EXPECT_GE(data_packets, (1u << 20) / kWireMss);
}

// A lost large segment is repaired: what goes again is either one MSS or
// itself a segment the device cuts at the MSS, and the bytes arrive intact.
void expect_repaired(int lost_index) {
  Transfer x(true);
  int large_seen = 0;
  std::optional<std::uint32_t> lost_seq;
  x.da.drop = [&](const Sent& s) {
    if (s.payload_len <= kWireMss || lost_seq) return false;
    if (large_seen++ != lost_index) return false;
    lost_seq = s.seq;
    return true;
  };
  std::string data = pattern(1 << 20);
  ASSERT_EQ(x.run(data), data);
  ASSERT_TRUE(lost_seq.has_value());
  int resent = 0;
  bool after = false;
  for (const Sent& s : x.da.sent) {
    if (s.payload_len == 0) continue;
    if (s.seq == *lost_seq) {
      if (after) ++resent;
      after = true;
    }
    EXPECT_TRUE(s.payload_len <= kWireMss || s.meta.gso_size == kWireMss);
  }
  EXPECT_GE(resent, 1);
}

TEST(SegmentationOffload, LostFirstFlightRetransmittedByTimeout) {
  expect_repaired(0);  // nothing beyond it is SACKed: the RTO resends it
}

TEST(SegmentationOffload, LostMiddleSegmentRepairedWithSack) {
  expect_repaired(3);
}

}  // namespace
}  // namespace synack
