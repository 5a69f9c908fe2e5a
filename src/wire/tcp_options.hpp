#pragma once
// TCP options in common use (RFC 9293 §3.2, RFC 7323, RFC 2018).
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "core/result.hpp"
#include "wire/error.hpp"

namespace synack::wire {

enum class TcpOptionKind : std::uint8_t {
  End = 0,
  Nop = 1,
  Mss = 2,
  WindowScale = 3,
  SackPermitted = 4,
  Sack = 5,
  Timestamps = 8,
};

struct SackBlock {
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  bool operator==(const SackBlock&) const = default;
};

struct TcpTimestamps {
  std::uint32_t tsval = 0;
  std::uint32_t tsecr = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

struct TcpOptions {
  static constexpr std::size_t kMaxSackBlocks = 4;

  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  std::array<SackBlock, kMaxSackBlocks> sack{};
  std::uint8_t sack_count = 0;

  // Parses the option bytes between the fixed header and the data offset.
  // Unknown kinds are skipped by their length; a known kind with the wrong
  // length is ignored (as Linux does); a length of 0 or 1 or one running past
  // the end is an error.
  static Result<TcpOptions, WireError> parse(std::span<const std::uint8_t> bytes);
  // Encoded length, padded to a multiple of 4 and at most 40: SACK blocks that
  // do not fit beside the other options are left out.
  std::size_t encoded_len() const;
  // Writes encoded_len() bytes.
  void emit(std::span<std::uint8_t> out) const;

  bool operator==(const TcpOptions&) const = default;
};

}  // namespace synack::wire
