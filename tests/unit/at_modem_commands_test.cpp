// The AT modem's basic, system and Wi-Fi commands and its parser: exact
// response bytes (esp-at v2.2 for ESP8266).
#include <fmt/format.h>

#include "apps/at_modem/command_line.hpp"
#include "apps/at_modem/wifi_networks.hpp"
#include "support/at_modem_fixture.hpp"

namespace synack::test {
namespace {

TEST(AtCommandLine, ParsesFormsAndArguments) {
  auto c = parse_command_line("AT+CIPSTART=0,\"TCP\",\"10.0.0.1\",80,,\"a\\\"b\\,c\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "CIPSTART");
  EXPECT_EQ(c->form, CommandForm::Set);
  ASSERT_EQ(c->args.size(), 6u);
  EXPECT_EQ(c->number(0, 0, 4), 0);
  EXPECT_EQ(c->string(1), "TCP");
  EXPECT_EQ(c->number(3, 1, 65535), 80);
  EXPECT_TRUE(c->empty_arg(4));
  EXPECT_EQ(c->string(5), "a\"b,c");
  EXPECT_EQ(parse_command_line("AT+CIPMUX?")->form, CommandForm::Query);
  EXPECT_EQ(parse_command_line("AT+CIPMUX=?")->form, CommandForm::Test);
  EXPECT_EQ(parse_command_line("AT+RST")->form, CommandForm::Exec);
  EXPECT_EQ(parse_command_line("ATE0")->name, "E0");
  EXPECT_EQ(parse_command_line("AT")->name, "");
}

TEST(AtCommandLine, RejectsMalformedLines) {
  for (const char* bad : {"at", "A", "AT+", "AT+cipmux=1", "AT+CIPMUX=1x", "AT+CIPMUX=\"1",
                          "AT+CIPMUX==1", "AT+CIPMUX?x", "AT+X=1,TCP", "AT+X=--1", "AT+X=-",
                          "AT+X=\"a\"b", "AT+X=1234567890123", "AT E0", "AT+X=\"\\"})
    EXPECT_FALSE(parse_command_line(bad)) << bad;
  EXPECT_EQ(parse_command_line("AT+CIPSTO=")->args.size(), 1u);
  EXPECT_EQ(parse_command_line("AT+X=-5")->number(0, -10, 0), -5);
}

TEST(AtWifiNetworks, ParsesSpecsAndJoins) {
  std::string why;
  auto n = parse_wifi_spec("home:password1", &why);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ssid, "home");
  EXPECT_EQ(n->password, "password1");
  EXPECT_EQ(parse_wifi_spec("cafe", &why)->password, "");
  EXPECT_EQ(parse_wifi_spec("a:b:c:defgh", &why)->password, "b:c:defgh");
  EXPECT_FALSE(parse_wifi_spec(":password1", &why));
  EXPECT_FALSE(parse_wifi_spec("home:short", &why));
  EXPECT_FALSE(parse_wifi_spec(std::string(33, 's'), &why));
  std::vector<WifiNetwork> nets{{"home", "password1"}, {"cafe", ""}};
  EXPECT_EQ(join(nets, "home", "password1"), JoinResult::Joined);
  EXPECT_EQ(join(nets, "home", "password2"), JoinResult::WrongPassword);
  EXPECT_EQ(join(nets, "cafe", "anything"), JoinResult::Joined);
  EXPECT_EQ(join(nets, "other", ""), JoinResult::NoSuchNetwork);
}

TEST_F(AtModemTest, EchoesCommandsUntilAte0) {
  EXPECT_EQ(cmd("AT"), "AT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("ATE1"), "\r\nOK\r\n");
  EXPECT_EQ(send("A"), "A");  // byte by byte, as typed
  EXPECT_EQ(send("T\r"), "T\r");
  EXPECT_EQ(send("\n"), "\n\r\nOK\r\n");
}

TEST_F(AtModemTest, BareLineFeedAndEmptyLinesAreIgnored) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(send("\r\n"), "");
  EXPECT_EQ(send("AT\n"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, GmrReportsEspAt221ForEsp8266) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+GMR"),
            "AT version:2.2.1.0(synack - ESP8266 - Jun  7 2021 08:15:24)\r\n"
            "SDK version:v3.4-22-g967752e2\r\n"
            "compile time(synack):Aug  4 2021 17:20:05\r\n"
            "Bin version:2.2.1(WROOM-02)\r\n"
            "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+GMR?"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, BadInputIsError) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  for (const char* bad : {"AT+BOGUS",
                          "at",
                          "hello",
                          "AT+CIPMUX=2",
                          "AT+CIPMUX=1,1",
                          "AT+CIPMUX=\"1\"",
                          "ATX",
                          "AT+CWMODE=4",
                          "AT+CIPSTO=7201",
                          "AT+CIPSERVERMAXCONN=6",
                          "AT+CIPSEND=1",
                          "AT+CIPSTART=\"TCP\",\"10.0.0.1\"",
                          "AT+CIPSTART=\"TCP\",\"10.0.0.1\",0",
                          "AT+CIPSTART=\"TCP\",\"10.0.0.1\",65536",
                          "AT+CIPSTART=\"FTP\",\"10.0.0.1\",21",
                          "AT+CIPRECVDATA=5",
                          "AT+CIPDOMAIN",
                          "AT+SYSLOG=2",
                          "AT+SYSMSG=8",
                          "AT+CIPSTATUS?",
                          "AT+CIPSTATE",
                          "AT+CIPCLOSE=0",
                          "AT+CIFSR=1",
                          "AT+CIPMUX=?"})
    EXPECT_EQ(cmd(bad), "\r\nERROR\r\n") << bad;
}

TEST_F(AtModemTest, OverLongLineIsOneError) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTART=\"TCP\",\"" + std::string(600, 'x') + "\",80"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT"), "\r\nOK\r\n");
}

TEST_F(AtModemTest, SyslogAddsErrorCodes) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSLOG?"), "+SYSLOG:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSLOG=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSLOG?"), "+SYSLOG:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+BOGUS"), "ERR CODE:0x01090000\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=7"), "ERR CODE:0x01070000\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=x"), "ERR CODE:0x01080000\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("hi"), "ERR CODE:0x01030000\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+GMR=1"), "ERR CODE:0x010c0000\r\n\r\nERROR\r\n");  // no such form
  EXPECT_EQ(cmd("AT+CIPMODE=1"), "\r\nOK\r\n");
  // Well-formed, refused in this state (passthrough needs one link).
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "ERR CODE:0x010a0000\r\n\r\nERROR\r\n");
}

