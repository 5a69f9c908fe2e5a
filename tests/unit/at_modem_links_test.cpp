// The AT modem's links on fake links and a virtual clock: CIPSTART, CIPSEND,
// +IPD, CLOSED, the server, passive receive and passthrough, byte for byte.
#include <fmt/format.h>

#include "support/at_modem_fixture.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;

TEST_F(AtModemTest, TcpClientSequence) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7"), "");
  ASSERT_EQ(net.opened.size(), 1u);
  auto l = net.opened[0];
  EXPECT_EQ(l->remote.addr.to_string(), "10.91.0.1");
  EXPECT_EQ(l->remote.port, 7);
  EXPECT_EQ(l->opts.receive_buffer, 5760u);  // the ESP8266's TCP window
  EXPECT_EQ(poll(), "");
  l->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=5"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("hel"), "");
  EXPECT_EQ(send("lo"), "\r\nRecv 5 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "hello");
  l->inbound = "world";
  EXPECT_EQ(poll(), "\r\n+IPD,5:world");
  EXPECT_EQ(cmd("AT+CIPSTATUS"),
            "STATUS:3\r\n+CIPSTATUS:0,\"TCP\",\"10.91.0.1\",7,40000,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "CLOSED\r\n\r\nOK\r\n");
  EXPECT_TRUE(l->closed);
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:4\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, CipstartErrors) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7"), "\r\nERROR\r\n");  // no Wi-Fi
  ASSERT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  // Refused.
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",9"), "");
  net.opened.back()->status = LinkStatus::Failed;
  EXPECT_EQ(poll(), "\r\nERROR\r\nCLOSED\r\n");
  EXPECT_NE(trace_text().find("refused"), std::string::npos);
  // An unknown host name; a UDP link that cannot be opened.
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"example.com\",80"), "DNS Fail\r\n\r\nERROR\r\nCLOSED\r\n");
  EXPECT_NE(trace_text().find("example.com: NXDOMAIN"), std::string::npos);
  net.fail_open = OpenError::AddressInUse;
  EXPECT_EQ(cmd("AT+CIPSTART=\"UDP\",\"10.91.0.1\",7,1000,0"), "\r\nERROR\r\n");
  EXPECT_NE(trace_text().find("cannot open a UDP link: address in use"), std::string::npos);
  net.fail_open.reset();
  ASSERT_EQ(net.udp_requests.size(), 1u);
  EXPECT_EQ(net.udp_requests[0].first.port, 7);
  EXPECT_EQ(net.udp_requests[0].second, 1000);
  EXPECT_EQ(cmd("AT+CIPSTART=\"UDP\",\"10.91.0.1\",7,70000"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"UDP\",\"10.91.0.1\",7,1000,3"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"UDP\",\"10.91.0.1\",7,,,\"10.91.0.2\""), "CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(net.udp_requests.size(), 2u);  // the last one well-formed
  EXPECT_EQ(net.udp_requests[1].second, 0);
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "CLOSED\r\n\r\nOK\r\n");
  // A factory without SSL links.
  EXPECT_EQ(cmd("AT+CIPSTART=\"SSL\",\"10.91.0.1\",443"), "\r\nERROR\r\n");
  EXPECT_NE(trace_text().find("cannot open a SSL link: not supported"), std::string::npos);
  // Keep-alive and local IP forms; already connected.
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7,7201"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7,60,\"10.91.0.2\""), "");
  EXPECT_EQ(net.opened.back()->opts.keepalive_s, 60);
  net.opened.back()->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",8"), "ALREADY CONNECTED\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nERROR\r\n");  // not with a link open
  // A failed open (no ports).
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "CLOSED\r\n\r\nOK\r\n");
  net.fail_open = OpenError::NoPorts;
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, LinesDuringAPendingCommandAreBusy) {
  ready();
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7"), "");
  EXPECT_EQ(cmd("AT"), "\r\nbusy p...\r\n");
  net.opened.back()->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "CONNECT\r\n\r\nOK\r\n");
  // SEND OK waits until the link took every byte.
  net.opened.back()->window = 2;
  EXPECT_EQ(cmd("AT+CIPSEND=4"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("abcd"), "\r\nRecv 4 bytes\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=1"), "\r\nbusy p...\r\n");
  net.opened.back()->window = 10;
  EXPECT_EQ(poll(), "\r\nSEND OK\r\n");
  EXPECT_EQ(net.opened.back()->written, "abcd");
}

