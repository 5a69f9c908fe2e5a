#pragma once
// The impairments of one direction of a link, in the spirit of `tc netem`:
// "loss=2%,dup=1%,reorder=25%,delay=50ms,jitter=5ms,rate=100mbit,corrupt=0.1%".
// Header-only so that both the simulator and the TUN boundary can parse specs
// from the command line without pulling in more of phy.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "core/time.hpp"

namespace synack::phy {

struct LinkParams {
  Duration delay{0};     // fixed one-way propagation delay
  Duration jitter{0};    // each frame's delay varies uniformly in [-jitter, +jitter]
  double loss = 0;       // probability a frame is dropped
  double duplicate = 0;  // probability a frame is delivered twice
  double reorder = 0;    // probability a frame is held back by reorder_extra
  Duration reorder_extra{std::chrono::milliseconds(10)};  // long enough to be overtaken
  double corrupt = 0;                       // probability one random bit of the frame is flipped
  std::uint64_t rate_bps = 0;               // link bandwidth in bit/s; 0 = unlimited (no queue)
  std::size_t queue_limit_bytes = 1 << 20;  // bytes waiting for the wire before tail drop

  // Parses a comma-separated list of key=value. Keys: loss, dup (duplicate),
  // reorder, reorder_extra, corrupt, delay, jitter, rate, queue (queue_limit).
  // "" and "none" give the defaults. On failure returns nullopt and, if `error`
  // is non-null, a message naming the offending item.
  static std::optional<LinkParams> parse(std::string_view spec, std::string* error);
  // The spec form of the non-default fields ("none" when all are default);
  // parse(to_string()) gives back an equal value.
  std::string to_string() const;

  bool operator==(const LinkParams&) const = default;
};

namespace link_params_detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Splits "12.5ms" into the number 12.5 and the unit "ms" ("1e-3" is a number
// too). Refuses negatives, NaN and infinity: no impairment is negative.
inline bool split_number(std::string_view text, double* number, std::string_view* unit) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first == last || !((*first >= '0' && *first <= '9') || *first == '.')) return false;
  auto [ptr, ec] = std::from_chars(first, last, *number, std::chars_format::general);
  if (ec != std::errc() || !std::isfinite(*number)) return false;
  *unit = std::string_view(ptr, static_cast<std::size_t>(last - ptr));
  return true;
}

inline std::optional<double> parse_probability(std::string_view v, std::string* why) {
  double n = 0;
  std::string_view unit;
  if (!split_number(v, &n, &unit)) {
    *why = "expected a percentage (\"2%\") or a fraction (\"0.02\")";
    return std::nullopt;
  }
  if (unit == "%") {
    n /= 100;
  } else if (!unit.empty()) {
    *why = fmt::format("unknown unit \"{}\" (use % or a plain fraction)", unit);
    return std::nullopt;
  }
  if (n > 1) {
    *why = "a probability cannot exceed 100%";
    return std::nullopt;
  }
  return n;
}

inline std::optional<Duration> parse_duration(std::string_view v, std::string* why) {
  double n = 0;
  std::string_view unit;
  if (!split_number(v, &n, &unit)) {
    *why = "expected a non-negative duration such as \"50ms\"";
    return std::nullopt;
  }
  double us_per_unit = 0;
  if (unit == "us") {
    us_per_unit = 1;
  } else if (unit == "ms") {
    us_per_unit = 1e3;
  } else if (unit == "s") {
    us_per_unit = 1e6;
  } else {
    *why = unit.empty() ? "missing unit (use us, ms or s)"
                        : fmt::format("unknown unit \"{}\" (use us, ms or s)", unit);
    return std::nullopt;
  }
  double us = std::round(n * us_per_unit);
  if (us > 1e15) {
    *why = "duration too large";
    return std::nullopt;
  }
  return Duration(static_cast<std::int64_t>(us));
}

inline std::optional<std::uint64_t> parse_rate(std::string_view v, std::string* why) {
  double n = 0;
  std::string_view unit;
  if (!split_number(v, &n, &unit)) {
    *why = "expected a rate such as \"100mbit\"";
    return std::nullopt;
  }
  double scale = 0;
  if (unit == "bit") {
    scale = 1;
  } else if (unit == "kbit") {
    scale = 1e3;
  } else if (unit == "mbit") {
    scale = 1e6;
  } else if (unit == "gbit") {
    scale = 1e9;
  } else if (unit.empty() && n == 0) {
    scale = 1;  // "rate=0": unlimited
  } else {
    *why = unit.empty() ? "missing unit (use bit, kbit, mbit or gbit)"
                        : fmt::format("unknown unit \"{}\" (use bit, kbit, mbit or gbit)", unit);
    return std::nullopt;
  }
  double bps = std::round(n * scale);
  if (bps > 1e15) {
    *why = "rate too large";
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(bps);
}

inline std::optional<std::size_t> parse_bytes(std::string_view v, std::string* why) {
  double n = 0;
  std::string_view unit;
  if (!split_number(v, &n, &unit)) {
    *why = "expected a size such as \"64kb\"";
    return std::nullopt;
  }
  double scale = 0;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "kb") {
    scale = 1e3;
  } else if (unit == "kib") {
    scale = 1024;
  } else if (unit == "mb") {
    scale = 1e6;
  } else if (unit == "mib") {
    scale = 1024.0 * 1024;
  } else {
    *why = fmt::format("unknown unit \"{}\" (use b, kb, kib, mb or mib)", unit);
    return std::nullopt;
  }
  double bytes = std::round(n * scale);
  if (bytes > 1e15) {
    *why = "size too large";
    return std::nullopt;
  }
  return static_cast<std::size_t>(bytes);
}

