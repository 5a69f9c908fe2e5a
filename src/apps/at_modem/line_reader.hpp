#pragma once
// Splits the serial byte stream into command lines. A line ends at LF; a CR
// before it is dropped. A line longer than kMaxLine is reported once, at its
// end, as over-long (the module answers ERROR) and its bytes are dropped.
#include <cstddef>
#include <optional>
#include <string>

namespace synack::apps::at_modem {

struct InputLine {
  std::string text;       // without CR LF
  bool too_long = false;  // text is empty then
};

class LineReader {
 public:
  static constexpr std::size_t kMaxLine = 512;

  // Takes one byte; returns a line when `c` ended one.
  std::optional<InputLine> push(char c);
  // Bytes of the line under way.
  std::size_t pending() const { return buf_.size(); }
  void clear() {
    buf_.clear();
    overflow_ = false;
  }

 private:
  std::string buf_;
  bool overflow_ = false;
};

}  // namespace synack::apps::at_modem
