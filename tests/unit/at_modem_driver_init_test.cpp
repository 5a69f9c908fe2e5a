// What host drivers send at start-up and the formats review found wrong:
// exact response bytes per esp-at v2.2 for ESP8266 (AT+SYSSTORE,
// AT+CWAUTOCONN, AT+CWSTATE, AT+CWHOSTNAME, AT+SYSTIMESTAMP, AT+CIPDNS,
// STATUS codes, `ERR CODE:`, AT+SYSMSG, AT+CIPRECVLEN, AT+CIPSENDEX's
// escapes, bytes beyond AT+CIPSEND's <len>, AT+CIPCLOSEMODE, AT+CIPSSLCCONF).
#include "support/at_modem_fixture.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;

TEST_F(AtModemTest, SysstoreAndCwautoconn) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSSTORE?"), "+SYSSTORE:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSSTORE=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSSTORE?"), "+SYSSTORE:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSSTORE=2"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CWAUTOCONN?"), "+CWAUTOCONN:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWAUTOCONN=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWAUTOCONN?"), "+CWAUTOCONN:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWAUTOCONN=1,1"), "\r\nERROR\r\n");
  // Without auto-connect the module does not rejoin after AT+RST.
  ASSERT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RST"), "\r\nOK\r\n\r\nready\r\n");
  EXPECT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWAUTOCONN=1"), "\r\nOK\r\n");
  ASSERT_EQ(cmd("AT+CWJAP"), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RST"), "\r\nOK\r\n\r\nready\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n");
  // AT+RESTORE puts both back to 1.
  EXPECT_EQ(cmd("AT+SYSSTORE=0"), "AT+SYSSTORE=0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RESTORE"), "AT+RESTORE\r\n\r\nOK\r\n\r\nready\r\n");
  EXPECT_EQ(cmd("AT+SYSSTORE?"), "AT+SYSSTORE?\r\n+SYSSTORE:1\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, StationStatusCodes) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  // 1: no join tried yet; 5: a join failed or the station left; 0: no
  // station (AT+CWMODE=2).
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWSTATE?"), "+CWSTATE:0,\"\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"nowhere\",\"\""), "+CWJAP:3\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:5\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWSTATE?"), "+CWSTATE:4,\"\"\r\n\r\nOK\r\n");
  ASSERT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWSTATE?"), "+CWSTATE:2,\"synack\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:2\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWQAP"), "\r\nOK\r\nWIFI DISCONNECT\r\n");
  EXPECT_EQ(cmd("AT+CWSTATE?"), "+CWSTATE:4,\"synack\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE=2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTATUS"), "STATUS:0\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, HostnameAndTimestamp) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWHOSTNAME?"), "+CWHOSTNAME:espressif\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWHOSTNAME=\"my-esp\""), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWHOSTNAME?"), "+CWHOSTNAME:my-esp\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWHOSTNAME=\"\""), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+SYSTIMESTAMP?"), "+SYSTIMESTAMP:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSTIMESTAMP=1700000000"), "\r\nOK\r\n");
  advance(90s);
  EXPECT_EQ(cmd("AT+SYSTIMESTAMP?"), "+SYSTIMESTAMP:1700000090\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSTIMESTAMP=-1"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, CipdnsListsAndSetsServers) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDNS?"), "+CIPDNS:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDNS=1,\"10.91.0.53\",\"10.91.0.54\""), "\r\nOK\r\n");
  ASSERT_EQ(resolver.servers.size(), 1u);
  EXPECT_EQ(resolver.servers[0], wire::Ipv4Address::parse("10.91.0.53"));
  EXPECT_EQ(cmd("AT+CIPDNS?"), "+CIPDNS:1,\"10.91.0.53\",\"10.91.0.54\"\r\n\r\nOK\r\n");
  for (const char* bad : {"AT+CIPDNS=1", "AT+CIPDNS=0,\"10.91.0.53\"", "AT+CIPDNS=1,\"x\"",
                          "AT+CIPDNS=1,\"224.0.0.1\"", "AT+CIPDNS=2"})
    EXPECT_EQ(cmd(bad), "\r\nERROR\r\n") << bad;
  EXPECT_EQ(cmd("AT+CIPDNS=0"), "\r\nOK\r\n");
  EXPECT_EQ(resolver.servers.back(), std::nullopt);
  EXPECT_EQ(cmd("AT+CIPDNS?"), "+CIPDNS:0\r\n\r\nOK\r\n");
  // --dns stands in for the access point's DHCP answer.
  ModemConfig cfg;
  cfg.station = *wire::Ipv4Cidr::parse("10.91.0.2/24");
  cfg.dns = wire::Ipv4Address::parse("10.91.9.53");
  modem = std::make_unique<Modem>(cfg, net, resolver, now);
  EXPECT_EQ(cmd("AT+CIPDNS?"), "AT+CIPDNS?\r\n+CIPDNS:0,\"10.91.9.53\"\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, SyslogErrCodeHasNoBlankLineBefore) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSLOG=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+NOSUCH"), "ERR CODE:0x01090000\r\n\r\nERROR\r\n");
}