TEST_F(AtModemTest, SendFailsWhenTheLinkDies) {
  ready();
  auto l = open_link();
  l->window = 0;
  EXPECT_EQ(cmd("AT+CIPSEND=2"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("ab"), "\r\nRecv 2 bytes\r\n");
  l->status = LinkStatus::Failed;
  l->failure = "reset";
  EXPECT_EQ(poll(), "\r\nSEND FAIL\r\nCLOSED\r\n");
}

TEST_F(AtModemTest, CipsendLimitsAndBusyAfterData) {
  ready();
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPSEND=0"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=2049"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=0,5"), "\r\nERROR\r\n");  // no id with CIPMUX=0
  EXPECT_EQ(cmd("AT+CIPSEND=2048"), "\r\nOK\r\n\r\n>");
  // Exactly 2048 bytes are data, CR LF included; what follows in the same
  // write arrives while the module sends: `busy p...`, and it is dropped.
  std::string data(2046, 'x');
  data += "\r\n";
  EXPECT_EQ(send(data + "AT\r\n"), "\r\nRecv 2048 bytes\r\n\r\nbusy p...\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, data);
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, CipsendexEndsAtBackslashZero) {
  ready();
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPSENDEX=100"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("GET\\\\0 /\\0"), "\r\nRecv 7 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "GET\\0 /");
  EXPECT_EQ(cmd("AT+CIPSENDEX=3"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("abc"), "\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "GET\\0 /abc");
}

TEST_F(AtModemTest, IpdWithDinfoAndLargeData) {
  ready();
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPDINFO=1"), "\r\nOK\r\n");
  l->inbound = "hi";
  EXPECT_EQ(poll(), "\r\n+IPD,2,\"10.91.0.1\",7:hi");
  EXPECT_EQ(cmd("AT+CIPDINFO=0"), "\r\nOK\r\n");
  l->inbound = std::string(1500, 'z');
  EXPECT_EQ(poll(),
            "\r\n+IPD,1460:" + std::string(1460, 'z') + "\r\n+IPD,40:" + std::string(40, 'z'));
}

TEST_F(AtModemTest, OutputBackPressureStopsReading) {
  ready();
  auto l = open_link();
  l->inbound = std::string(100'000, 'q');
  modem->poll(now);
  std::size_t held = modem->output().size();
  EXPECT_GE(held, Modem::kOutputHighWater);
  EXPECT_LT(held, Modem::kOutputHighWater + 2000);
  EXPECT_GT(l->inbound.size(), 80'000u);  // left in the link: TCP holds the peer back
}

TEST_F(AtModemTest, PeerCloseReportsClosed) {
  ready();
  auto l = open_link();
  l->inbound = "bye";
  l->peer_fin = true;
  EXPECT_EQ(poll(), "\r\n+IPD,3:byeCLOSED\r\n");
  EXPECT_TRUE(l->closed);
  EXPECT_NE(trace_text().find("closed by the peer"), std::string::npos);
}

TEST_F(AtModemTest, MultipleLinksAndStartex) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX?"), "+CIPMUX:1\r\n\r\nOK\r\n");
  auto l0 = open_link(0);
  auto l2 = open_link(2);
  EXPECT_EQ(cmd("AT+CIPSTART=2,\"TCP\",\"10.91.0.1\",7"), "ALREADY CONNECTED\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=5,\"TCP\",\"10.91.0.1\",7"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=3,\"TCP\",\"host.test\",7"), "DNS Fail\r\n\r\nERROR\r\n3,CLOSED\r\n");
  EXPECT_EQ(cmd("AT+CIPSTARTEX=\"TCP\",\"10.91.0.1\",7"), "");
  net.opened.back()->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "1,CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=2,3"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("two"), "\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l2->written, "two");
  EXPECT_EQ(cmd("AT+CIPSEND=3,3"), "\r\nERROR\r\n");  // not open
  l0->inbound = "a";
  l2->inbound = "b";
  EXPECT_EQ(poll(), "\r\n+IPD,0,1:a\r\n+IPD,2,1:b");
  EXPECT_EQ(cmd("AT+CIPSTATE?"),
            "+CIPSTATE:0,\"TCP\",\"10.91.0.1\",7,40000,0\r\n"
            "+CIPSTATE:1,\"TCP\",\"10.91.0.1\",7,40002,0\r\n"
            "+CIPSTATE:2,\"TCP\",\"10.91.0.1\",7,40001,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=2"), "2,CLOSED\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=2"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=5"), "0,CLOSED\r\n1,CLOSED\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=5"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=0"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, StartexFillsTheLowestFreeIdsThenFails) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  for (int id = 0; id < 5; ++id) {
    EXPECT_EQ(cmd("AT+CIPSTARTEX=\"TCP\",\"10.91.0.1\",7"), "");
    net.opened.back()->status = LinkStatus::Open;
    EXPECT_EQ(poll(), fmt::format("{},CONNECT\r\n\r\nOK\r\n", id));
  }
  EXPECT_EQ(cmd("AT+CIPSTARTEX=\"TCP\",\"10.91.0.1\",7"), "\r\nERROR\r\n");
  EXPECT_NE(trace_text().find("no free link id"), std::string::npos);
  EXPECT_EQ(cmd("AT+CIPCLOSE=3"), "3,CLOSED\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTARTEX=\"TCP\",\"10.91.0.1\",7"), "");
  net.opened.back()->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "3,CONNECT\r\n\r\nOK\r\n");
  // A server client finds no free id: it is closed, not announced.
  EXPECT_EQ(cmd("AT+CIPSERVER=1,80"), "\r\nOK\r\n");
  auto c = net.client("10.91.0.9", 999);
  EXPECT_EQ(poll(), "");
  EXPECT_TRUE(c->closed);
}

