#include "phy/sim_network.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "phy/pcap_writer.hpp"
#include "tcp/trace.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::phy {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

Instant at_us(std::int64_t us) {
  return instant_from_us(us);
}

const wire::Ipv4Address kClient(10, 0, 0, 1);
const wire::Ipv4Address kServer(10, 0, 0, 2);

// A valid TCP-in-IPv4 frame (both checksums correct).
Bytes tcp_frame(std::uint32_t seq, std::uint8_t flags, std::size_t payload_len = 0) {
  Bytes payload(payload_len, 0x42);
  wire::TcpRepr tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;
  tcp.seq = SeqNum(seq);
  tcp.ack = SeqNum(777);
  tcp.flags = flags;
  tcp.window = 64240;
  tcp.options.mss = 1460;
  tcp.payload = payload;
  wire::Ipv4Repr ip;
  ip.src = kClient;
  ip.dst = kServer;
  ip.protocol = static_cast<std::uint8_t>(wire::IpProtocol::Tcp);
  ip.payload_len = static_cast<std::uint16_t>(tcp.total_len());
  Bytes frame(ip.header_len() + tcp.total_len());
  ip.emit(frame);
  tcp.emit(std::span(frame).subspan(ip.header_len()), kClient, kServer);
  return frame;
}

Bytes received(SimPort& port, Instant now) {
  auto f = port.receive(now);
  if (!f) return {};
  return Bytes(f->begin(), f->end());
}

TEST(PhySimNetwork, PortCapsAndNames) {
  SimNetwork net(1);
  SimPort& a = net.add_port("client");
  SimPort& b = net.add_port("server", 9000);
  EXPECT_EQ(a.caps().mtu, 1500u);
  EXPECT_EQ(b.caps().mtu, 9000u);
  EXPECT_EQ(a.caps().medium, iface::Medium::Ip);
  EXPECT_EQ(a.name(), "client");
  EXPECT_EQ(b.index(), 1u);
  EXPECT_EQ(&net.port(0), &a);
  EXPECT_EQ(net.port_count(), 2u);
  EXPECT_FALSE(a.connected());
}

TEST(PhySimNetwork, PortAddressesStayStable) {
  SimNetwork net(1);
  SimPort* first = &net.add_port("p0");
  for (int i = 1; i < 100; ++i)
    net.add_port("p" + std::to_string(i));
  EXPECT_EQ(&net.port(0), first);
  EXPECT_EQ(first->name(), "p0");
}

