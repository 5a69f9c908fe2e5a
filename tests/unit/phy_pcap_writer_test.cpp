#include "phy/pcap_writer.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::phy {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A per-test file name in the temp directory, removed at the end of the test.
class TempPath {
 public:
  explicit TempPath(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() /
              ("synack_phy_" + tag + "_" + std::to_string(::getpid()) + ".pcap")) {}
  ~TempPath() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct Record {
  std::int64_t us;
  std::uint32_t len;
  Bytes bytes;
};

struct Capture {
  int datalink = -1;
  int snaplen = 0;
  std::vector<Record> records;
};

Capture read_back(const std::string& path) {
  Capture c;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline(path.c_str(), errbuf);
  EXPECT_NE(in, nullptr) << errbuf;
  if (in == nullptr) return c;
  c.datalink = pcap_datalink(in);
  c.snaplen = pcap_snapshot(in);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(in, &hdr, &data) == 1) {
    c.records.push_back({std::int64_t(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec, hdr->len,
                         Bytes(data, data + hdr->caplen)});
  }
  pcap_close(in);
  return c;
}

Bytes tcp_frame(std::uint32_t seq, std::uint8_t flags, std::size_t payload_len) {
  const wire::Ipv4Address src(192, 168, 7, 1), dst(192, 168, 7, 2);
  Bytes payload(payload_len, 'x');
  wire::TcpRepr tcp;
  tcp.src_port = 51000;
  tcp.dst_port = 8080;
  tcp.seq = SeqNum(seq);
  tcp.ack = SeqNum(1);
  tcp.flags = flags;
  tcp.window = 65535;
  tcp.payload = payload;
  wire::Ipv4Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.protocol = static_cast<std::uint8_t>(wire::IpProtocol::Tcp);
  ip.payload_len = static_cast<std::uint16_t>(tcp.total_len());
  Bytes frame(ip.header_len() + tcp.total_len());
  ip.emit(frame);
  tcp.emit(std::span(frame).subspan(ip.header_len()), src, dst);
  return frame;
}

TEST(PhyPcapWriter, RecordsReadBackWithSameBytesAndTimestamps) {
  TempPath path("roundtrip");
  const std::vector<std::int64_t> times = {0, 1, 999'999, 1'500'000, 3'600'000'007};
  std::vector<Bytes> frames;
  {
    std::string error;
    auto w = PcapWriter::open(path.str(), &error);
    ASSERT_TRUE(w) << error;
    EXPECT_EQ(w->link_type(), PcapLinkType::RawIp);
    for (std::size_t i = 0; i < times.size(); ++i) {
      frames.push_back(tcp_frame(std::uint32_t(i), wire::tcp_flags::kAck, i * 100));
      EXPECT_TRUE(w->write(instant_from_us(times[i]), frames.back()));
    }
    EXPECT_EQ(w->frames_written(), times.size());
  }  // the destructor closes the file
  Capture c = read_back(path.str());
  EXPECT_EQ(c.datalink, DLT_RAW);
  EXPECT_EQ(c.snaplen, 65535);
  ASSERT_EQ(c.records.size(), times.size());
  for (std::size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(c.records[i].us, times[i]);
    EXPECT_EQ(c.records[i].len, frames[i].size());
    EXPECT_EQ(c.records[i].bytes, frames[i]);
  }
}

TEST(PhyPcapWriter, FlushMakesRecordsVisibleWhileOpen) {
  TempPath path("flush");
  auto w = PcapWriter::open(path.str(), nullptr);
  ASSERT_TRUE(w);
  w->write(instant_from_us(42), tcp_frame(1, wire::tcp_flags::kSyn, 0));
  w->flush();
  Capture c = read_back(path.str());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].us, 42);
}

TEST(PhyPcapWriter, EthernetLinkType) {
  TempPath path("ether");
  auto w = PcapWriter::open(path.str(), nullptr, PcapLinkType::Ethernet);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->link_type(), PcapLinkType::Ethernet);
  Bytes frame(60, 0);
  frame[12] = 0x08;  // EtherType IPv4
  w->write(instant_from_us(5), frame);
  w->close();
  Capture c = read_back(path.str());
  EXPECT_EQ(c.datalink, DLT_EN10MB);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].bytes, frame);
}

TEST(PhyPcapWriter, LongFramesAreCutAtTheSnapLength) {
  TempPath path("snap");
  auto w = PcapWriter::open(path.str(), nullptr, PcapLinkType::RawIp, 64);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->snaplen(), 64u);
  Bytes frame = tcp_frame(1, wire::tcp_flags::kAck, 200);
  w->write(instant_from_us(1), frame);
  w->close();
  Capture c = read_back(path.str());
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].len, frame.size());
  EXPECT_EQ(c.records[0].bytes, Bytes(frame.begin(), frame.begin() + 64));
}

TEST(PhyPcapWriter, WritesAfterCloseAreRefused) {
  TempPath path("closed");
  auto w = PcapWriter::open(path.str(), nullptr);
  ASSERT_TRUE(w);
  w->write(instant_from_us(1), tcp_frame(1, 0, 0));
  w->close();
  w->close();  // idempotent
  w->flush();  // harmless
  EXPECT_FALSE(w->write(instant_from_us(2), tcp_frame(2, 0, 0)));
  EXPECT_EQ(w->frames_written(), 1u);
  EXPECT_EQ(read_back(path.str()).records.size(), 1u);
}

TEST(PhyPcapWriter, OpenFailureExplainsWhy) {
  std::string error;
  auto w = PcapWriter::open("/nonexistent-dir/sub/x.pcap", &error);
  EXPECT_FALSE(w);
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(PcapWriter::open("/nonexistent-dir/sub/x.pcap", nullptr));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// tshark warns on stderr when run as root; that is about the environment, not
// about the file, so that one line is not held against the capture.
std::string without_root_warning(const std::string& err) {
  std::istringstream lines(err);
  std::string line, kept;
  while (std::getline(lines, line)) {
    if (line.rfind("Running as user \"root\"", 0) == 0) continue;
    kept += line + "\n";
  }
  return kept;
}

TEST(PhyPcapWriter, TsharkReadsTheFileWithoutWarnings) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "no tshark";
  TempPath path("tshark");
  TempPath out("tshark_out");
  TempPath err("tshark_err");
  {
    auto w = PcapWriter::open(path.str(), nullptr);
    ASSERT_TRUE(w);
    w->write(instant_from_us(0), tcp_frame(100, wire::tcp_flags::kSyn, 0));
    w->write(instant_from_us(1'000),
             tcp_frame(200, wire::tcp_flags::kSyn | wire::tcp_flags::kAck, 0));
    w->write(instant_from_us(2'000), tcp_frame(101, wire::tcp_flags::kAck, 0));
    w->write(instant_from_us(3'000),
             tcp_frame(101, wire::tcp_flags::kPsh | wire::tcp_flags::kAck, 512));
  }
  std::string cmd = "tshark -r '" + path.str() + "' >'" + out.str() + "' 2>'" + err.str() + "'";
  int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 0);
  EXPECT_EQ(without_root_warning(slurp(err.str())), "");
  std::string text = slurp(out.str());
  EXPECT_NE(text.find("192.168.7.1"), std::string::npos) << text;
  EXPECT_NE(text.find("TCP"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;
}

}  // namespace
}  // namespace synack::phy
