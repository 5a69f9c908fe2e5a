#include "apps/at_modem/command_line.hpp"

#include <charconv>

namespace synack::apps::at_modem {

namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Parses the argument list after '='; false when malformed.
bool parse_args(std::string_view text, std::vector<CommandArg>& out) {
  std::size_t i = 0;
  while (true) {
    CommandArg arg;
    if (i < text.size() && text[i] == '"') {
      arg.kind = CommandArg::Kind::String;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '\\') {
          if (i >= text.size()) return false;
          arg.text += text[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          arg.text += c;
        }
      }
      if (!closed) return false;
    } else {
      std::size_t end = text.find(',', i);
      std::string_view tok = text.substr(i, end == std::string_view::npos ? end : end - i);
      i += tok.size();
      if (!tok.empty()) {
        std::string_view digits = tok.front() == '-' ? tok.substr(1) : tok;
        if (digits.empty() || digits.size() > 12) return false;
        for (char c : digits)
          if (c < '0' || c > '9') return false;
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
        if (ec != std::errc() || p != tok.data() + tok.size()) return false;
        arg.kind = CommandArg::Kind::Number;
        arg.number = v;
      }
    }
    out.push_back(std::move(arg));
    if (i == text.size()) return true;
    if (text[i] != ',') return false;
    ++i;
  }
}

}  // namespace

std::optional<std::int64_t> CommandLine::number(std::size_t i, std::int64_t lo,
                                                std::int64_t hi) const {
  if (i >= args.size() || args[i].kind != CommandArg::Kind::Number) return std::nullopt;
  if (args[i].number < lo || args[i].number > hi) return std::nullopt;
  return args[i].number;
}

std::optional<std::string> CommandLine::string(std::size_t i) const {
  if (i >= args.size() || args[i].kind != CommandArg::Kind::String) return std::nullopt;
  return args[i].text;
}

std::optional<CommandLine> parse_command_line(std::string_view line) {
  if (line.substr(0, 2) != "AT") return std::nullopt;
  std::string_view rest = line.substr(2);
  CommandLine cmd;
  if (rest.empty()) return cmd;
  if (rest.front() != '+') {
    // Basic commands: ATE0, ATE1.
    for (char c : rest)
      if (!is_name_char(c)) return std::nullopt;
    cmd.name = std::string(rest);
    return cmd;
  }
  rest.remove_prefix(1);
  std::size_t n = 0;
  while (n < rest.size() && is_name_char(rest[n]))
    ++n;
  if (n == 0) return std::nullopt;
  cmd.name = std::string(rest.substr(0, n));
  rest.remove_prefix(n);
  if (rest.empty()) {
    cmd.form = CommandForm::Exec;
  } else if (rest == "?") {
    cmd.form = CommandForm::Query;
  } else if (rest == "=?") {
    cmd.form = CommandForm::Test;
  } else if (rest.front() == '=') {
    cmd.form = CommandForm::Set;
    if (!parse_args(rest.substr(1), cmd.args)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return cmd;
}

}  // namespace synack::apps::at_modem