TEST_F(AtModemTest, StartUpQueriesOfDrivers) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RESTORE"), "\r\nOK\r\n\r\nready\r\n");
  EXPECT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");  // RESTORE turned echo back on
  EXPECT_EQ(cmd("AT+SYSMSG?"), "+SYSMSG:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSMSG=3"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSMSG?"), "+SYSMSG:3\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RFPOWER=78"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RFPOWER?"), "+RFPOWER:78\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RFPOWER=100"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CWDHCP?"), "+CWDHCP:3\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWDHCP=1,1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAPOPT=1,2047"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAPOPT=2,2047"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA?"),
            "+CIPSTA:ip:\"0.0.0.0\"\r\n+CIPSTA:gateway:\"0.0.0.0\"\r\n"
            "+CIPSTA:netmask:\"0.0.0.0\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA?"),
            "+CIPSTA:ip:\"10.91.0.2\"\r\n+CIPSTA:gateway:\"10.91.0.1\"\r\n"
            "+CIPSTA:netmask:\"255.255.255.0\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTAMAC?"), "+CIPSTAMAC:\"02:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPAP?"),
            "+CIPAP:ip:\"192.168.4.1\"\r\n+CIPAP:gateway:\"192.168.4.1\"\r\n"
            "+CIPAP:netmask:\"255.255.255.0\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPAPMAC?"), "+CIPAPMAC:\"06:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTA=\"10.0.0.9\""), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPDNS?"), "+CIPDNS:0\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, ResetAnswersOkThenReadyAndRejoins) {
  ready();
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+RST"), "\r\nOK\r\n\r\nready\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX?"), "AT+CIPMUX?\r\n+CIPMUX:0\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, CwmodeQueryAndSet) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE?"), "+CWMODE:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE=3"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE?"), "+CWMODE:3\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE=1,0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE=1,2"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, CwjapAgainstTheNetworkList) {
  make_modem({{"home", "password1"}, {"cafe", ""}});
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP?"), "No AP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"home\",\"wrong-pass\""), "+CWJAP:2\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"nobody\",\"password1\""), "+CWJAP:3\r\n\r\nERROR\r\n");
  EXPECT_NE(trace_text().find("wrong password"), std::string::npos);
  EXPECT_EQ(cmd("AT+CWJAP=\"home\",\"password1\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP?"),
            "+CWJAP:\"home\",\"06:73:6b:5b:00:01\",1,-56,0,1,3,0,1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"cafe\",\"\""),
            "WIFI DISCONNECT\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWQAP"), "\r\nOK\r\nWIFI DISCONNECT\r\n");
  EXPECT_EQ(cmd("AT+CWQAP"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP"), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");  // the last one
  EXPECT_EQ(cmd("AT+CWJAP=\"cafe\""), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CWMODE=2"), "WIFI DISCONNECT\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP=\"cafe\",\"\""), "\r\nERROR\r\n");  // not in station mode
}

