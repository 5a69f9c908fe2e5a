#pragma once
// A Modem on fake links and a virtual clock: send a line, get back exactly
// the bytes the module wrote.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "apps/at_modem/modem.hpp"
#include "apps/at_modem/tcp_links.hpp"
#include "support/fake_links.hpp"

namespace synack::test {

class AtModemTest : public ::testing::Test {
 protected:
  AtModemTest() { make_modem({}); }

  void make_modem(std::vector<WifiNetwork> networks) {
    ModemConfig cfg;
    cfg.station = *wire::Ipv4Cidr::parse("10.91.0.2/24");
    cfg.gateway = wire::Ipv4Address::parse("10.91.0.1");
    if (!networks.empty()) cfg.networks = std::move(networks);
    modem = std::make_unique<Modem>(cfg, net, resolver, now);
  }

  // Serial input at the current time, then a poll; returns the output.
  std::string send(std::string_view bytes) {
    modem->receive(bytes, now);
    modem->poll(now);
    return modem->take_output();
  }
  std::string cmd(std::string_view line) { return send(std::string(line) + "\r\n"); }
  // Advances the clock and polls.
  std::string advance(Duration d) {
    now += d;
    modem->poll(now);
    return modem->take_output();
  }
  std::string poll() { return advance(Duration::zero()); }
  // Echo off and Wi-Fi joined: the state most link tests start from.
  void ready() {
    ASSERT_EQ(cmd("ATE0"), "ATE0\r\n\r\nOK\r\n");
    ASSERT_EQ(cmd("AT+CWJAP=\"synack\",\"\""), "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n");
  }
  // AT+CIPSTART to 10.91.0.1:port on `id` (CIPMUX=1) or the single link.
  std::shared_ptr<FakeLinkState> open_link(int id = -1, std::uint16_t port = 7) {
    std::string line = id < 0 ? fmt::format("AT+CIPSTART=\"TCP\",\"10.91.0.1\",{}", port)
                              : fmt::format("AT+CIPSTART={},\"TCP\",\"10.91.0.1\",{}", id, port);
    EXPECT_EQ(cmd(line), "");
    auto s = net.opened.back();
    s->status = LinkStatus::Open;
    EXPECT_EQ(poll(), (id < 0 ? std::string() : fmt::format("{},", id)) + "CONNECT\r\n\r\nOK\r\n");
    return s;
  }
  std::string trace_text() {
    std::string all;
    for (auto& t : modem->take_trace())
      all += t + "\n";
    return all;
  }

  Instant now = instant_from_us(1'000'000);
  FakeLinks net;
  FakeResolver resolver;
  std::unique_ptr<Modem> modem;
};

}  // namespace synack::test
