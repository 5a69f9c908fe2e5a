// The AT modem's host names and UDP links on fake links and a fake
// resolver: DNS Fail, AT+CIPDOMAIN, UDP CIPSTART/CIPSEND, +IPD per datagram
// with and without CIPDINFO, CIPSEND to another peer, passive UDP receive.
#include "support/at_modem_fixture.hpp"

namespace synack::test {
namespace {

TEST_F(AtModemTest, HostNamesResolveBeforeTheLinkOpens) {
  ready();
  resolver.names["echo.test.synack"] = "10.91.0.9";
  resolver.hold = true;
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"echo.test.synack\",7"), "");
  EXPECT_EQ(cmd("AT"), "\r\nbusy p...\r\n");  // the look-up is outstanding
  EXPECT_TRUE(net.opened.empty());
  resolver.answer();
  EXPECT_EQ(poll(), "");
  ASSERT_EQ(net.opened.size(), 1u);
  EXPECT_EQ(net.opened[0]->remote.addr.to_string(), "10.91.0.9");
  EXPECT_EQ(net.opened[0]->remote.port, 7);
  net.opened[0]->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTATUS"),
            "STATUS:3\r\n+CIPSTATUS:0,\"TCP\",\"10.91.0.9\",7,40000,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "CLOSED\r\n\r\nOK\r\n");
  // A name the server does not know: DNS Fail, ERROR, CLOSED; nothing opened.
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"nowhere.test.synack\",7"), "");
  resolver.answer();
  EXPECT_EQ(poll(), "DNS Fail\r\n\r\nERROR\r\nCLOSED\r\n");
  EXPECT_NE(trace_text().find("DNS Fail: nowhere.test.synack: NXDOMAIN"), std::string::npos);
  EXPECT_EQ(net.opened.size(), 1u);
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, CipdomainAndCipstartexResolve) {
  ready();
  resolver.names["ok.test.synack"] = "10.91.5.5";
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"ok.test.synack\""), "+CIPDOMAIN:\"10.91.5.5\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"no.test.synack\""), "DNS Fail\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"10.1.2.3\""), "+CIPDOMAIN:\"10.1.2.3\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  auto l0 = open_link(0);
  EXPECT_EQ(cmd("AT+CIPSTARTEX=\"UDP\",\"ok.test.synack\",53"), "1,CONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(net.opened.back()->remote.addr.to_string(), "10.91.5.5");
  EXPECT_EQ(cmd("AT+CIPSTARTEX=\"TCP\",\"no.test.synack\",80"),
            "DNS Fail\r\n\r\nERROR\r\n2,CLOSED\r\n");
  EXPECT_EQ(resolver.asked.back(), "no.test.synack");
}

TEST_F(AtModemTest, UdpLinkSendsAndReceivesDatagrams) {
  ready();
  EXPECT_EQ(cmd("AT+CIPSTART=\"UDP\",\"10.91.0.1\",7,1234,2"), "CONNECT\r\n\r\nOK\r\n");
  ASSERT_EQ(net.opened.size(), 1u);
  auto u = net.opened[0];
  EXPECT_EQ(u->udp_mode, UdpMode::LastPeer);
  EXPECT_EQ(u->local_port, 1234);
  EXPECT_EQ(cmd("AT+CIPSTATUS"),
            "STATUS:3\r\n+CIPSTATUS:0,\"UDP\",\"10.91.0.1\",7,1234,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=5"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("hello"), "\r\nRecv 5 bytes\r\n\r\nSEND OK\r\n");
  ASSERT_EQ(u->sent.size(), 1u);
  EXPECT_EQ(u->sent[0].first.addr.to_string(), "10.91.0.1");
  EXPECT_EQ(u->sent[0].first.port, 7);
  EXPECT_EQ(u->sent[0].second, "hello");
  // One +IPD per datagram, even when two wait.
  Endpoint peer{*wire::Ipv4Address::parse("10.91.0.1"), 7};
  u->datagrams.push_back({peer, "hello"});
  u->datagrams.push_back({peer, "again"});
  EXPECT_EQ(poll(), "\r\n+IPD,5:hello\r\n+IPD,5:again");
  // CIPDINFO=1: each datagram's own sender.
  EXPECT_EQ(cmd("AT+CIPDINFO=1"), "\r\nOK\r\n");
  u->datagrams.push_back({{*wire::Ipv4Address::parse("10.91.0.5"), 5353}, "abc"});
  u->datagrams.push_back({peer, "de"});
  EXPECT_EQ(poll(), "\r\n+IPD,3,\"10.91.0.5\",5353:abc\r\n+IPD,2,\"10.91.0.1\",7:de");
  // AT+CIPSEND=<len>,<ip>,<port>: this datagram elsewhere.
  EXPECT_EQ(cmd("AT+CIPSEND=3,\"10.91.0.5\",5353"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("xyz"), "\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n");
  ASSERT_EQ(u->sent.size(), 2u);
  EXPECT_EQ(u->sent[1].first.addr.to_string(), "10.91.0.5");
  EXPECT_EQ(u->sent[1].first.port, 5353);
  EXPECT_EQ(u->sent[1].second, "xyz");
  EXPECT_EQ(cmd("AT+CIPSEND=3,\"nohost\",5353"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=3,\"10.91.0.5\",0"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSEND=3,\"10.91.0.5\""), "\r\nERROR\r\n");
  // A datagram the link cannot send.
  u->send_fails = true;
  EXPECT_EQ(cmd("AT+CIPSEND=2"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("no"), "\r\nRecv 2 bytes\r\n\r\nSEND FAIL\r\n");
  EXPECT_NE(trace_text().find("the datagram of 2 bytes was not sent"), std::string::npos);
  EXPECT_EQ(cmd("AT+CIPCLOSE"), "CLOSED\r\n\r\nOK\r\n");
  EXPECT_TRUE(u->closed);
}

TEST_F(AtModemTest, UdpRemoteHostOnlyForUdpLinks) {
  ready();
  auto t = open_link();
  EXPECT_EQ(cmd("AT+CIPSEND=3,\"10.91.0.5\",5353"), "\r\nERROR\r\n");
  EXPECT_TRUE(t->written.empty());
}

TEST_F(AtModemTest, UdpPassiveReceiveReadsOneDatagramAtATime) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDINFO=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=3,\"UDP\",\"10.91.0.1\",7"), "3,CONNECT\r\n\r\nOK\r\n");
  auto u = net.opened.back();
  EXPECT_EQ(u->udp_mode, UdpMode::Fixed);
  EXPECT_EQ(net.udp_requests.back().second, 0);  // any local port
  u->datagrams.push_back({{*wire::Ipv4Address::parse("10.91.0.1"), 7}, "first"});
  u->datagrams.push_back({{*wire::Ipv4Address::parse("10.91.0.6"), 99}, "second"});
  EXPECT_EQ(poll(), "\r\n+IPD,3,11\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVLEN?"), "+CIPRECVLEN:-1,-1,-1,11,-1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=3,100"),
            "+CIPRECVDATA:5,\"10.91.0.1\",7,first\r\nOK\r\n\r\n+IPD,3,6\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=3,100"), "+CIPRECVDATA:6,\"10.91.0.6\",99,second\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVDATA=3,100"), "\r\nERROR\r\n");
}

}  // namespace
}  // namespace synack::test
