#include "trace/sequence_diagram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "trace/diagram_layout.hpp"
#include "wire/tcp.hpp"

namespace synack::trace {
namespace {

using tcp::TcpState;
using tcp::TraceEvent;
using tcp::TraceKind;
namespace f = wire::tcp_flags;

const wire::Ipv4Address kServerAddr(10, 0, 0, 2);
constexpr std::uint16_t kServerPort = 80;
constexpr std::uint32_t kClientIsn = 1000;
constexpr std::uint32_t kServerIsn = 5000;

struct Peer {
  std::string name = "client";
  wire::Ipv4Address addr{10, 0, 0, 1};
  std::uint16_t port = 49152;
};

enum class Who { Client, Server };

wire::TcpOptions syn_options() {
  wire::TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = wire::TcpTimestamps{100, 0};
  o.window_scale = 7;
  return o;
}

// Builds traces by hand: a server and the current client peer (see with()).
class TraceBuilder {
 public:
  TraceBuilder& with(Peer p) {
    peer_ = std::move(p);
    return *this;
  }

  TraceBuilder& state(std::int64_t ms, Who who, TcpState from, TcpState to, std::string why = "") {
    TraceEvent e = base(ms, who, TraceKind::StateChange);
    bool server = who == Who::Server;
    e.local_addr = server ? kServerAddr : peer_.addr;
    e.local_port = server ? kServerPort : peer_.port;
    if (!(server && to == TcpState::Listen)) {  // a listener has no remote end
      e.remote_addr = server ? peer_.addr : kServerAddr;
      e.remote_port = server ? peer_.port : kServerPort;
    }
    e.from = from;
    e.to = to;
    e.text = std::move(why);
    events_.push_back(e);
    return *this;
  }

  // A segment sent, then either lost or received by the peer 10 ms later.
  TraceBuilder& send(std::int64_t ms, Who who, std::uint8_t flags, std::uint32_t seq,
                     std::uint32_t ack, std::uint32_t len = 0, wire::TcpOptions opts = {},
                     bool lost = false) {
    TraceEvent e = base(ms, who, TraceKind::SegmentSent);
    bool server = who == Who::Server;
    e.segment.src = server ? kServerAddr : peer_.addr;
    e.segment.dst = server ? peer_.addr : kServerAddr;
    e.segment.src_port = server ? kServerPort : peer_.port;
    e.segment.dst_port = server ? peer_.port : kServerPort;
    e.segment.seq = seq;
    e.segment.ack = ack;
    e.segment.flags = flags;
    e.segment.window = server ? 65160 : (flags & f::kSyn ? 64240 : 502);
    e.segment.payload_len = len;
    e.segment.options = opts;
    events_.push_back(e);
    if (lost) {
      e.kind = TraceKind::SegmentLost;
    } else {
      e.kind = TraceKind::SegmentReceived;
      e.time = instant_from_us((ms + 10) * 1000);
      e.host = server ? peer_.name : "server";
    }
    events_.push_back(e);
    return *this;
  }

  TraceBuilder& note(std::int64_t ms, Who who, std::string text) {
    TraceEvent e = base(ms, who, TraceKind::Note);
    e.text = std::move(text);
    events_.push_back(e);
    return *this;
  }

  TraceBuilder& raw(TraceEvent e) {
    events_.push_back(std::move(e));
    return *this;
  }

  // The article's three-way handshake (client ISN 1000, server ISN 5000).
  TraceBuilder& handshake(std::int64_t t0) {
    const std::uint32_t c = kClientIsn, s = kServerIsn;
    return state(t0, Who::Client, TcpState::Closed, TcpState::SynSent)
        .send(t0, Who::Client, f::kSyn, c, 0, 0, syn_options())
        .state(t0 + 10, Who::Server, TcpState::Listen, TcpState::SynReceived)
        .send(t0 + 10, Who::Server, f::kSyn | f::kAck, s, c + 1, 0, syn_options())
        .state(t0 + 20, Who::Client, TcpState::SynSent, TcpState::Established)
        .send(t0 + 20, Who::Client, f::kAck, c + 1, s + 1)
        .state(t0 + 30, Who::Server, TcpState::SynReceived, TcpState::Established);
  }

  std::vector<TraceEvent> events() const { return events_; }

 private:
  TraceEvent base(std::int64_t ms, Who who, TraceKind kind) const {
    TraceEvent e;
    e.time = instant_from_us(ms * 1000);
    e.host = who == Who::Server ? "server" : peer_.name;
    e.kind = kind;
    return e;
  }