// Largest unit that shows the value exactly, so that parsing gives it back.
inline std::string format_duration(Duration d) {
  auto us = d.count();
  if (us != 0 && us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us != 0 && us % 1'000 == 0) return fmt::format("{}ms", us / 1'000);
  return fmt::format("{}us", us);
}

inline std::string format_rate(std::uint64_t bps) {
  if (bps != 0 && bps % 1'000'000'000 == 0) return fmt::format("{}gbit", bps / 1'000'000'000);
  if (bps != 0 && bps % 1'000'000 == 0) return fmt::format("{}mbit", bps / 1'000'000);
  if (bps != 0 && bps % 1'000 == 0) return fmt::format("{}kbit", bps / 1'000);
  return fmt::format("{}bit", bps);
}

// A percentage when it reads back to the same double, else the plain fraction.
inline std::string format_probability(double p) {
  std::string pct = fmt::format("{}%", p * 100);
  std::string ignored;
  auto back = parse_probability(pct, &ignored);
  if (back && *back == p) return pct;
  return fmt::format("{}", p);
}

}  // namespace link_params_detail

inline std::optional<LinkParams> LinkParams::parse(std::string_view spec, std::string* error) {
  namespace d = link_params_detail;
  LinkParams p;
  auto fail = [&](std::string message) -> std::optional<LinkParams> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  spec = d::trim(spec);
  if (spec.empty() || spec == "none") return p;
  while (true) {
    std::size_t comma = spec.find(',');
    std::string_view item = d::trim(spec.substr(0, comma));
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail(fmt::format("link spec item \"{}\": expected key=value", item));
    std::string_view key = d::trim(item.substr(0, eq));
    std::string_view value = d::trim(item.substr(eq + 1));
    std::string why;
    bool ok = true;
    auto take = [&](auto parsed, auto& field) {
      if (parsed) {
        field = *parsed;
      } else {
        ok = false;
      }
    };
    if (key == "loss") {
      take(d::parse_probability(value, &why), p.loss);
    } else if (key == "dup" || key == "duplicate") {
      take(d::parse_probability(value, &why), p.duplicate);
    } else if (key == "reorder") {
      take(d::parse_probability(value, &why), p.reorder);
    } else if (key == "corrupt") {
      take(d::parse_probability(value, &why), p.corrupt);
    } else if (key == "delay") {
      take(d::parse_duration(value, &why), p.delay);
    } else if (key == "jitter") {
      take(d::parse_duration(value, &why), p.jitter);
    } else if (key == "reorder_extra") {
      take(d::parse_duration(value, &why), p.reorder_extra);
    } else if (key == "rate") {
      take(d::parse_rate(value, &why), p.rate_bps);
    } else if (key == "queue" || key == "queue_limit") {
      take(d::parse_bytes(value, &why), p.queue_limit_bytes);
    } else {
      return fail(
          fmt::format("link spec item \"{}\": unknown key \"{}\" (known: loss, dup, reorder, "
                      "reorder_extra, corrupt, delay, jitter, rate, queue)",
                      item, key));
    }
    if (!ok) return fail(fmt::format("link spec item \"{}\": {}", item, why));
    if (comma == std::string_view::npos) break;
    spec = spec.substr(comma + 1);
  }
  return p;
}

inline std::string LinkParams::to_string() const {
  namespace d = link_params_detail;
  const LinkParams def;
  std::string out;
  auto add = [&out](std::string_view key, const std::string& value) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}", key, value);
  };
  if (loss != def.loss) add("loss", d::format_probability(loss));
  if (duplicate != def.duplicate) add("dup", d::format_probability(duplicate));
  if (reorder != def.reorder) add("reorder", d::format_probability(reorder));
  if (reorder_extra != def.reorder_extra) add("reorder_extra", d::format_duration(reorder_extra));
  if (corrupt != def.corrupt) add("corrupt", d::format_probability(corrupt));
  if (delay != def.delay) add("delay", d::format_duration(delay));
  if (jitter != def.jitter) add("jitter", d::format_duration(jitter));
  if (rate_bps != def.rate_bps) add("rate", d::format_rate(rate_bps));
  if (queue_limit_bytes != def.queue_limit_bytes)
    add("queue", fmt::format("{}b", queue_limit_bytes));
  return out.empty() ? "none" : out;
}

}  // namespace synack::phy
