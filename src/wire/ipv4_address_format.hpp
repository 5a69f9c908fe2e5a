#pragma once
// fmt formatting for Ipv4Address ("10.0.0.1"), so that a message is built
// only when something will read it, with no string made for the address.
#include <fmt/format.h>

#include "wire/ipv4_address.hpp"

template <>
struct fmt::formatter<synack::wire::Ipv4Address> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename FormatContext>
  auto format(const synack::wire::Ipv4Address& a, FormatContext& ctx) const {
    auto o = a.octets();
    return fmt::format_to(ctx.out(), "{}.{}.{}.{}", o[0], o[1], o[2], o[3]);
  }
};