TEST_F(AtModemTest, NonOsCurAndDefForms) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE_CUR=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWMODE_DEF?"), "+CWMODE_DEF:1\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP_CUR=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWJAP_CUR=\"nope\",\"\""), "WIFI DISCONNECT\r\n+CWJAP_CUR:3\r\n\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CWDHCP_CUR?"), "+CWDHCP_CUR:3\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTAMAC_CUR?"), "+CIPSTAMAC_CUR:\"02:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSMSG_CUR=3"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+SYSMSG?"), "+SYSMSG:3\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+UART_CUR=115200,8,1,0,3"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+UART_DEF=921600,8,1,0,0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+UART_CUR?"), "+UART_CUR:921600,8,1,0,0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+UART_CUR=115200,9,1,0,0"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+UART_CUR=115200"), "\r\nERROR\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX_CUR=1"), "\r\nERROR\r\n");  // no such form
  EXPECT_EQ(cmd("AT+GMR_CUR"), "\r\nERROR\r\n");
}

TEST_F(AtModemTest, CwlapListsTheNetworks) {
  make_modem({{"home", "password1"}, {"cafe", ""}, {"lab", "password2"}});
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  // Every field (print mask 0x7ff), in --wifi's order.
  EXPECT_EQ(cmd("AT+CWLAP"),
            "+CWLAP:(3,\"home\",-56,\"06:73:6b:5b:00:01\",1,0,0,4,4,7,0)\r\n"
            "+CWLAP:(0,\"cafe\",-46,\"06:73:6b:5b:00:02\",2,0,0,0,0,7,0)\r\n"
            "+CWLAP:(3,\"lab\",-74,\"06:73:6b:5b:00:03\",3,0,0,4,4,7,0)\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAP?"), "\r\nERROR\r\n");
  // AT+CWLAPOPT=<sort_enable>,<print mask>[,<rssi filter>][,<authmode mask>]:
  // sorted by RSSI, <ecn>,<ssid>,<rssi> only (mask 7).
  EXPECT_EQ(cmd("AT+CWLAPOPT=1,7"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAP"),
            "+CWLAP:(0,\"cafe\",-46)\r\n+CWLAP:(3,\"home\",-56)\r\n"
            "+CWLAP:(3,\"lab\",-74)\r\n\r\nOK\r\n");
  // <ssid> and <channel> (mask 0x12) of networks at -60 dBm or stronger.
  EXPECT_EQ(cmd("AT+CWLAPOPT=0,18,-60"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAP"), "+CWLAP:(\"home\",1)\r\n+CWLAP:(\"cafe\",2)\r\n\r\nOK\r\n");
  // WPA2-PSK (authmode bit 3) only.
  EXPECT_EQ(cmd("AT+CWLAPOPT=1,3,-100,8"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CWLAP"), "+CWLAP:(3,\"home\")\r\n+CWLAP:(3,\"lab\")\r\n\r\nOK\r\n");
  for (const char* bad : {"AT+CWLAPOPT=1", "AT+CWLAPOPT=2,7", "AT+CWLAPOPT=1,2048",
                          "AT+CWLAPOPT=1,7,41", "AT+CWLAPOPT=1,7,-100,65536"})
    EXPECT_EQ(cmd(bad), "\r\nERROR\r\n") << bad;
}

TEST_F(AtModemTest, CifsrShowsTheTunAddress) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIFSR"),
            "+CIFSR:STAIP,\"0.0.0.0\"\r\n+CIFSR:STAMAC,\"02:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
  ASSERT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIFSR"),
            "+CIFSR:STAIP,\"10.91.0.2\"\r\n+CIFSR:STAMAC,\"02:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
  ASSERT_EQ(cmd("AT+CWMODE=3"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIFSR"),
            "+CIFSR:APIP,\"192.168.4.1\"\r\n+CIFSR:APMAC,\"06:73:6b:5b:00:02\"\r\n"
            "+CIFSR:STAIP,\"10.91.0.2\"\r\n+CIFSR:STAMAC,\"02:73:6b:5b:00:02\"\r\n\r\nOK\r\n");
}

TEST_F(AtModemTest, SettingsQueries) {
  ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX?"), "+CIPMUX:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMODE?"), "+CIPMODE:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPRECVMODE?"), "+CIPRECVMODE:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDINFO?"), "+CIPDINFO:false\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDINFO=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPDINFO?"), "+CIPDINFO:true\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTO?"), "+CIPSTO:180\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTO=7200"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSTO?"), "+CIPSTO:7200\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVERMAXCONN?"), "+CIPSERVERMAXCONN:5\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVERMAXCONN=2"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVERMAXCONN?"), "+CIPSERVERMAXCONN:2\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPSERVER?"), "+CIPSERVER:0\r\n\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMODE=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nERROR\r\n");  // passthrough needs a single link
  EXPECT_EQ(cmd("AT+CIPMODE=0"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMUX=1"), "\r\nOK\r\n");
  EXPECT_EQ(cmd("AT+CIPMODE=1"), "\r\nERROR\r\n");
}

}  // namespace
}  // namespace synack::test