  Peer peer_;
  std::vector<TraceEvent> events_;
};

// Handshake, 100 bytes of data, and the four-way close with the server's FIN
// lost once and retransmitted.
std::vector<TraceEvent> full_exchange() {
  TraceBuilder b;
  const std::uint32_t c = kClientIsn, s = kServerIsn;
  b.state(0, Who::Server, TcpState::Closed, TcpState::Listen)
      .handshake(0)
      .note(30, Who::Server, "syn queue 0/128")
      .send(40, Who::Client, f::kPsh | f::kAck, c + 1, s + 1, 100)
      .send(50, Who::Server, f::kAck, s + 1, c + 101)
      .state(1000, Who::Client, TcpState::Established, TcpState::FinWait1, "close()")
      .send(1000, Who::Client, f::kFin | f::kAck, c + 101, s + 1)
      .state(1010, Who::Server, TcpState::Established, TcpState::CloseWait)
      .send(1010, Who::Server, f::kAck, s + 1, c + 102)
      .state(1020, Who::Client, TcpState::FinWait1, TcpState::FinWait2)
      .state(1020, Who::Server, TcpState::CloseWait, TcpState::LastAck)
      .send(1020, Who::Server, f::kFin | f::kAck, s + 1, c + 102, 0, {}, /*lost=*/true)
      .send(1230, Who::Server, f::kFin | f::kAck, s + 1, c + 102)
      .state(1240, Who::Client, TcpState::FinWait2, TcpState::TimeWait)
      .send(1240, Who::Client, f::kAck, c + 102, s + 2)
      .state(1250, Who::Server, TcpState::LastAck, TcpState::Closed);
  return b.events();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The first row holding `needle`, or "" if none.
std::string row_with(const std::string& text, const std::string& needle) {
  for (const std::string& line : lines_of(text)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

std::size_t rows_with(const std::string& text, const std::string& needle) {
  auto lines = lines_of(text);
  return std::count_if(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.starts_with(prefix);
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.ends_with(suffix);
}

TEST(TraceSequenceDiagram, SynIsRelativeZeroAndGoesRight) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  std::string syn = row_with(out, " SYN seq=");
  EXPECT_NE(syn.find("-- SYN seq=0 win=64240 <mss 1460,sack,ts,ws 7> --"), std::string::npos)
      << out;
  EXPECT_NE(syn.find("->"), std::string::npos);
  EXPECT_EQ(syn.find("<-"), std::string::npos);
  EXPECT_EQ(syn.find("ack="), std::string::npos) << "no ack= without the ACK flag";
}

TEST(TraceSequenceDiagram, SynAckAcksOneAndGoesLeft) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  std::string synack = row_with(out, "SYN|ACK");
  EXPECT_NE(synack.find("<-- SYN|ACK seq=0 ack=1 win=65160 <mss 1460,sack,ts,ws 7> --"),
            std::string::npos)
      << out;
  EXPECT_EQ(synack.find("->"), std::string::npos);
}

TEST(TraceSequenceDiagram, DataAndAcksAreRelative) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  EXPECT_NE(row_with(out, "PSH|ACK seq=1 ack=1 len=100 win=502 -").find("->"), std::string::npos);
  EXPECT_NE(row_with(out, "- ACK seq=1 ack=101 win=65160 -").find("<-"), std::string::npos) << out;
  EXPECT_NE(row_with(out, "- FIN|ACK seq=101 ack=1 win=502 -"), "") << out;
  EXPECT_NE(row_with(out, "ACK seq=102 ack=2 win=502"), "") << out;
  EXPECT_EQ(rows_with(out, "len="), 1u);
}

TEST(TraceSequenceDiagram, StatesAtTheEdges) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  std::string syn = row_with(out, " SYN seq=");
  EXPECT_TRUE(starts_with(syn, "  0.000s  [SYN-SENT]     --")) << syn;
  EXPECT_TRUE(ends_with(syn, ">       [LISTEN]")) << syn;
  std::string synack = row_with(out, "SYN|ACK");
  EXPECT_TRUE(starts_with(synack, "  0.010s  [SYN-SENT]     <--")) << synack;
  EXPECT_TRUE(ends_with(synack, "-- [SYN-RECEIVED]")) << synack;
  // The client's ACK leaves before the server has processed it.
  std::string ack = row_with(out, "ACK seq=1 ack=1 win=502");
  EXPECT_TRUE(starts_with(ack, "  0.020s  [ESTABLISHED]  --")) << ack;
  EXPECT_TRUE(ends_with(ack, "> [SYN-RECEIVED]")) << ack;
  std::string last = row_with(out, "ACK seq=102 ack=2");
  EXPECT_TRUE(starts_with(last, "  1.240s  [TIME-WAIT]")) << last;
  EXPECT_TRUE(ends_with(last, "[LAST-ACK]")) << last;
}

TEST(TraceSequenceDiagram, StateChangesInTheirOwnColumn) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  auto lines = lines_of(out);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "  0.020s  SYN-SENT -> ESTABLISHED"), lines.end())
      << out;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "  1.000s  ESTABLISHED -> FIN-WAIT-1 (close())"),
            lines.end())
      << out;
  // The server's column is flush right.
  std::string server = row_with(out, "SYN-RECEIVED -> ESTABLISHED");
  EXPECT_TRUE(starts_with(server, "  0.030s    ")) << server;
  EXPECT_EQ(server.size(), 100u) << server;
  std::string note = row_with(out, "note: syn queue 0/128");
  EXPECT_TRUE(ends_with(note, "note: syn queue 0/128")) << note;
  EXPECT_EQ(note.size(), 100u) << note;
}