TEST_F(AtModemTest, ServerAcceptsUpToMaxConn) {
  ready();
  EXPECT_EQ(cmd("AT+CIPSERVER=1,8080"), "\r\nERROR\r\n");  // needs CIPMUX=1
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVERMAXCONN=2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=1,8080"), "\r\nOK\r\n");
  EXPECT_EQ(net.listen_port, 8080);
  EXPECT_EQ(net.listen_opts.receive_buffer, 5760u);
  EXPECT_EQ(cmd("AT+CIPSERVER?"), "+CIPSERVER:1,8080,\"TCP\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=1,8081"), "\r\nERROR\r\n");    // one server only
  EXPECT_EQ(cmd("AT+CIPSERVERMAXCONN=3"), "\r\nERROR\r\n");  // not while it runs
  EXPECT_EQ(cmd("AT+CIPMUX=0"), "\r\nERROR\r\n");
  auto c0 = net.client("10.91.0.1", 50000);
  auto c1 = net.client("10.91.0.1", 50001);
  auto c2 = net.client("10.91.0.1", 50002);
  EXPECT_EQ(poll(), "0,CONNECT\r\n1,CONNECT\r\n");
  EXPECT_TRUE(c2->closed);  // over CIPSERVERMAXCONN
  c1->inbound = "ping";
  EXPECT_EQ(poll(), "\r\n+IPD,1,4:ping");
  EXPECT_EQ(cmd("AT+CIPSTATUS"),
            "STATUS:3\r\n+CIPSTATUS:0,\"TCP\",\"10.91.0.1\",50000,8080,1\r\n"
            "+CIPSTATUS:1,\"TCP\",\"10.91.0.1\",50001,8080,1\r\n\r\nOK\r\n");
  c0->peer_fin = true;
  EXPECT_EQ(poll(), "0,CLOSED\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=0,1"), "1,CLOSED\r\n\r\nOK\r\n");
  EXPECT_FALSE(net.listening);
  EXPECT_EQ(cmd("AT+CIPSERVER=1"), "\r\nOK\r\n");
  EXPECT_EQ(net.listen_port, 333);
  EXPECT_EQ(cmd("AT+CIPSERVER=0"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, CipstoClosesIdleServerLinks) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=1,80"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTO=10"), "\r\nOK\r\n");
  auto c = net.client("10.91.0.1", 50000);
  EXPECT_EQ(poll(), "0,CONNECT\r\n");
  EXPECT_EQ(advance(9s), "");
  c->inbound = "x";
  EXPECT_EQ(poll(), "\r\n+IPD,0,1:x");
  EXPECT_EQ(advance(9s), "");
  EXPECT_LE(modem->next_deadline(), now + 1s);
  EXPECT_EQ(advance(1s), "0,CLOSED\r\n");
  EXPECT_TRUE(c->closed);
}

