#pragma once
// The ESP8266 AT-command interpreter (esp-at v2.2 for ESP8266), sans-IO: it
// consumes serial bytes with the time they arrived, polls its links and
// timers at a given time, and produces the bytes to write back to the serial
// line plus trace lines. No clock, no file descriptors: the pty or stdio,
// the event loop and the TUN live in tools/at_modem_command.cpp, so every
// command, guard time and flush is testable on a virtual clock.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/at_modem/command_line.hpp"
#include "apps/at_modem/line_reader.hpp"
#include "apps/at_modem/link.hpp"
#include "apps/at_modem/link_table.hpp"
#include "apps/at_modem/passthrough_framer.hpp"
#include "apps/at_modem/wifi_networks.hpp"
#include "core/time.hpp"

namespace synack::apps::at_modem {

struct ModemConfig {
  wire::Ipv4Cidr station{};                  // the module's address (--addr)
  std::optional<wire::Ipv4Address> gateway;  // the access point (--host-addr)
  std::optional<wire::Ipv4Address> dns;      // --dns, for AT+CIPDNS? and the resolver
  std::vector<WifiNetwork> networks{{"synack", ""}};
};

class Modem {
 public:
  // The most serial output held before links stop being read: TCP flow
  // control then holds the peer back.
  static constexpr std::size_t kOutputHighWater = 16 * 1024;
  static constexpr std::size_t kMaxSend = 2048;
  // Active mode delivers at most this many bytes per +IPD.
  static constexpr std::size_t kMaxIpd = 1460;
  // A UDP link delivers one datagram per +IPD, up to this size.
  static constexpr std::size_t kMaxDatagram = 65507;
  // Passive mode: the most unread bytes per link (the advertised window).
  static constexpr std::size_t kPassiveWindow = 5760;

  Modem(ModemConfig cfg, LinkFactory& links, NameResolver& resolver, Instant now);
  ~Modem();
  Modem(const Modem&) = delete;
  Modem& operator=(const Modem&) = delete;

  // Serial input that arrived at `now`.
  void receive(std::span<const std::uint8_t> bytes, Instant now);
  void receive(std::string_view text, Instant now);
  // Network events and timers; call after every network poll and at
  // next_deadline().
  void poll(Instant now);
  Instant next_deadline() const;

  // Bytes for the serial line; consume_output() what was written.
  std::string_view output() const { return out_; }
  void consume_output(std::size_t n) { out_.erase(0, n); }
  std::string take_output() { return std::exchange(out_, {}); }
  // Human-readable notes for --trace (why a command failed, links opened
  // and closed).
  std::vector<std::string> take_trace() { return std::exchange(trace_, {}); }

  // Shutdown: every link closed with a FIN, the server stopped.
  void close_all();
  // The station's address changed (a DHCP lease: 0.0.0.0/32 while there is
  // none): AT+CIFSR and AT+CIPSTA? report the new one.
  void set_station(wire::Ipv4Cidr station, std::optional<wire::Ipv4Address> gateway) {
    cfg_.station = station;
    cfg_.gateway = gateway;
  }
  // The access point's DNS server changed (the DHCP lease's first): it
  // stands where --dns would, for AT+CIPDNS? and look-ups.
  void set_default_dns(std::optional<wire::Ipv4Address> dns) {
    cfg_.dns = dns;
    resolver_.set_default_server(dns);
  }
  int open_links() const { return links_.count(); }
  bool in_passthrough() const { return mode_ == Mode::Passthrough; }

 private:
  enum class Mode : std::uint8_t { Command, SendData, Passthrough };
  // A command whose answer waits for the network.
  enum class Pending : std::uint8_t { None, Resolve, Connect, Send };
  enum ErrorCode : std::uint32_t {
    kNoAt = 0x01030000,
    kParamCount = 0x01060000,
    kParamInvalid = 0x01070000,
    kParamParse = 0x01080000,
    kUnsupported = 0x01090000,
    kExecFailed = 0x010a0000,
    kOpError = 0x010c0000,
  };

  // --- output ----------------------------------------------------------------
  void line(std::string_view text);  // text CR LF
  void ok();
  void error(std::uint32_t code);
  void trace(std::string text);
  std::string link_prefix(int id) const;  // "0," with CIPMUX=1, "" without

  // --- command mode (modem.cpp, modem_system_commands.cpp) --------------------
  void command_byte(char c, Instant now);
  void execute(const InputLine& in, Instant now);
  void dispatch(const CommandLine& cmd, Instant now);
  bool system_command(const CommandLine& cmd);
  void reset(bool factory);

  // --- Wi-Fi (modem_wifi_commands.cpp) -------------------------------------------
  bool wifi_command(const CommandLine& cmd);
  bool wifi_join(const CommandLine& cmd);
  void cmd_dns(const CommandLine& cmd);
  void wifi_disconnect();

  // --- links (modem_link_commands.cpp) ---------------------------------------
  bool link_command(const CommandLine& cmd, Instant now);
  void cmd_start(const CommandLine& cmd, bool auto_id, Instant now);
  void cmd_close(const CommandLine& cmd);
  void cmd_status(bool state_form);
  void cmd_server(const CommandLine& cmd);
  void cmd_recv_data(const CommandLine& cmd);
  void cmd_recv_len();
  void cmd_domain(const CommandLine& cmd);
  // AT+CIPCLOSEMODE, AT+CIPSSLSIZE, AT+CIPSSLCCONF (modem_link_options.cpp).
  bool link_option_command(const CommandLine& cmd);
  void finish_resolve(Instant now);
  void finish_connect();
  std::optional<int> parse_link_id(const CommandLine& cmd, std::size_t i) const;

