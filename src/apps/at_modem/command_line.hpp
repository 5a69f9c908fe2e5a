#pragma once
// One AT command line, parsed: `AT`, `ATE0`, `AT+NAME`, `AT+NAME?`,
// `AT+NAME=?` and `AT+NAME=<args>`. Arguments are esp-at's: a number
// (digits, optional '-'), a string in double quotes (a backslash escapes the
// next character: \" \, \\), or nothing between two commas.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synack::apps::at_modem {

enum class CommandForm : std::uint8_t { Exec, Query, Test, Set };

struct CommandArg {
  enum class Kind : std::uint8_t { Empty, Number, String };
  Kind kind = Kind::Empty;
  std::int64_t number = 0;
  std::string text;  // the string, unquoted and unescaped
};

struct CommandLine {
  std::string name;  // "" for AT, "E0" for ATE0, "CIPSTART" for AT+CIPSTART
  CommandForm form = CommandForm::Exec;
  std::vector<CommandArg> args;

  // Argument `i` as a number in [lo, hi]; nullopt if absent, empty, a
  // string or out of range.
  std::optional<std::int64_t> number(std::size_t i, std::int64_t lo, std::int64_t hi) const;
  // Argument `i` as a quoted string; nullopt otherwise.
  std::optional<std::string> string(std::size_t i) const;
  bool empty_arg(std::size_t i) const {
    return i < args.size() && args[i].kind == CommandArg::Kind::Empty;
  }
};

// Parses one line (without its CR LF). nullopt: not an AT command, or
// malformed arguments.
std::optional<CommandLine> parse_command_line(std::string_view line);

}  // namespace synack::apps::at_modem