TEST(TraceSequenceDiagram, LostSegmentEndsInX) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  std::string lost = row_with(out, "(lost)");
  EXPECT_NE(lost.find("X-- FIN|ACK seq=1 ack=102 win=65160 (lost) --"), std::string::npos) << out;
  EXPECT_EQ(lost.find('<'), std::string::npos) << "a lost arrow has no head";
  EXPECT_TRUE(starts_with(lost, "  1.020s  [FIN-WAIT-2]")) << lost;
  EXPECT_TRUE(ends_with(lost, "[LAST-ACK]")) << lost;
  // Drawn once (as lost), then once more for the retransmission.
  EXPECT_EQ(rows_with(out, "FIN|ACK seq=1 ack=102"), 2u) << out;
  EXPECT_EQ(rows_with(out, "(lost)"), 1u);
}

TEST(TraceSequenceDiagram, LossWithoutItsSendIsStillDrawn) {
  TraceBuilder b;
  b.send(0, Who::Client, f::kSyn, kClientIsn, 0, 0, {}, /*lost=*/true);
  auto events = b.events();
  events.erase(events.begin());  // keep only the SegmentLost
  std::string out = render_sequence_diagram(events, {});
  std::string row = row_with(out, "(lost)");
  EXPECT_NE(row.find("-- SYN seq=0 win=64240 (lost) --X"), std::string::npos) << out;
  EXPECT_TRUE(ends_with(row, "X")) << row;
}

TEST(TraceSequenceDiagram, TimesHaveMilliseconds) {
  EXPECT_EQ(format_time(instant_from_us(0)), "  0.000s");
  EXPECT_EQ(format_time(instant_from_us(1'010'000)), "  1.010s");
  EXPECT_EQ(format_time(instant_from_us(12'345'999)), " 12.345s");
  EXPECT_EQ(format_time(instant_from_us(1234'500'000)), "1234.500s");
  std::string out = render_sequence_diagram(full_exchange(), {});
  EXPECT_TRUE(starts_with(row_with(out, "FIN-WAIT-2 -> TIME-WAIT"), "  1.240s  ")) << out;
  EXPECT_TRUE(starts_with(row_with(out, "LAST-ACK -> CLOSED"), "  1.250s  ")) << out;
}

TEST(TraceSequenceDiagram, ReceivesAndOtherHostsAreNotDrawn) {
  auto events = full_exchange();
  TraceEvent other;
  other.host = "router";
  other.kind = TraceKind::Note;
  other.text = "forwarded";
  events.push_back(other);
  std::string out = render_sequence_diagram(events, {});
  EXPECT_EQ(rows_with(out, "forwarded"), 0u);
  // 11 sends (1 lost) and no arrow for any of the 10 receives.
  EXPECT_EQ(rows_with(out, "-->") + rows_with(out, "<--") + rows_with(out, "(lost)"), 11u) << out;
}