TEST_F(AtModemTest, SysmsgBit1ReplacesOnlyConnect) {
  ready();
  EXPECT_EQ(cmd("AT+SYSMSG=2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"10.91.0.1\",7"), "");
  auto l = net.opened.back();
  l->status = LinkStatus::Open;
  EXPECT_EQ(poll(), "+LINK_CONN:0,0,\"TCP\",0,\"10.91.0.1\",7,40000\r\n\r\nOK\r\n");
  l->peer_fin = true;
  EXPECT_EQ(poll(), "CLOSED\r\n");  // never +LINK_DISCONN
}

TEST_F(AtModemTest, CiprecvlenIsMinusOneForLinksNotOpen) {
  ready();
  EXPECT_EQ(cmd("AT+CIPRECVMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVLEN?"), "+CIPRECVLEN:-1,-1,-1,-1,-1\r\n\r\nOK\r\n");
  auto l = open_link();
  l->inbound = "12345";
  EXPECT_EQ(poll(), "\r\n+IPD,5\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVLEN?"), "+CIPRECVLEN:5,-1,-1,-1,-1\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, CipsendexEscapes) {
  ready();
  auto l = open_link();
  // `\0` ends the data; `\\0` is the two bytes `\0`; other backslashes stay.
  EXPECT_EQ(cmd("AT+CIPSENDEX=20"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("a\\b\\\\c\\\\0d\\0"), "\r\nRecv 9 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "a\\b\\\\c\\0d");
  // A backslash as the last of <len> bytes is sent as it is.
  l->written.clear();
  EXPECT_EQ(cmd("AT+CIPSENDEX=3"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("x\\\\"), "\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "x\\\\");
  // AT+CIPSEND takes backslashes and `\0` as data.
  l->written.clear();
  EXPECT_EQ(cmd("AT+CIPSEND=4"), "\r\nOK\r\n\r\n>");
  EXPECT_EQ(send("\\0\\0"), "\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "\\0\\0");
}

TEST_F(AtModemTest, BytesBeyondCipsendLengthAreDroppedAsBusy) {
  ready();
  auto l = open_link();
  EXPECT_EQ(cmd("AT+CIPSEND=3"), "\r\nOK\r\n\r\n>");
  // "abc" is the data; the rest arrives while the module sends: dropped.
  EXPECT_EQ(send("abcAT+CIPCLOSE\r\n"), "\r\nRecv 3 bytes\r\n\r\nbusy p...\r\n\r\nSEND OK\r\n");
  EXPECT_EQ(l->written, "abc");
  EXPECT_FALSE(l->closed);
  EXPECT_NE(trace_text().find("13 bytes after AT+CIPSEND's data dropped"), std::string::npos);
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");  // the next line is a command again
}

TEST_F(AtModemTest, CipclosemodeAborts) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSEMODE=0,1"), "\r\nERROR\r\n");  // no link 0 yet
  auto a = open_link(0);
  auto b = open_link(1);
  EXPECT_EQ(cmd("AT+CIPCLOSEMODE=0,1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSEMODE=1,0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSEMODE=1,2"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPCLOSE=5"), "0,CLOSED\r\n1,CLOSED\r\n\r\nOK\r\n");
  EXPECT_TRUE(a->aborted);
  EXPECT_TRUE(b->closed);
  EXPECT_FALSE(b->aborted);
  // The setting went with the link.
  auto c = open_link(0);
  EXPECT_EQ(cmd("AT+CIPCLOSE=0"), "0,CLOSED\r\n\r\nOK\r\n");
  EXPECT_FALSE(c->aborted);
}

TEST_F(AtModemTest, SslConfigurationCommands) {
  ready();
  EXPECT_EQ(cmd("AT+CIPSSLSIZE=4096"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLSIZE=100"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF?"), "+CIPSSLCCONF:0,0,0,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=2,0,0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF?"), "+CIPSSLCCONF:0,2,0,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=3"), "\r\nERROR\r\n");  // no client certificate
  EXPECT_NE(trace_text().find("no client certificate"), std::string::npos);
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=3,2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF?"),
            "+CIPSSLCCONF:0,0,0,0\r\n+CIPSSLCCONF:1,0,0,0\r\n+CIPSSLCCONF:2,0,0,0\r\n"
            "+CIPSSLCCONF:3,2,0,0\r\n+CIPSSLCCONF:4,0,0,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=5,2"), "\r\nOK\r\n");  // 5: every link
  EXPECT_EQ(cmd("AT+CIPSSLCCONF=6,2"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, DinfoServerAndDomainFormats) {
  ready();
  EXPECT_EQ(cmd("AT+CIPDINFO?"), "+CIPDINFO:false\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDOMAIN=\"10.1.2.3\""), "+CIPDOMAIN:\"10.1.2.3\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER?"), "+CIPSERVER:1,333,\"TCP\"\r\n\r\nOK\r\n");
}

// Zephyr's static-IP start-up and WiFiEspAT's WiFi.config() set the
// station's address: restating --addr (10.91.0.2/24) is accepted, a
// different address or netmask is not.
TEST_F(AtModemTest, CipstaSetRestatesTheStationAddressOnly) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.91.0.2\""), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.91.0.2\",\"10.91.0.1\",\"255.255.255.0\""), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.91.0.9\""), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.91.0.2\",\"10.91.0.1\",\"255.255.0.0\""), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.91.0.2\",\"10.91.0.1\""), "\r\nERROR\r\n");
}

}  // namespace
}  // namespace synack::test