TEST(PhySimNetwork, DeliversAfterTheLinkDelay) {
  SimNetwork net(1);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  LinkParams slow;
  slow.delay = 10ms;
  LinkParams fast;
  fast.delay = 1ms;
  net.connect(a, b, slow, fast);
  EXPECT_EQ(net.next_delivery(), kNever);

  a.transmit(net.now(), tcp_frame(1, wire::tcp_flags::kSyn));
  b.transmit(net.now(), tcp_frame(2, wire::tcp_flags::kAck));
  EXPECT_EQ(net.next_delivery(), at_us(1000));
  net.advance_to(net.next_delivery());
  EXPECT_FALSE(b.receive(net.now()).has_value());
  EXPECT_EQ(received(a, net.now()), tcp_frame(2, wire::tcp_flags::kAck));

  EXPECT_EQ(net.next_delivery(), at_us(10'000));
  net.advance_to(at_us(9'999));
  EXPECT_EQ(b.rx_pending(), 0u);
  net.advance_to(at_us(10'000));
  EXPECT_EQ(b.rx_pending(), 1u);
  EXPECT_EQ(received(b, net.now()), tcp_frame(1, wire::tcp_flags::kSyn));
  EXPECT_EQ(net.next_delivery(), kNever);

  EXPECT_EQ(a.stats().tx_frames, 1u);
  EXPECT_EQ(a.stats().rx_frames, 1u);
  EXPECT_EQ(b.stats().rx_frames, 1u);
  EXPECT_EQ(b.stats().rx_bytes, tcp_frame(1, wire::tcp_flags::kSyn).size());
  ASSERT_NE(net.egress(a), nullptr);
  EXPECT_EQ(net.egress(a)->stats().delivered, 1u);
}

TEST(PhySimNetwork, AdvanceDeliversEverythingDueInOrder) {
  SimNetwork net(1);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  LinkParams p;
  p.delay = 2ms;
  net.connect(a, b, p, p);
  for (std::uint32_t i = 0; i < 5; ++i)
    a.transmit(at_us(i * 100), tcp_frame(i, 0));
  net.advance_to(at_us(50'000));
  EXPECT_EQ(net.now(), at_us(50'000));
  for (std::uint32_t i = 0; i < 5; ++i)
    EXPECT_EQ(received(b, net.now()), tcp_frame(i, 0));
  EXPECT_FALSE(b.receive(net.now()).has_value());
}

TEST(PhySimNetwork, ClockNeverGoesBackwards) {
  SimNetwork net(1);
  net.advance_to(at_us(500));
  net.advance_to(at_us(100));
  EXPECT_EQ(net.now(), at_us(500));
}

TEST(PhySimNetwork, ReceivedBytesStayValidUntilNextReceive) {
  SimNetwork net(1);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  net.connect(a, b, {}, {});
  a.transmit(net.now(), tcp_frame(1, 0));
  a.transmit(net.now(), tcp_frame(2, 0));
  net.advance_to(net.now());
  auto first = b.receive(net.now());
  ASSERT_TRUE(first.has_value());
  a.transmit(net.now(), tcp_frame(3, 0));  // more traffic does not disturb it
  net.advance_to(net.now());
  EXPECT_EQ(Bytes(first->begin(), first->end()), tcp_frame(1, 0));
}

TEST(PhySimNetwork, UnconnectedAndOversizeFramesAreDropped) {
  SimNetwork net(1);
  SimPort& lonely = net.add_port("lonely");
  lonely.transmit(net.now(), tcp_frame(1, 0));
  EXPECT_EQ(lonely.stats().tx_no_link, 1u);
  EXPECT_EQ(net.next_delivery(), kNever);

  SimPort& a = net.add_port("a", 100);
  SimPort& b = net.add_port("b");
  net.connect(a, b, {}, {});
  a.transmit(net.now(), tcp_frame(1, 0, 200));
  EXPECT_EQ(a.stats().tx_oversize, 1u);
  EXPECT_EQ(a.stats().tx_frames, 0u);
  EXPECT_EQ(net.next_delivery(), kNever);
}

TEST(PhySimNetwork, ConnectRefusesMisuse) {
  SimNetwork net(1);
  SimNetwork other(2);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  SimPort& c = net.add_port("c");
  SimPort& foreign = other.add_port("x");
  EXPECT_THROW(net.connect(a, a, {}, {}), std::logic_error);
  EXPECT_THROW(net.connect(a, foreign, {}, {}), std::logic_error);
  net.connect(a, b, {}, {});
  EXPECT_TRUE(a.connected());
  EXPECT_THROW(net.connect(c, a, {}, {}), std::logic_error);
  EXPECT_FALSE(c.connected());
}

TEST(PhySimNetwork, LostTcpSegmentsAreTraced) {
  SimNetwork net(1);
  tcp::Trace trace;
  net.set_trace(&trace);
  SimPort& a = net.add_port("client");
  SimPort& b = net.add_port("server");
  LinkParams drop_all;
  drop_all.loss = 1;
  net.connect(a, b, drop_all, {});
  a.transmit(at_us(250), tcp_frame(1000, wire::tcp_flags::kSyn | wire::tcp_flags::kAck, 10));
  ASSERT_EQ(trace.events().size(), 1u);
  const tcp::TraceEvent& e = trace.events()[0];
  EXPECT_EQ(e.kind, tcp::TraceKind::SegmentLost);
  EXPECT_EQ(e.host, "client");
  EXPECT_EQ(e.time, at_us(250));
  EXPECT_EQ(e.segment.src, kClient);
  EXPECT_EQ(e.segment.dst, kServer);
  EXPECT_EQ(e.segment.src_port, 40000);
  EXPECT_EQ(e.segment.dst_port, 80);
  EXPECT_EQ(e.segment.seq, 1000u);
  EXPECT_EQ(e.segment.ack, 777u);
  EXPECT_EQ(e.segment.flags, wire::tcp_flags::kSyn | wire::tcp_flags::kAck);
  EXPECT_EQ(e.segment.window, 64240);
  EXPECT_EQ(e.segment.payload_len, 10u);
  EXPECT_EQ(e.segment.options.mss, std::optional<std::uint16_t>(1460));

  // Delivered frames are not traced; neither is anything that is not a
  // well-formed TCP segment.
  b.transmit(at_us(300), tcp_frame(1, 0));
  Bytes bad_checksum = tcp_frame(2, 0);
  bad_checksum.back() ^= 1;
  a.transmit(at_us(400), bad_checksum);
  a.transmit(at_us(400), Bytes{1, 2, 3});
  Bytes icmp = tcp_frame(3, 0);
  icmp[9] = 1;  // protocol ICMP, IPv4 checksum now wrong as well
  a.transmit(at_us(400), icmp);
  EXPECT_EQ(trace.events().size(), 1u);
  EXPECT_EQ(net.egress(a)->stats().lost, 4u);
}

TEST(PhySimNetwork, EveryTransmittedFrameIsCapturedOnce) {
  auto path = std::filesystem::temp_directory_path() /
              ("synack_phy_sim_" + std::to_string(::getpid()) + ".pcap");
  std::string error;
  auto pcap = PcapWriter::open(path.string(), &error);
  ASSERT_TRUE(pcap) << error;
  SimNetwork net(1);
  net.set_pcap(pcap.get());
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  SimPort& lonely = net.add_port("lonely");
  LinkParams lossy;
  lossy.loss = 1;
  LinkParams dup;
  dup.duplicate = 1;
  net.connect(a, b, lossy, dup);
  a.transmit(at_us(10), tcp_frame(1, 0));       // lost on the link
  b.transmit(at_us(20), tcp_frame(2, 0));       // duplicated on the link
  lonely.transmit(at_us(30), tcp_frame(3, 0));  // no link
  net.advance_to(at_us(1000));
  EXPECT_EQ(a.rx_pending(), 2u);
  pcap->close();

  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline(path.c_str(), errbuf);
  ASSERT_NE(in, nullptr) << errbuf;
  std::vector<std::tuple<std::int64_t, Bytes>> got;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(in, &hdr, &data) == 1)
    got.emplace_back(std::int64_t(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec,
                     Bytes(data, data + hdr->caplen));
  pcap_close(in);
  std::filesystem::remove(path);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_tuple(std::int64_t(10), tcp_frame(1, 0)));
  EXPECT_EQ(got[1], std::make_tuple(std::int64_t(20), tcp_frame(2, 0)));
  EXPECT_EQ(got[2], std::make_tuple(std::int64_t(30), tcp_frame(3, 0)));
}

// A two-way exchange under heavy impairments, logged as (time, port, bytes).
using Log = std::vector<std::tuple<std::int64_t, std::size_t, Bytes>>;
Log impaired_run(std::uint64_t seed) {
  SimNetwork net(seed);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  auto p =
      LinkParams::parse("loss=10%,dup=5%,reorder=10%,delay=5ms,jitter=2ms,corrupt=2%", nullptr);
  net.connect(a, b, *p, *p);
  Log log;
  for (std::uint32_t i = 0; i < 500; ++i) {
    const Instant t = at_us(i * 200);
    net.advance_to(t);
    for (SimPort* port : {&a, &b}) {
      while (auto f = port->receive(t))
        log.emplace_back(to_us(t), port->index(), Bytes(f->begin(), f->end()));
    }
    a.transmit(t, tcp_frame(i, 0, i % 300));
    b.transmit(t, tcp_frame(i + 100'000, 0, (i * 7) % 300));
  }
  while (net.next_delivery() != kNever) {
    net.advance_to(net.next_delivery());
    for (SimPort* port : {&a, &b}) {
      while (auto f = port->receive(net.now()))
        log.emplace_back(to_us(net.now()), port->index(), Bytes(f->begin(), f->end()));
    }
  }
  return log;
}

TEST(PhySimNetwork, SameSeedReproducesTheRun) {
  Log first = impaired_run(77);
  EXPECT_GT(first.size(), 800u);
  EXPECT_EQ(first, impaired_run(77));
}

TEST(PhySimNetwork, DifferentSeedChangesTheRun) {
  EXPECT_NE(impaired_run(77), impaired_run(78));
}

TEST(PhySimNetwork, EachDirectionHasItsOwnRandomness) {
  SimNetwork net(5);
  SimPort& a = net.add_port("a");
  SimPort& b = net.add_port("b");
  LinkParams half;
  half.loss = 0.5;
  net.connect(a, b, half, half);
  Bytes a_got, b_got;  // 1 = this frame arrived
  for (std::uint32_t i = 0; i < 200; ++i) {
    a.transmit(at_us(i), tcp_frame(i, 0));
    b.transmit(at_us(i), tcp_frame(i, 0));
    net.advance_to(at_us(i));
    b_got.push_back(b.receive(net.now()).has_value());
    a_got.push_back(a.receive(net.now()).has_value());
  }
  EXPECT_NE(a_got, b_got);
}

}  // namespace
}  // namespace synack::phy