  // --- receiving (modem_receive.cpp) -------------------------------------------
  void poll_links(Instant now);
  void accept_clients(Instant now);
  void deliver(int id, Instant now);
  void announce_connect(int id);
  void announce_closed(int id);
  void release_link(int id);  // closes with a FIN, or a RST after AT+CIPCLOSEMODE=1
  bool link_finished(const LinkSlot& s) const;

  // --- sending (modem_send.cpp) ----------------------------------------------------
  void cmd_send(const CommandLine& cmd, bool ex, Instant now);
  // True when the byte completed the data.
  bool send_data_byte(char c);
  void finish_send_data(bool overflow, Instant now);
  void push_send(Instant now);
  void passthrough_input(std::span<const std::uint8_t> bytes, Instant now);
  void poll_passthrough(Instant now);
  void leave_passthrough();
  void reconnect_passthrough(Instant now);

  ModemConfig cfg_;
  LinkFactory& factory_;
  NameResolver& resolver_;
  std::string out_;
  std::vector<std::string> trace_;
  LineReader reader_;
  LinkTable links_;
  std::unique_ptr<LinkServer> server_;
  std::uint16_t server_port_ = 0;
  Instant now_{};

  // Settings (what AT+RST and AT+RESTORE put back).
  bool echo_ = true;
  bool mux_ = false;
  bool passive_ = false;      // AT+CIPRECVMODE=1
  bool dinfo_ = false;        // AT+CIPDINFO=1
  bool transparent_ = false;  // AT+CIPMODE=1
  bool syslog_ = false;
  int sysmsg_ = 0;
  bool sysstore_ = true;  // AT+SYSSTORE: kept and reported; nothing is stored
  bool autoconn_ = true;  // AT+CWAUTOCONN: rejoin after AT+RST
  // AT+CWLAPOPT: sort by RSSI, which +CWLAP fields, the weakest RSSI shown,
  // which encryptions shown.
  bool cwlap_sort_ = false;
  int cwlap_mask_ = 0x7ff;
  int cwlap_rssi_min_ = -100;
  int cwlap_auth_mask_ = 0xffff;
  std::string hostname_;  // AT+CWHOSTNAME; empty: ESP_XXXXXX from the MAC
  // AT+SYSTIMESTAMP: the Unix time set, and when.
  std::int64_t timestamp_ = 0;
  Instant timestamp_at_{};
  // AT+CIPDNS=1,...: the servers set (the first is used); empty: --dns.
  std::vector<wire::Ipv4Address> dns_servers_;
  // Per link id: AT+CIPCLOSEMODE's abort flag and AT+CIPSSLCCONF's auth mode.
  std::array<bool, LinkTable::kLinks> close_abort_{};
  std::array<int, LinkTable::kLinks> ssl_auth_{};
  int ssl_buffer_ = 4096;  // AT+CIPSSLSIZE
  int cwmode_ = 1;
  int uart_baud_ = 115200;
  int server_max_ = 5;
  int server_timeout_s_ = 180;
  bool wifi_joined_ = false;
  bool wifi_tried_ = false;  // AT+CWJAP ran (STATUS:1 before, 5 after)
  std::string wifi_ssid_;
  bool had_link_ = false;  // for AT+CIPSTATUS's STATUS:4

  // The command in progress.
  Mode mode_ = Mode::Command;
  Pending pending_ = Pending::None;
  int pending_id_ = 0;
  bool pending_auto_id_ = false;  // AT+CIPSTARTEX
  bool pending_domain_ = false;   // AT+CIPDOMAIN (else CIPSTART)
  LinkKind pending_kind_ = LinkKind::Tcp;
  std::uint16_t pending_port_ = 0;
  std::string pending_host_;  // as given, for an SSL link's certificate check
  int pending_keepalive_ = 0;
  std::uint16_t pending_local_port_ = 0;  // UDP
  UdpMode pending_udp_mode_ = UdpMode::Fixed;
  std::unique_ptr<NameLookup> lookup_;
  // AT+CIPSEND: the link, the bytes expected, those collected so far.
  int send_id_ = 0;
  std::size_t send_len_ = 0;
  std::optional<Endpoint> send_to_;  // UDP: AT+CIPSEND's <remote host>,<remote port>
  bool send_ex_ = false;
  int send_backslashes_ = 0;  // CIPSENDEX: backslashes held back (0-2)
  std::size_t send_received_ = 0;
  std::string send_buf_;
  std::size_t send_done_ = 0;  // bytes of send_buf_ the link took
  std::optional<PassthroughFramer> framer_;
  // Passthrough keeps its link: when it breaks, the module opens a new one
  // to the same peer every AT+CIPRECONNINTV (in 100 ms) until `+++`.
  Endpoint passthrough_to_{};
  bool passthrough_ssl_ = false;  // the link to open again is an SSL one
  Instant reconnect_at_ = kNever;
  int reconnect_interval_ = 1;
  std::vector<std::string> passthrough_packets_;
};

}  // namespace synack::apps::at_modem