TEST(TraceSequenceDiagram, HeaderAndLegend) {
  std::string out = render_sequence_diagram(full_exchange(), {});
  auto lines = lines_of(out);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_TRUE(starts_with(lines[0], "    time  client 10.0.0.1:49152 ")) << lines[0];
  EXPECT_TRUE(ends_with(lines[0], " server 10.0.0.2:80")) << lines[0];
  EXPECT_TRUE(starts_with(lines.back(), "legend: ---> segment, --X lost, [STATE] host state, "))
      << lines.back();
  EXPECT_TRUE(ends_with(lines.back(), "seq/ack relative to ISN")) << lines.back();
  DiagramOptions named;
  named.left_host = "esp8266";
  named.right_host = "server";
  EXPECT_TRUE(starts_with(render_sequence_diagram({}, named), "    time  esp8266"));
}

TEST(TraceSequenceDiagram, LinesStayWithinWidth) {
  for (std::size_t width : {100u, 90u, 80u}) {
    DiagramOptions opts;
    opts.width = width;
    std::string out = render_sequence_diagram(full_exchange(), opts);
    for (const std::string& line : lines_of(out))
      EXPECT_LE(line.size(), width) << line;
  }
  DiagramOptions narrow;
  narrow.width = 80;
  std::string out = render_sequence_diagram(full_exchange(), narrow);
  EXPECT_NE(row_with(out, "SYN seq=0 win=64240 <mss 1460,"), "") << out;
  EXPECT_NE(row_with(out, ",..>"), "") << "long option lists are cut\n" << out;
}

TEST(TraceSequenceDiagram, AbsoluteWithoutSynOrWhenAsked) {
  // A trace that starts after the handshake has no ISN to subtract.
  TraceBuilder b;
  b.send(0, Who::Client, f::kAck, 1234567, 7654321, 10);
  std::string out = render_sequence_diagram(b.events(), {});
  EXPECT_NE(row_with(out, "ACK seq=1234567 ack=7654321 len=10"), "") << out;

  DiagramOptions absolute;
  absolute.relative_seq = false;
  out = render_sequence_diagram(full_exchange(), absolute);
  EXPECT_NE(row_with(out, "SYN seq=1000 win="), "") << out;
  EXPECT_NE(row_with(out, "SYN|ACK seq=5000 ack=1001 "), "") << out;
  EXPECT_EQ(rows_with(out, "relative"), 0u);
}

TEST(TraceSequenceDiagram, NewIncarnationGetsNewIsn) {
  TraceBuilder b;
  b.handshake(0).handshake(5000);
  auto events = b.events();
  // The second connection on the same 4-tuple uses other ISNs.
  for (std::size_t i = events.size() / 2; i < events.size(); ++i) {
    events[i].segment.seq += 999;
    if (events[i].segment.flags & f::kAck) events[i].segment.ack += 999;
  }
  std::string out = render_sequence_diagram(events, {});
  EXPECT_EQ(rows_with(out, " SYN seq=0 "), 2u) << out;
  EXPECT_EQ(rows_with(out, "SYN|ACK seq=0 ack=1 "), 2u) << out;
}

TEST(TraceSequenceDiagram, OldDuplicateSynIsNegative) {
  TraceBuilder b;
  b.handshake(0).send(100, Who::Client, f::kSyn, kClientIsn - 500, 0);
  std::string out = render_sequence_diagram(b.events(), {});
  EXPECT_NE(row_with(out, "SYN seq=-500 "), "") << out;
}

TEST(TraceSequenceDiagram, SackBlocksAreRelative) {
  wire::TcpOptions sack;
  sack.sack_count = 1;
  sack.sack[0] = {kClientIsn + 201, kClientIsn + 301};
  TraceBuilder b;
  b.handshake(0).send(40, Who::Server, f::kAck, kServerIsn + 1, kClientIsn + 101, 0, sack);
  std::string out = render_sequence_diagram(b.events(), {});
  EXPECT_NE(row_with(out, "ACK seq=1 ack=101 win=65160 <sack 201-301>"), "") << out;
}

std::vector<TraceEvent> five_clients() {
  TraceBuilder b;
  b.state(0, Who::Server, TcpState::Closed, TcpState::Listen);
  for (int i = 1; i <= 5; ++i) {
    b.with({"client" + std::to_string(i), wire::Ipv4Address(10, 0, 1, std::uint8_t(i)),
            std::uint16_t(40000 + i)})
        .handshake(i * 100);
  }
  return b.events();
}

