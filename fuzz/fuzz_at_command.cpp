// Fuzzes the AT modem's interpreter: the input is a script of serial lines
// and network events (data arriving, a link opening, failing or closing, a
// client of the server, time passing) played into a Modem on scripted
// links. Nothing may crash; the module never holds more than five links, its
// serial output stays bounded, and close_all() leaves no link open.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "apps/at_modem/command_line.hpp"
#include "apps/at_modem/modem.hpp"
#include "apps/at_modem/tcp_links.hpp"

using namespace synack;
using namespace synack::apps::at_modem;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct LinkState {
  LinkKind kind = LinkKind::Tcp;
  LinkStatus status = LinkStatus::Connecting;
  std::string inbound;
  bool fin = false;
  std::size_t window = 4096;
};

class ScriptedLink final : public Link {
 public:
  explicit ScriptedLink(std::shared_ptr<LinkState> s) : s_(std::move(s)) {}
  LinkKind kind() const override { return s_->kind; }
  LinkStatus status() const override { return s_->status; }
  std::string failure() const override { return "scripted"; }
  Endpoint remote() const override { return {wire::Ipv4Address(0x0a000001), 80}; }
  std::uint16_t local_port() const override { return 40000; }
  std::size_t readable() const override { return s_->inbound.size(); }
  std::size_t read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min(out.size(), s_->inbound.size());
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<std::uint8_t>(s_->inbound[i]);
    s_->inbound.erase(0, n);
    return n;
  }
  bool at_eof() const override { return s_->fin && s_->inbound.empty(); }
  std::size_t writable() const override { return s_->window; }
  std::size_t write(std::span<const std::uint8_t> data) override {
    std::size_t n = std::min(data.size(), s_->window);
    s_->window -= n;
    return n;
  }
  void close() override { s_->status = LinkStatus::Closed; }

 private:
  std::shared_ptr<LinkState> s_;
};

class ScriptedLinks final : public LinkFactory {
 public:
  struct Server final : LinkServer {
    ScriptedLinks* owner;
    std::unique_ptr<Link> accept() override {
      if (owner->waiting.empty()) return nullptr;
      auto s = owner->waiting.back();
      owner->waiting.pop_back();
      return std::make_unique<ScriptedLink>(s);
    }
  };
  Result<std::unique_ptr<Link>, OpenError> open_tcp(Endpoint, const TcpOptions&) override {
    auto s = std::make_shared<LinkState>();
    links.push_back(s);
    return std::unique_ptr<Link>(std::make_unique<ScriptedLink>(s));
  }
  // SSL links behave like TCP ones here: the TLS client is fuzzed with the
  // HTTP app; this covers the modem's side (AT+CIPSSLCCONF, "SSL" links).
  Result<std::unique_ptr<Link>, OpenError> open_ssl(Endpoint to, const SslOptions& o) override {
    auto l = open_tcp(to, o.tcp);
    links.back()->kind = LinkKind::Ssl;
    return l;
  }
  Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint, std::uint16_t, UdpMode) override {
    return OpenError::Unsupported;
  }
  Result<std::unique_ptr<LinkServer>, OpenError> listen_tcp(std::uint16_t,
                                                            const TcpOptions&) override {
    auto s = std::make_unique<Server>();
    s->owner = this;
    return std::unique_ptr<LinkServer>(std::move(s));
  }
  std::vector<std::shared_ptr<LinkState>> links;
  std::vector<std::shared_ptr<LinkState>> waiting;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ScriptedLinks net;
  DottedQuadResolver resolver;
  ModemConfig cfg;
  cfg.station = *wire::Ipv4Cidr::parse("10.91.0.2/24");
  Instant now = instant_from_us(1'000'000);
  Modem modem(cfg, net, resolver, now);
  // Joined from the start, so that link commands get past CWJAP.
  modem.receive(std::string_view("AT+CWJAP=\"synack\",\"\"\r\n"), now);

  std::size_t i = 0;
  while (i + 2 <= size) {
    std::uint8_t op = data[i];
    std::size_t len = data[i + 1];
    i += 2;
    std::span<const std::uint8_t> arg(data + i, std::min(len, size - i));
    i += arg.size();
    switch (op % 8) {
      case 0:
      case 1:
      case 2: {  // a command line (CR LF added) or raw serial bytes
        std::string text(arg.begin(), arg.end());
        // The parser answers the same way twice.
        auto a = parse_command_line(text);
        auto b = parse_command_line(text);
        check(a.has_value() == b.has_value());
        if (op % 8 != 2) text += "\r\n";
        modem.receive(text, now);
        break;
      }
      case 3:  // time passes
        now += std::chrono::milliseconds(arg.empty() ? 1 : arg[0]) * (op / 8 + 1);
        break;
      case 4:  // data or a FIN on a link
        if (!net.links.empty()) {
          auto& l = net.links[op / 8 % net.links.size()];
          l->inbound.append(arg.begin(), arg.end());
          if (op & 0x80) l->fin = true;
        }
        break;
      case 5:  // a link opens, fails or closes
        if (!net.links.empty()) {
          auto& l = net.links[op / 8 % net.links.size()];
          l->status = static_cast<LinkStatus>(arg.empty() ? 1 : arg[0] % 4);
          l->window = arg.size() > 1 ? arg[1] * 64u : 4096;
        }
        break;
      case 6: {  // a client of the server
        auto s = std::make_shared<LinkState>();
        s->status = LinkStatus::Open;
        s->inbound.assign(arg.begin(), arg.end());
        net.links.push_back(s);
        net.waiting.push_back(s);
        break;
      }
      case 7:  // the serial side reads some output
        modem.consume_output(std::min<std::size_t>(modem.output().size(), arg.size() * 64u));
        break;
    }
    modem.poll(now);
    check(modem.open_links() <= LinkTable::kLinks);
    // Reading stops at the high-water mark; one command's answer (a 2 KiB
    // CIPRECVDATA, a 1460-byte +IPD, 512 bytes of echo) may go beyond it.
    check(modem.output().size() < Modem::kOutputHighWater + 64 * 1024);
    if (modem.output().size() > Modem::kOutputHighWater)
      modem.consume_output(modem.output().size() / 2);
    (void)modem.take_trace();
  }
  modem.close_all();
  check(modem.open_links() == 0);
  return 0;
}