TEST_F(AtModemTest, SysmsgLinkConnLines) {
  ready();
  EXPECT_EQ(cmd("AT+SYSMSG=2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=3,\"TCP\",\"10.91.0.1\",7"), "");
  net.opened.back()->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "+LINK_CONN:0,3,\"TCP\",0,\"10.91.0.1\",7,40000\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=1,80"), "\r\nOK\r\n");
  net.client("10.91.0.9", 1234);
  EXPECT_EQ(poll(), "+LINK_CONN:0,0,\"TCP\",1,\"10.91.0.9\",1234,80\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=3"), "3,CLOSED\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, PassiveReceiveMode) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVMODE?"), "+CIPRECVMODE:1\r\n\r\nOK\r\n");
  auto l = open_link(1);
  l->inbound = "hello";
  EXPECT_EQ(poll(), "\r\n+IPD,1,5\r\n");
  l->inbound += "world";
  EXPECT_EQ(poll(), "");  // one notice until it is read
  EXPECT_EQ(cmd("AT+CIPRECVLEN?"), "+CIPRECVLEN:-1,10,-1,-1,-1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=1,3"), "+CIPRECVDATA:3,hel\r\nOK\r\n\r\n+IPD,1,7\r\n");
  EXPECT_EQ(cmd("AT+CIPDINFO=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=1,100"), "+CIPRECVDATA:7,\"10.91.0.1\",7,loworld\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=1,100"), "\r\nERROR\r\n");  // nothing buffered
  EXPECT_EQ(cmd("AT+CIPRECVDATA=0,100"), "\r\nERROR\r\n");  // no link
  EXPECT_EQ(cmd("AT+CIPRECVDATA=1,0"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVLEN?"), "+CIPRECVLEN:-1,0,-1,-1,-1\r\n\r\nOK\r\n");
  // CLOSED waits until the buffered bytes were read.
  l->inbound = "last";
  l->peer_fin = true;
  EXPECT_EQ(poll(), "\r\n+IPD,1,4\r\n");
  EXPECT_EQ(advance(1s), "");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=1,4"), "+CIPRECVDATA:4,\"10.91.0.1\",7,last\r\nOK\r\n1,CLOSED\r\n");
}

TEST_F(AtModemTest, PassiveSingleLinkAndBackToActive) {
  ready();
  EXPECT_EQ(cmd("AT+CIPRECVMODE=1"), "\r\nOK\r\n");
  auto l = open_link();
  l->inbound = "abc";
  EXPECT_EQ(poll(), "\r\n+IPD,3\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=2"), "+CIPRECVDATA:2,ab\r\nOK\r\n\r\n+IPD,1\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=0,2"), "\r\nERROR\r\n");  // no id with CIPMUX=0
  EXPECT_EQ(cmd("AT+CIPRECVMODE=0"), "\r\nOK\r\n\r\n+IPD,1:c");
}