TEST(TraceSequenceDiagram, GlobMatchesSeveralLeftHosts) {
  DiagramOptions opts;
  opts.left_host = "client*";
  std::string out = render_sequence_diagram(five_clients(), opts);
  EXPECT_TRUE(starts_with(lines_of(out)[0], "    time  host     client* (5 hosts)")) << out;
  EXPECT_EQ(rows_with(out, " SYN seq=0 "), 5u) << out;
  // Each row names the client it concerns, also for the server's rows.
  std::string syn3 = row_with(out, "  0.300s  client3  [SYN-SENT]");
  EXPECT_NE(syn3.find("SYN seq=0"), std::string::npos) << out;
  EXPECT_TRUE(ends_with(syn3, "[LISTEN]")) << syn3;
  std::string synack3 = row_with(out, "  0.310s  client3  [SYN-SENT]");
  EXPECT_NE(synack3.find("[SYN-SENT]     <--"), std::string::npos) << out;
  EXPECT_NE(synack3.find("- SYN|ACK seq=0 ack=1 win=65160 <mss 1460,..> -"), std::string::npos);
  EXPECT_TRUE(ends_with(synack3, "[SYN-RECEIVED]")) << synack3;
  EXPECT_NE(row_with(out, "  0.330s  client3"), "") << out;  // server's state change
  EXPECT_EQ(rows_with(out, "client3"), 7u) << out;
  for (const std::string& line : lines_of(out))
    EXPECT_LE(line.size(), 100u) << line;
  // Without the glob only the exact name is drawn.
  opts.left_host = "client2";
  out = render_sequence_diagram(five_clients(), opts);
  EXPECT_EQ(rows_with(out, " SYN seq=0 "), 1u) << out;
  EXPECT_EQ(rows_with(out, "SYN|ACK"), 1u) << "the server's rows for others are left out\n" << out;
  EXPECT_EQ(rows_with(out, "10.0.1.1"), 0u) << out;
}

TEST(TraceSequenceDiagram, SeveralConnectionsShowPortsAndCanBeFiltered) {
  TraceBuilder b;
  b.state(0, Who::Server, TcpState::Closed, TcpState::Listen).handshake(0);
  b.with({"client", wire::Ipv4Address(10, 0, 0, 1), 49153}).handshake(100);
  std::string out = render_sequence_diagram(b.events(), {});
  EXPECT_NE(row_with(out, "SYN 49152>80 seq=0"), "") << out;
  EXPECT_NE(row_with(out, "SYN|ACK 80>49153 seq=0 ack=1"), "") << out;
  EXPECT_NE(row_with(out, "SYN-SENT -> ESTABLISHED (49153<->10.0.0.2:80)"), "") << out;

  DiagramOptions only;
  only.ports = {49153, 80};
  out = render_sequence_diagram(b.events(), only);
  EXPECT_EQ(rows_with(out, "49152"), 0u) << out;
  EXPECT_EQ(rows_with(out, " SYN seq=0 "), 1u) << out;
  EXPECT_NE(row_with(out, "CLOSED -> LISTEN"), "") << "the listener belongs to every connection";
  only.ports = {};
  only.addr = wire::Ipv4Address(10, 9, 9, 9);
  out = render_sequence_diagram(b.events(), only);
  EXPECT_EQ(rows_with(out, "SYN"), 0u) << out;
}

TEST(TraceSequenceDiagram, SpoofedSourcesAreNamed) {
  TraceBuilder b;
  b.state(0, Who::Server, TcpState::Closed, TcpState::Listen);
  for (int i = 1; i <= 2; ++i) {
    b.with({"attacker", wire::Ipv4Address(7, 7, 7, std::uint8_t(i)), 1000})
        .send(i, Who::Client, f::kSyn, 42, 0)
        .state(i, Who::Server, TcpState::Listen, TcpState::SynReceived)
        .send(i, Who::Server, f::kSyn | f::kAck, 9, 43);
  }
  DiagramOptions opts;
  opts.left_host = "attacker";
  std::string out = render_sequence_diagram(b.events(), opts);
  EXPECT_TRUE(starts_with(lines_of(out)[0], "    time  attacker (2 addresses)")) << out;
  EXPECT_NE(row_with(out, "SYN 1000>80 seq=0 win=64240 src=7.7.7.2"), "") << out;
  EXPECT_NE(row_with(out, "SYN|ACK 80>1000 seq=0 ack=1 win=65160 dst=7.7.7.2"), "") << out;
}

