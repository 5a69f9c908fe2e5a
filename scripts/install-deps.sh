#!/usr/bin/env bash
# Installs what synack needs to build, test and demo on Debian 12. Idempotent:
# packages already present are not touched, and apt-get runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build clang clang-format libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev libpcap-dev
  tshark python3 python3-scapy python3-serial iproute2 iptables nftables netcat-openbsd curl
  libc-ares-dev dnsmasq-base
  # HTTP app (src/apps/http): llhttp's C sources, OpenSSL, nghttp2; the
  # clients its interop tests drive (curl above, h2load, wrk).
  node-llhttp libssl-dev libnghttp2-dev nghttp2-client wrk openssl chromium
  # synack fetch --page (libxml2's HTML parser) and its interop test's nginx.
  libxml2-dev nginx-light
  # The home router (synack nat): sshd behind the port mapping, natpmpc as
  # the NAT-PMP client. Dynamic DNS: ldns (RFC 2136 UPDATE with TSIG), BIND 9
  # as the authoritative server in its test, dig to check the name.
  openssh-server natpmpc libldns-dev bind9 bind9-dnsutils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
