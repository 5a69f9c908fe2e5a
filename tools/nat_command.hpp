#pragma once
// `synack nat`: a home router on two synack interfaces (TUN, or TAP with
// --tap) — IPv4 forwarding, masquerade and port forwards (src/apps/nat), and
// a NAT-PMP server on the inside with --nat-pmp; the outside address by
// DHCP (--outside IF,dhcp) and a dynamic DNS name kept at it (--ddns).
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace synack::tools {

struct NatArgs {
  std::string outside;  // IF,CIDR[,HOSTCIDR] or IF,dhcp
  std::string inside;   // IF,CIDR[,HOSTCIDR]
  std::string gateway;
  std::vector<std::string> forwards;
  std::string conntrack_max;
  std::string filtering;  // endpoint-independent or address-and-port-dependent
  bool nat_pmp = false;
  bool tap = false;
  std::string netns_outside;
  std::string netns_inside;
  std::string pcap_outside;
  std::string pcap_inside;
  std::string impair;
  std::string ddns;  // rfc2136:... or dyndns2:...
  std::string dns;   // the router's DNS server (else the lease's)
};

CLI::App* add_nat_command(CLI::App& app, NatArgs& args);
int run_nat_command(const NatArgs& args);

}  // namespace synack::tools
