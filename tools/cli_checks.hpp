#pragma once
// Strict command-line arguments (issue 12): the one checker every numeric
// option goes through, and the checks of interface names, output paths and
// input files. A bad argument is one line on stderr and exit status 2, found
// before anything starts (no device created, no file written).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <CLI/CLI.hpp>

namespace synack::tools {

// A whole decimal number in [lo, hi]: optional '-' only when lo < 0, then
// digits only (no '+', spaces, hex, exponent or trailing text), no overflow.
// On failure returns nullopt and sets `why` ("expected a whole number from
// 1 to 255").
std::optional<long long> parse_integer(std::string_view text, long long lo, long long hi,
                                       std::string* why);
// The same for the full unsigned 64-bit range (seeds, byte counts).
std::optional<std::uint64_t> parse_u64(std::string_view text, std::uint64_t hi, std::string* why);
// A byte count in [0, hi]: digits, then optionally one of K, M, G or T
// (powers of 1024: "64M", "2G"); no spaces, signs or fractions, no
// overflow.
std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::uint64_t hi,
                                             std::string* why);
// A finite decimal number in [lo, hi] ("20", "0.5", "1e3"): no NaN, no
// infinity, no hex, no leading '+' or spaces, no trailing text.
std::optional<double> parse_real(std::string_view text, double lo, double hi, std::string* why);

// A Linux interface name: 1 to IFNAMSIZ-1 (15) characters, no '/', ':' or
// whitespace, not "." or ".." (the kernel's dev_valid_name), and not
// starting with '-' (an option mistaken for a name). nullopt when good, else
// why not.
std::optional<std::string> check_ifname(const std::string& name);
// A file we will create or overwrite: not empty, not a directory, and either
// writable or creatable in an existing, writable directory. Nothing is
// created. nullopt when good, else why not.
std::optional<std::string> check_output_path(const std::string& path);
// A regular file we can read. nullopt when good, else why not.
std::optional<std::string> check_input_file(const std::string& path);
// True when both name the same file (same inode, or the same text when
// neither exists yet).
bool same_file(const std::string& a, const std::string& b);

// Registers an option whose value goes through parse_integer (T is an
// integer type or std::optional of one). Errors come out of CLI11's parse as
// a ValidationError, so main() prints them as one line and exits 2.
template <typename T>
CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, T& target, long long lo,
                                long long hi, const std::string& description) {
  return cmd
      ->add_option_function<std::string>(
          name,
          [&target, name, lo, hi](const std::string& text) {
            std::string why;
            auto v = parse_integer(text, lo, hi, &why);
            if (!v) throw CLI::ValidationError(name, "bad value '" + text + "': " + why);
            if constexpr (std::is_integral_v<T>) {
              target = static_cast<T>(*v);
            } else {
              target = static_cast<typename T::value_type>(*v);
            }
          },
          description)
      ->type_name("N");
}

CLI::Option* add_u64_option(CLI::App* cmd, const std::string& name, std::uint64_t& target,
                            const std::string& description);
// An option whose value goes through parse_byte_size.
CLI::Option* add_byte_size_option(CLI::App* cmd, const std::string& name,
                                  std::optional<std::uint64_t>& target, std::uint64_t hi,
                                  const std::string& description);
CLI::Option* add_real_option(CLI::App* cmd, const std::string& name, double& target, double lo,
                             double hi, const std::string& description);
// A string option that refuses an empty value.
CLI::Option* add_text_option(CLI::App* cmd, const std::string& name, std::string& target,
                             const std::string& description);
// A flag that refuses a value (--nodelay=3).
CLI::Option* add_strict_flag(CLI::App* cmd, const std::string& name, bool& target,
                             const std::string& description);

}  // namespace synack::tools
