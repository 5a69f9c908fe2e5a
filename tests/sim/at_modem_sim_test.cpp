// The AT modem on real TCP links (TcpLinks over the socket API) on the
// simulated network and its virtual clock: in passive receive mode the
// module holds at most 5,760 unread bytes and TCP flow control holds the
// sender back; every byte still arrives, in order.
#include <gtest/gtest.h>

#include "apps/at_modem/modem.hpp"
#include "apps/at_modem/tcp_links.hpp"
#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;
using namespace synack::apps::at_modem;
using namespace std::chrono_literals;

namespace {

struct ModemOnSim {
  ModemOnSim() : sim(11) {
    iface::InterfaceConfig c;
    c.name = "module";
    c.address = *wire::Ipv4Cidr::parse("10.0.0.1/24");
    iface::InterfaceConfig s = c;
    s.name = "server";
    s.address = *wire::Ipv4Cidr::parse("10.0.0.2/24");
    module = &sim.add_host(c);
    server = &sim.add_host(s);
    phy::LinkParams link;
    link.delay = 2ms;
    sim.link(*module, *server, link);
    links = std::make_unique<TcpLinks>(*module, module->tcp().config());
    ModemConfig mc;
    mc.station = c.address;
    modem = std::make_unique<Modem>(mc, *links, resolver, sim.now());
    sim.on_step([this] {
      module->set_time(sim.now());
      modem->poll(sim.now());
      out += modem->take_output();
    });
  }
  // Types a line, then runs the network until the output holds `end`;
  // returns the output up to it (what came before the line included) and
  // keeps what follows (an unsolicited notice) in `out`.
  std::string at(const std::string& line, const std::string& end = "\r\nOK\r\n") {
    module->set_time(sim.now());
    modem->receive(line + "\r\n", sim.now());
    modem->poll(sim.now());
    out += modem->take_output();
    sim.run_until([&] { return out.find(end) != std::string::npos; }, sim.now() + 30s);
    std::size_t at = out.find(end);
    EXPECT_NE(at, std::string::npos) << line << " gave " << out.substr(0, 200);
    if (at == std::string::npos) return std::exchange(out, {});
    std::string answer = out.substr(0, at + end.size());
    out.erase(0, at + end.size());
    return answer;
  }

  phy::Simulation sim;
  socket::Stack* module;
  socket::Stack* server;
  DottedQuadResolver resolver;
  std::unique_ptr<TcpLinks> links;
  std::unique_ptr<Modem> modem;
  std::string out;
};

// Notices of what is buffered may come before an answer.
std::string strip_notices(std::string r) {
  while (r.starts_with("\r\n+IPD,"))
    r.erase(0, r.find("\r\n", 2) + 2);
  return r;
}

}  // namespace

