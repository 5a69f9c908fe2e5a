#include "cli_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

namespace synack::tools {

namespace {

using StatBuf = struct stat;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string range_text(long long lo, long long hi) {
  return fmt::format("expected a whole number from {} to {}", lo, hi);
}

}  // namespace

std::optional<long long> parse_integer(std::string_view text, long long lo, long long hi,
                                       std::string* why) {
  auto fail = [&]() -> std::optional<long long> {
    if (why) *why = range_text(lo, hi);
    return std::nullopt;
  };
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') {
    if (lo >= 0) return fail();
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail();
  for (char c : digits)
    if (!is_digit(c)) return fail();
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return fail();
  return v;
}

std::optional<std::uint64_t> parse_u64(std::string_view text, std::uint64_t hi, std::string* why) {
  auto fail = [&]() -> std::optional<std::uint64_t> {
    if (why) *why = fmt::format("expected a whole number from 0 to {}", hi);
    return std::nullopt;
  };
  if (text.empty()) return fail();
  for (char c : text)
    if (!is_digit(c)) return fail();
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > hi) return fail();
  return v;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::uint64_t hi,
                                             std::string* why) {
  auto fail = [&]() -> std::optional<std::uint64_t> {
    if (why)
      *why = fmt::format(
          "expected a byte count from 0 to {}, digits with an optional K, M, G or "
          "T (1024-based) after them",
          hi);
    return std::nullopt;
  };
  int shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift) text.remove_suffix(1);
  }
  auto v = parse_u64(text, UINT64_MAX >> shift, nullptr);
  if (!v || (*v << shift) > hi) return fail();
  return *v << shift;
}

std::optional<double> parse_real(std::string_view text, double lo, double hi, std::string* why) {
  auto fail = [&]() -> std::optional<double> {
    if (why) *why = fmt::format("expected a number from {:g} to {:g}", lo, hi);
    return std::nullopt;
  };
  // from_chars alone would take "nan", "inf" and "infinity": insist on a
  // digit (or a '.' before one) at the start, after an optional '-'.
  std::string_view body = text;
  if (!body.empty() && body.front() == '-') body.remove_prefix(1);
  if (body.empty()) return fail();
  if (!is_digit(body.front()) && !(body.front() == '.' && body.size() > 1 && is_digit(body[1])))
    return fail();
  double v = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < lo ||
      v > hi)
    return fail();
  return v;
}

std::optional<std::string> check_ifname(const std::string& name) {
  if (name.empty()) return std::string("empty interface name");
  if (name.size() > 15)
    return fmt::format("interface name '{}' is {} characters, at most 15", name, name.size());
  if (name == "." || name == ".." || name.front() == '-')
    return fmt::format("'{}' is not an interface name", name);
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= ' ' || u == 0x7f)
      return fmt::format("interface name '{}' contains '/', ':', a space or a control character",
                         name);
  }
  return std::nullopt;
}

std::optional<std::string> check_output_path(const std::string& path) {
  if (path.empty()) return std::string("empty file name");
  StatBuf st{};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fmt::format("'{}' is a directory", path);
    if (::access(path.c_str(), W_OK) != 0)
      return fmt::format("cannot write '{}': {}", path, std::strerror(errno));
    return std::nullopt;
  }
  int err = errno;
  if (err != ENOENT) return fmt::format("cannot write '{}': {}", path, std::strerror(err));
  if (path.back() == '/') return fmt::format("no directory '{}'", path);
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(dir.c_str(), &st) != 0)
    return fmt::format("cannot create '{}': directory '{}': {}", path, dir, std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fmt::format("cannot create '{}': '{}' is not a directory", path, dir);
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return fmt::format("cannot create '{}' in '{}': {}", path, dir, std::strerror(errno));
  return std::nullopt;
}

std::optional<std::string> check_input_file(const std::string& path) {
  if (path.empty()) return std::string("empty file name");
  StatBuf st{};
  if (::stat(path.c_str(), &st) != 0)
    return fmt::format("cannot read '{}': {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fmt::format("'{}' is a directory", path);
  if (::access(path.c_str(), R_OK) != 0)
    return fmt::format("cannot read '{}': {}", path, std::strerror(errno));
  return std::nullopt;
}

namespace {

// A path that does not exist yet, as its directory's real path plus its name
// ("x" and "./x" alike).
std::string resolved_new_path(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  char buf[PATH_MAX];
  if (!::realpath(dir.c_str(), buf)) return path;
  return std::string(buf) + "/" + name;
}

}  // namespace

bool same_file(const std::string& a, const std::string& b) {
  StatBuf sa{}, sb{};
  bool ea = ::stat(a.c_str(), &sa) == 0;
  bool eb = ::stat(b.c_str(), &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  return !ea && !eb && resolved_new_path(a) == resolved_new_path(b);
}

CLI::Option* add_u64_option(CLI::App* cmd, const std::string& name, std::uint64_t& target,
                            const std::string& description) {
  return cmd
      ->add_option_function<std::string>(
          name,
          [&target, name](const std::string& text) {
            std::string why;
            auto v = parse_u64(text, UINT64_MAX, &why);
            if (!v) throw CLI::ValidationError(name, "bad value '" + text + "': " + why);
            target = *v;
          },
          description)
      ->type_name("N");
}

CLI::Option* add_byte_size_option(CLI::App* cmd, const std::string& name,
                                  std::optional<std::uint64_t>& target, std::uint64_t hi,
                                  const std::string& description) {
  return cmd
      ->add_option_function<std::string>(
          name,
          [&target, name, hi](const std::string& text) {
            std::string why;
            auto v = parse_byte_size(text, hi, &why);
            if (!v) throw CLI::ValidationError(name, "bad value '" + text + "': " + why);
            target = *v;
          },
          description)
      ->type_name("BYTES");
}

CLI::Option* add_real_option(CLI::App* cmd, const std::string& name, double& target, double lo,
                             double hi, const std::string& description) {
  return cmd
      ->add_option_function<std::string>(
          name,
          [&target, name, lo, hi](const std::string& text) {
            std::string why;
            auto v = parse_real(text, lo, hi, &why);
            if (!v) throw CLI::ValidationError(name, "bad value '" + text + "': " + why);
            target = *v;
          },
          description)
      ->type_name("X");
}

CLI::Option* add_text_option(CLI::App* cmd, const std::string& name, std::string& target,
                             const std::string& description) {
  return cmd->add_option(name, target, description)
      ->check(CLI::Validator(
          [](std::string& v) { return v.empty() ? std::string("empty value") : std::string(); }, "",
          "NOT EMPTY"));
}

CLI::Option* add_strict_flag(CLI::App* cmd, const std::string& name, bool& target,
                             const std::string& description) {
  return cmd->add_flag(name, target, description)->disable_flag_override();
}

}  // namespace synack::tools