TEST(TraceEventLog, OneLinePerEventWithAbsoluteNumbers) {
  auto events = full_exchange();
  std::string log = render_event_log(events);
  auto lines = lines_of(log);
  EXPECT_EQ(lines.size(), events.size());
  EXPECT_EQ(lines[0], "  0.000s  server  state  10.0.0.2:80 <-> 0.0.0.0:0 CLOSED -> LISTEN");
  EXPECT_EQ(lines[2],
            "  0.000s  client  send   10.0.0.1:49152 > 10.0.0.2:80 SYN seq=1000 win=64240 "
            "<mss 1460,sack,ts 100/0,ws 7>");
  EXPECT_NE(row_with(log, "server  recv   10.0.0.1:49152 > 10.0.0.2:80 SYN seq=1000"), "");
  EXPECT_NE(row_with(log, "server  lost   10.0.0.2:80 > 10.0.0.1:49152 FIN|ACK seq=5001"), "");
  EXPECT_NE(row_with(log, "server  note   syn queue 0/128"), "");
}

TEST(TraceDiagramLayout, WrapAndFit) {
  EXPECT_EQ(wrap_words("a bb ccc", 4), (std::vector<std::string>{"a bb", "ccc"}));
  EXPECT_EQ(wrap_words("abcdefgh", 3), (std::vector<std::string>{"abc", "def", "gh"}));
  EXPECT_EQ(wrap_words("", 3), (std::vector<std::string>{""}));
  std::vector<std::string> items{"mss 1460", "sack", "ts", "ws 7"};
  EXPECT_EQ(fit_label("SYN", items, 100), "SYN <mss 1460,sack,ts,ws 7>");
  EXPECT_EQ(fit_label("SYN", items, 22), "SYN <mss 1460,sack,..>");
  EXPECT_EQ(fit_label("SYN", items, 9), "SYN <..>");
  EXPECT_EQ(fit_label("SYN", items, 3), "SYN");
  EXPECT_EQ(fit_label("SYN", {}, 1), "SYN");
}

TEST(TraceDiagramLayout, ArrowsFillTheMiddle) {
  DiagramLayout layout(70, 0);
  EXPECT_EQ(layout.width(), 70u);
  EXPECT_EQ(layout.middle_width(), 30u);
  EXPECT_EQ(layout.arrow("SYN", Side::Left, false), "------------ SYN ------------>");
  EXPECT_EQ(layout.arrow("SYN", Side::Right, false), "<------------ SYN ------------");
  EXPECT_EQ(layout.arrow("SYN (lost)", Side::Left, false).size(), 30u);
  EXPECT_EQ(layout.arrow("SYN (lost)", Side::Left, true), "-- SYN (lost) --X");
  EXPECT_EQ(layout.arrow("SYN (lost)", Side::Right, true), "             X-- SYN (lost) --");
  std::string long_label(40, 'x');
  EXPECT_EQ(layout.arrow(long_label, Side::Left, false), "-- " + long_label + " -->");
}

// The handshake exactly as a person reads it (checked by eye once).
TEST(TraceSequenceDiagram, GoldenHandshake) {
  TraceBuilder b;
  b.state(0, Who::Server, TcpState::Closed, TcpState::Listen)
      .handshake(1000)
      .send(1040, Who::Client, f::kPsh | f::kAck, kClientIsn + 1, kServerIsn + 1, 5, {}, true);
  DiagramOptions opts;
  opts.width = 90;
  const std::string expected =
      R"(    time  client 10.0.0.1:49152                                         server 10.0.0.2:80
==========================================================================================
  0.000s                                                                  CLOSED -> LISTEN
  1.000s  CLOSED -> SYN-SENT
  1.000s  [SYN-SENT]     -- SYN seq=0 win=64240 <mss 1460,sack,ts,ws 7> -->       [LISTEN]
  1.010s                                                            LISTEN -> SYN-RECEIVED
  1.010s  [SYN-SENT]     <-- SYN|ACK seq=0 ack=1 win=65160 <mss 1460,..> -- [SYN-RECEIVED]
  1.020s  SYN-SENT -> ESTABLISHED
  1.020s  [ESTABLISHED]  ------------ ACK seq=1 ack=1 win=502 ------------> [SYN-RECEIVED]
  1.030s                                                       SYN-RECEIVED -> ESTABLISHED
  1.040s  [ESTABLISHED]  -- PSH|ACK seq=1 ack=1 len=5 win=502 (lost) --X     [ESTABLISHED]
==========================================================================================
legend: ---> segment, --X lost, [STATE] host state, A -> B transition,
        seq/ack relative to ISN
)";
  EXPECT_EQ(render_sequence_diagram(b.events(), opts), expected)
      << render_sequence_diagram(b.events(), opts);
}

}  // namespace
}  // namespace synack::trace
