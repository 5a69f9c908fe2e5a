#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synack::wire {

// An IPv4 address held in host byte order for cheap comparison and hashing.
class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t host_order) : v_(host_order) {}
  constexpr Ipv4Address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
      : v_((std::uint32_t(a) << 24) | (std::uint32_t(b) << 16) | (std::uint32_t(c) << 8) | d) {}

  // Parses dotted-quad text ("10.0.0.1"); nullopt on anything else.
  static std::optional<Ipv4Address> parse(std::string_view text);

  // 255.255.255.255, the limited broadcast (RFC 919).
  static constexpr Ipv4Address broadcast() { return Ipv4Address(0xffffffffu); }
  constexpr bool is_unspecified() const { return v_ == 0; }

  constexpr std::uint32_t to_u32() const { return v_; }
  std::array<std::uint8_t, 4> octets() const {
    return {std::uint8_t(v_ >> 24), std::uint8_t(v_ >> 16), std::uint8_t(v_ >> 8),
            std::uint8_t(v_)};
  }
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Address&) const = default;

 private:
  std::uint32_t v_ = 0;
};

// An address with a prefix length ("10.0.0.1/24").
struct Ipv4Cidr {
  Ipv4Address address;
  std::uint8_t prefix_len = 32;

  static std::optional<Ipv4Cidr> parse(std::string_view text);
  std::uint32_t netmask() const {
    return prefix_len == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix_len);
  }
  bool contains(Ipv4Address a) const {
    return (a.to_u32() & netmask()) == (address.to_u32() & netmask());
  }
  // The subnet's directed broadcast address; none on a /31 or /32 (RFC 3021).
  std::optional<Ipv4Address> broadcast() const {
    if (prefix_len >= 31) return std::nullopt;
    return Ipv4Address(address.to_u32() | ~netmask());
  }
  std::string to_string() const;
};

}  // namespace synack::wire
