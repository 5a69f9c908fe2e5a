#pragma once
// The seam between the AT interpreter and the network: a link is one
// connection the module holds (AT+CIPSTART, or a client of AT+CIPSERVER), a
// LinkFactory opens them, a NameResolver turns host names into addresses.
// Everything is non-blocking and polled: the interpreter asks for state on
// each poll and never waits. TcpLinks (tcp_links.hpp) implements TCP and UDP
// links over synack's socket API (UDP in udp_link.cpp), StackResolver
// (stack_resolver.hpp) host names through socket::DnsResolver.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::apps::at_modem {

struct Endpoint {
  wire::Ipv4Address addr{};
  std::uint16_t port = 0;
};

enum class LinkKind : std::uint8_t { Tcp, Udp, Ssl };
std::string_view to_string(LinkKind k);  // "TCP", "UDP", "SSL"

enum class LinkStatus : std::uint8_t {
  Connecting,  // handshake under way
  Open,        // data can flow (the peer may have sent its FIN: see at_eof)
  Failed,      // refused, timed out or reset before or after opening
  Closed,      // closed by both sides
};

// AT+CIPSTART="UDP",...,<local port>,<mode>: whether the link's remote
// follows the peers that send to it (esp-at v2.2 for ESP8266).
enum class UdpMode : std::uint8_t {
  Fixed = 0,      // the remote never changes
  FirstPeer = 1,  // changes once, to the first other peer that sends
  LastPeer = 2,   // changes to every peer that sends
};

// A UDP link keeps datagram boundaries: read() returns bytes of one datagram
// only (one +IPD each), source() names its sender, and write() sends its
// bytes as one datagram.
class Link {
 public:
  virtual ~Link() = default;
  virtual LinkKind kind() const = 0;
  virtual LinkStatus status() const = 0;
  // Why a link failed, for the trace ("refused", "timed out", "reset").
  virtual std::string failure() const = 0;
  virtual Endpoint remote() const = 0;
  virtual std::uint16_t local_port() const = 0;

  // Bytes received and not yet read.
  virtual std::size_t readable() const = 0;
  virtual std::size_t read(std::span<std::uint8_t> out) = 0;
  // True once the peer closed and every byte was read.
  virtual bool at_eof() const = 0;
  // How many bytes write() would take now; write() takes what fits.
  virtual std::size_t writable() const = 0;
  virtual std::size_t write(std::span<const std::uint8_t> data) = 0;
  // The sender of the next unread bytes (+IPD's <ip>,<port>): remote() for
  // TCP, the datagram's source for UDP.
  virtual Endpoint source() const { return remote(); }
  // UDP only: one datagram to `to` (AT+CIPSEND=<id>,<len>,<ip>,<port>),
  // whatever the remote; false when it cannot be sent.
  virtual bool send_to(Endpoint /*to*/, std::span<const std::uint8_t> /*data*/) { return false; }
  // Something the trace should say about the link (an ICMP error a UDP
  // link ignores), once; empty when there is nothing.
  virtual std::string take_note() { return {}; }
  // Graceful close: unread bytes are dropped and a FIN (not a RST) goes out
  // after the queued data.
  virtual void close() = 0;
  // AT+CIPCLOSEMODE=1: a RST instead of the FIN.
  virtual void abort() { close(); }
  // Work that is not driven by reads and writes (an SSL link's handshake,
  // its ciphertext both ways); the modem calls it on every poll.
  virtual void poll(Instant /*now*/) {}
};

// A listening port (AT+CIPSERVER); accept() hands over one waiting client.
class LinkServer {
 public:
  virtual ~LinkServer() = default;
  virtual std::unique_ptr<Link> accept() = 0;
};

enum class OpenError : std::uint8_t {
  Unsupported,  // this kind of link is not available (yet)
  NoPorts,
  AddressInUse,
  NoMemory,
};
std::string_view to_string(OpenError e);

struct TcpOptions {
  // AT+CIPSTART's <keep alive>: seconds between probes, 0 = off.
  int keepalive_s = 0;
  // The receive buffer, and so the most the advertised window lets in:
  // 5,760 bytes on the ESP8266 (its lwIP TCP_WND).
  std::size_t receive_buffer = 5760;
  // The send buffer: the ESP8266's lwIP has TCP_SND_BUF = 2 * TCP_MSS, so
  // `SEND OK` waits once that much is unacknowledged and a peer that stops
  // reading pushes back on the firmware, as on the module.
  std::size_t send_buffer = 2 * 1460;
};

// AT+CIPSTART="SSL": TLS over a TCP link.
struct SslOptions {
  TcpOptions tcp;
  // AT+CIPSSLCCONF's auth mode 2 or 3: check the server's certificate
  // (against the system's CAs, standing in for the module's CA slot).
  bool verify = false;
  std::string host;  // the name (or dotted quad) given to AT+CIPSTART
};

class LinkFactory {
 public:
  virtual ~LinkFactory() = default;
  virtual Result<std::unique_ptr<Link>, OpenError> open_ssl(Endpoint /*to*/,
                                                            const SslOptions& /*opts*/) {
    return OpenError::Unsupported;
  }
  virtual Result<std::unique_ptr<Link>, OpenError> open_tcp(Endpoint to,
                                                            const TcpOptions& opts) = 0;
  // AT+CIPSTART="UDP",host,port[,local port,mode]; local port 0 picks one.
  virtual Result<std::unique_ptr<Link>, OpenError> open_udp(Endpoint to, std::uint16_t local_port,
                                                            UdpMode mode) = 0;
  virtual Result<std::unique_ptr<LinkServer>, OpenError> listen_tcp(std::uint16_t port,
                                                                    const TcpOptions& opts) = 0;
};

// What a finished look-up found: an address, or why there is none (the
// module answers `DNS Fail`; the reason goes to the trace).
struct LookupAnswer {
  std::optional<wire::Ipv4Address> addr;
  std::string error;
};

// One host-name look-up; poll result() until it has one.
class NameLookup {
 public:
  virtual ~NameLookup() = default;
  // nullopt while the answer is outstanding.
  virtual std::optional<LookupAnswer> result() = 0;
};

class NameResolver {
 public:
  virtual ~NameResolver() = default;
  virtual std::unique_ptr<NameLookup> lookup(std::string_view host) = 0;
  // AT+CIPDNS=1,"ip": ask `server` from now on; nullopt: the default again
  // (--dns). False when the resolver cannot change servers.
  virtual bool use_server(std::optional<wire::Ipv4Address> /*server*/) { return false; }
  // The default server changed (the DHCP lease named another one); used
  // unless AT+CIPDNS=1 chose a server.
  virtual void set_default_server(std::optional<wire::Ipv4Address> /*server*/) {}
};

}  // namespace synack::apps::at_modem