TEST_F(AtModemTest, PassthroughFlushesAfter20msAndLeavesOnGuardedPlusPlusPlus) {
  ready();
  EXPECT_EQ(cmd("AT+CIPSEND"), "\r\nERROR\r\n");  // not without CIPMODE=1
  EXPECT_EQ(cmd("AT+CIPMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND"), "\r\nERROR\r\n");  // no link
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPSEND=4"), "\r\nERROR\r\n");  // no length in passthrough mode
  EXPECT_EQ(cmd("AT+CIPSEND"), "\r\nOK\r\n\r\n>");
  EXPECT_TRUE(modem->in_passthrough());
  EXPECT_EQ(send("AT\r\n"), "");  // data now, not a command
  EXPECT_EQ(advance(19ms), "");
  EXPECT_EQ(l->written, "");
  EXPECT_EQ(advance(1ms), "");
  EXPECT_EQ(l->written, "AT\r\n");
  // Received data is passed through raw.
  l->inbound = "raw";
  EXPECT_EQ(poll(), "raw");
  // 2048 bytes go at once.
  EXPECT_EQ(send(std::string(2050, 'k')), "");
  EXPECT_EQ(l->written.size(), 4u + 2048);
  EXPECT_EQ(advance(20ms), "");
  EXPECT_EQ(l->written.size(), 4u + 2050);
  // +++ without the guard before it is data.
  EXPECT_EQ(send("x"), "");
  now += 5ms;
  EXPECT_EQ(send("+++"), "");
  EXPECT_EQ(advance(20ms), "");
  EXPECT_TRUE(modem->in_passthrough());
  EXPECT_EQ(l->written.substr(l->written.size() - 4), "x+++");
  // Guarded +++ leaves passthrough; the link stays open.
  EXPECT_EQ(advance(20ms), "");
  EXPECT_EQ(send("+++"), "");
  EXPECT_EQ(advance(19ms), "");
  EXPECT_TRUE(modem->in_passthrough());
  EXPECT_EQ(advance(1ms), "");
  EXPECT_FALSE(modem->in_passthrough());
  EXPECT_EQ(l->written.substr(l->written.size() - 4), "x+++");
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");
  EXPECT_FALSE(l->closed);
  EXPECT_EQ(cmd("AT+SYSMSG=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(advance(30ms), "");
  EXPECT_EQ(send("+++"), "");
  EXPECT_EQ(advance(20ms), "+QUITT\r\n");
}

TEST_F(AtModemTest, PassthroughReconnectsWhenTheLinkBreaks) {
  ready();
  EXPECT_EQ(cmd("AT+CIPRECONNINTV?"), "+CIPRECONNINTV:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECONNINTV=0"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPMODE=1"), "\r\nOK\r\n");
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPSEND"), "\r\nOK\r\n\r\n>");
  l->inbound = "end";
  l->peer_fin = true;
  EXPECT_EQ(poll(), "end");  // raw data; no CLOSED on the data channel
  EXPECT_TRUE(l->closed);
  EXPECT_TRUE(modem->in_passthrough());
  EXPECT_NE(trace_text().find("reconnecting every 100 ms"), std::string::npos);
  // Bytes with no link are lost.
  EXPECT_EQ(send("lost"), "");
  EXPECT_EQ(advance(20ms), "");
  EXPECT_EQ(net.opened.size(), 1u);
  EXPECT_EQ(advance(80ms), "");
  ASSERT_EQ(net.opened.size(), 2u);  // 100 ms after the break
  auto l2 = net.opened[1];
  EXPECT_EQ(l2->remote.addr.to_string(), "10.91.0.1");
  EXPECT_EQ(l2->remote.port, 7);
  // The new link fails: another try 100 ms later.
  l2->status = LinkStatus::Failed;
  EXPECT_EQ(poll(), "");
  EXPECT_EQ(advance(99ms), "");
  EXPECT_EQ(net.opened.size(), 2u);
  EXPECT_EQ(advance(1ms), "");
  ASSERT_EQ(net.opened.size(), 3u);
  auto l3 = net.opened[2];
  EXPECT_EQ(send("kept"), "");  // while it connects
  l3->status = LinkStatus::Open;
  EXPECT_EQ(advance(20ms), "");
  EXPECT_EQ(l3->written, "kept");
  EXPECT_EQ(l->written, "");
  l3->inbound = "back";
  EXPECT_EQ(poll(), "back");
  // +++ still leaves, and the link stays.
  EXPECT_EQ(advance(30ms), "");
  EXPECT_EQ(send("+++"), "");
  EXPECT_EQ(advance(20ms), "");
  EXPECT_FALSE(modem->in_passthrough());
  EXPECT_EQ(cmd("AT+CIPMODE=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTATUS"),
            "STATUS:3\r\n+CIPSTATUS:0,\"TCP\",\"10.91.0.1\",7,40002,0\r\n\r\nOK\r\n");
  l3->peer_fin = true;
  EXPECT_EQ(poll(), "CLOSED\r\n");  // in command mode again
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:4\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, CipdomainWithoutDns) {
  ready();
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"10.1.2.3\""), "+CIPDOMAIN:\"10.1.2.3\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"example.com\""), "DNS Fail\r\n\r\nERROR\r\n");
}

TEST_F(AtModemTest, CloseAllAndWifiLoss) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  auto a = open_link(0);
  auto b = open_link(4);
  EXPECT_EQ(cmd("AT+CWQAP"), "\r\nOK\r\n0,CLOSED\r\n4,CLOSED\r\nWIFI DISCONNECT\r\n");
  EXPECT_TRUE(a->closed);
  EXPECT_TRUE(b->closed);
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:5\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP"), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  auto c = open_link(1);
  modem->close_all();
  EXPECT_TRUE(c->closed);
  EXPECT_EQ(modem->open_links(), 0);
}

}  // namespace
}  // namespace synack::test
