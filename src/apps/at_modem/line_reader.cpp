#include "apps/at_modem/line_reader.hpp"

namespace synack::apps::at_modem {

std::optional<InputLine> LineReader::push(char c) {
  if (c == '\n') {
    InputLine line;
    if (overflow_) {
      line.too_long = true;
    } else {
      if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
      line.text = std::move(buf_);
    }
    clear();
    return line;
  }
  if (overflow_) return std::nullopt;
  if (buf_.size() >= kMaxLine) {
    overflow_ = true;
    buf_.clear();
    return std::nullopt;
  }
  buf_ += c;
  return std::nullopt;
}

}  // namespace synack::apps::at_modem
