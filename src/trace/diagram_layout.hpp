#pragma once
// Column geometry and text placement for the sequence diagram
// (trace/sequence_diagram.hpp). Pure string work: nothing here knows TCP.
//
// A row is laid out as
//
//   <time> ␣␣ [<who> ␣␣] <left edge> ␣ <middle: arrows> ␣ <right edge>
//
// where <time> is "  1.010s", <who> is the optional host-name column used when
// several left hosts share the diagram, and the edges hold the hosts' states
// ("[SYN-SENT]" flush left, "[LISTEN]" flush right).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace synack::trace {

enum class Side : unsigned char { Left, Right };

// Seconds with millisecond precision, right-aligned in 8 columns: "  1.010s".
std::string format_time(Instant t);

// Breaks text into lines of at most `width` columns at spaces; a word longer
// than `width` is split.
std::vector<std::string> wrap_words(std::string_view text, std::size_t width);

// "core <a,b,c>" if it fits in `budget` columns, else as many items as fit
// followed by ",..", else "core <..>", else just core (which may overflow).
std::string fit_label(std::string_view core, const std::vector<std::string>& items,
                      std::size_t budget);

class DiagramLayout {
 public:
  static constexpr std::size_t kTimeWidth = 8;   // "  1.010s"
  static constexpr std::size_t kGap = 2;         // after time and who
  static constexpr std::size_t kEdgeWidth = 14;  // "[SYN-RECEIVED]"
  static constexpr std::size_t kMinMiddle = 24;  // arrows never get narrower

  // `width` is the wanted row width; `who_width` 0 means no host-name column.
  DiagramLayout(std::size_t width, std::size_t who_width);

  std::size_t width() const { return width_; }
  std::size_t middle_width() const { return middle_; }
  // Columns an arrow label may use so that the row stays within width().
  std::size_t label_budget(bool lost) const;

  // "    time  [host]  <left title> ... <right title>" (no trailing spaces).
  std::string header(std::string_view left_title, std::string_view right_title) const;
  std::string rule() const;
  // An arrow row; `arrow` comes from arrow() and is middle_width() wide.
  std::string arrow_row(std::string_view time, std::string_view who, std::string_view left_edge,
                        std::string_view arrow, std::string_view right_edge) const;
  // Text in one host's column: flush left for Left, flush right for Right;
  // wrapped over several rows (time and who only on the first) when long.
  std::vector<std::string> side_rows(std::string_view time, std::string_view who, Side side,
                                     std::string_view text) const;
  // "---- label --->" from `from` to the other side, middle_width() wide (or
  // wider if the label does not fit). A lost arrow stops in an 'X' part way.
  std::string arrow(std::string_view label, Side from, bool lost) const;

 private:
  std::string prefix(std::string_view time, std::string_view who) const;
  std::size_t prefix_width() const;

  std::size_t who_width_;
  std::size_t middle_;
  std::size_t width_;
};

}  // namespace synack::trace
