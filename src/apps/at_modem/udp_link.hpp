#pragma once
// A UDP link of the modem (AT+CIPSTART="UDP",...) over socket::UdpSocket.
//
// The socket is bound (to <local port>, or an ephemeral one) and never
// connected: like the module, a link takes datagrams from any peer (a link
// to 255.255.255.255 in mode 2 is how drivers listen), and AT+CIPSTART's
// <mode> decides whether remote() follows the peers that send (UdpMode).
// Sends go to remote(), or to the address AT+CIPSEND names.
//
// ICMP errors: the ESP8266's lwIP does not tell a UDP PCB about an ICMP port
// unreachable, so the module prints nothing and the link stays open; an
// unconnected socket ignores them too. Nothing reaches the serial line.
#include <memory>

#include "apps/at_modem/link.hpp"
#include "socket/udp_socket.hpp"

namespace synack::apps::at_modem {

// `queue_limit`: the most unread bytes the link holds; datagrams beyond it
// wait in the socket's own (bounded, dropping) queue until some are read.
std::unique_ptr<Link> make_udp_link(socket::UdpSocket sock, Endpoint remote, UdpMode mode,
                                    std::size_t queue_limit);

}  // namespace synack::apps::at_modem