TEST(AtModemSim, PassiveModeHoldsAtMost5760BytesAndFlowControlDoesTheRest) {
  ModemOnSim m;
  constexpr std::size_t kTotal = 200'000;
  std::string data(kTotal, '\0');
  for (std::size_t i = 0; i < kTotal; ++i)
    data[i] = static_cast<char>(i * 7 % 251);
  auto l = m.server->listen(80);
  ASSERT_TRUE(l);
  socket::TcpStream peer;
  std::size_t sent = 0;
  l->on_acceptable([&] {
    if (auto s = l->accept()) {
      peer = std::move(*s);
      peer.on_event([&] {
        if (!peer.valid()) return;
        while (sent < kTotal) {
          std::size_t n = peer.write(std::string_view(data).substr(sent));
          if (n == 0) break;
          sent += n;
        }
        if (sent == kTotal && !peer.closed()) peer.shutdown();
      });
    }
  });
  EXPECT_EQ(m.at("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CIPRECVMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CIPSTART=\"TCP\",\"10.0.0.2\",80"), "CONNECT\r\n\r\nOK\r\n");
  // Nothing is read for 5 s: the window closes at 5,760 bytes.
  m.sim.run_for(5s);
  // One notice, with what was buffered when it went out.
  EXPECT_TRUE(m.out.starts_with("\r\n+IPD,")) << m.out;
  EXPECT_EQ(m.out.find("+IPD", 3), std::string::npos) << m.out;
  m.out.clear();
  EXPECT_EQ(m.at("AT+CIPRECVLEN?"), "+CIPRECVLEN:5760,-1,-1,-1,-1\r\n\r\nOK\r\n");
  // The peer wrote the rest into its own send buffer; it waits there,
  // before a window of 0 (probing it), with nothing but probes in flight.
  EXPECT_EQ(sent, kTotal);
  EXPECT_EQ(peer.info().snd_wnd, 0u);
  EXPECT_LE(peer.info().bytes_in_flight, 1u);
  // Read it all in 2 KiB chunks.
  std::string got;
  bool closed = false;
  int reads = 0;
  while (got.size() < kTotal && reads < 1000) {
    ++reads;
    std::string r = strip_notices(m.at("AT+CIPRECVDATA=2048"));
    ASSERT_TRUE(r.starts_with("+CIPRECVDATA:")) << r.substr(0, 80);
    std::size_t comma = r.find(',');
    std::size_t n = std::stoul(r.substr(13, comma - 13));
    ASSERT_GT(n, 0u);
    ASSERT_LE(n, 2048u);
    ASSERT_EQ(r.size(), comma + 1 + n + 6);
    got += r.substr(comma + 1, n);
    std::string len = m.at("AT+CIPRECVLEN?");
    if (len.starts_with("CLOSED\r\n")) {  // right after the last byte was read
      closed = true;
      EXPECT_EQ(len, "CLOSED\r\n+CIPRECVLEN:-1,-1,-1,-1,-1\r\n\r\nOK\r\n");
      break;
    }
    len = strip_notices(len);
    std::size_t held = std::stoul(len.substr(12));
    EXPECT_LE(held, Modem::kPassiveWindow);
    m.sim.run_for(20ms);
  }
  EXPECT_EQ(got.size(), kTotal);
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(closed);  // CLOSED came once the last byte was read, not before
}

// The module gives a connect to a silent address up after about 15 s (SYN
// at 0, then 1, 2, 4 and 8 s), not after Linux's 127 s.
TEST(AtModemSim, ConnectToASilentHostFailsAfter15Seconds) {
  ModemOnSim m;
  EXPECT_EQ(m.at("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  Instant start = m.sim.now();
  EXPECT_EQ(m.at("AT+CIPSTART=\"TCP\",\"10.0.0.3\",80", "CLOSED\r\n"), "\r\nERROR\r\nCLOSED\r\n");
  Duration took = m.sim.now() - start;
  EXPECT_GE(took, 15s);
  EXPECT_LT(took, 16s);
}

// A peer that stops reading pushes back on the firmware: once the peer's
// window and the module's 2,920-byte send buffer are full, `SEND OK` waits.
TEST(AtModemSim, SendOkWaitsWhenThePeerStopsReading) {
  ModemOnSim m;
  tcp::TcpConfig small = m.server->tcp().config();
  small.recv_buffer = 4096;
  auto l = m.server->listen(80, small);
  ASSERT_TRUE(l);
  socket::TcpStream peer;  // accepted, never read
  l->on_acceptable([&] {
    if (auto s = l->accept()) peer = std::move(*s);
  });
  EXPECT_EQ(m.at("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(m.at("AT+CIPSTART=\"TCP\",\"10.0.0.2\",80"), "CONNECT\r\n\r\nOK\r\n");
  std::size_t accepted = 0;
  bool stalled = false;
  for (int i = 0; i < 20 && !stalled; ++i) {
    EXPECT_EQ(m.at("AT+CIPSEND=2048", "\r\n>"), "\r\nOK\r\n\r\n>");
    m.module->set_time(m.sim.now());
    m.modem->receive(std::string(2048, 'z'), m.sim.now());
    m.sim.run_until([&] { return m.out.find("SEND OK\r\n") != std::string::npos; },
                    m.sim.now() + 5s);
    if (m.out.find("SEND OK\r\n") == std::string::npos) {
      stalled = true;
      EXPECT_EQ(m.out, "\r\nRecv 2048 bytes\r\n");
    } else {
      EXPECT_EQ(m.out, "\r\nRecv 2048 bytes\r\n\r\nSEND OK\r\n");
      accepted += 2048;
    }
    m.out.clear();
  }
  EXPECT_TRUE(stalled);
  // The peer's 4,096-byte window plus the module's 2,920 bytes, in whole sends.
  EXPECT_EQ(accepted, 3u * 2048);
}
