#include "trace/diagram_layout.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synack::trace {

namespace {

// Arrow anatomy: at least this many shaft dashes on each side of the label.
constexpr std::size_t kMinDashes = 2;
// A lost arrow ends at least this many columns before the receiver's edge.
constexpr std::size_t kLostGap = 2;
// Dashes before the label of a lost arrow.
constexpr std::size_t kLostLead = 2;

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string pad_right(std::string_view s, std::size_t w) {
  std::string out(s);
  if (out.size() < w) out.append(w - out.size(), ' ');
  return out;
}

std::string pad_left(std::string_view s, std::size_t w) {
  std::string out;
  if (s.size() < w) out.append(w - s.size(), ' ');
  out.append(s);
  return out;
}

}  // namespace

std::string format_time(Instant t) {
  std::int64_t us = to_us(t);
  bool negative = us < 0;
  std::int64_t ms = (negative ? -us : us) / 1000;
  return fmt::format("{:>7}s",
                     fmt::format("{}{}.{:03}", negative ? "-" : "", ms / 1000, ms % 1000));
}

std::vector<std::string> wrap_words(std::string_view text, std::size_t width) {
  width = std::max<std::size_t>(width, 1);
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    i = end;
    while (!word.empty()) {
      std::size_t need = line.empty() ? word.size() : line.size() + 1 + word.size();
      if (need <= width) {
        if (!line.empty()) line += ' ';
        line.append(word);
        word = {};
      } else if (!line.empty()) {
        lines.push_back(std::move(line));
        line.clear();
      } else {  // a single word wider than the line: split it
        lines.emplace_back(word.substr(0, width));
        word.remove_prefix(width);
      }
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string fit_label(std::string_view core, const std::vector<std::string>& items,
                      std::size_t budget) {
  std::string base(core);
  if (items.empty()) return base;
  std::string full = base + " <";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) full += ',';
    full += items[i];
  }
  full += '>';
  if (full.size() <= budget) return full;
  // Keep the longest prefix of the list that fits with ",..>" after it.
  for (std::size_t keep = items.size() - 1; keep > 0; --keep) {
    std::string s = base + " <";
    for (std::size_t i = 0; i < keep; ++i) {
      if (i > 0) s += ',';
      s += items[i];
    }
    s += ",..>";
    if (s.size() <= budget) return s;
  }
  std::string elided = base + " <..>";
  return elided.size() <= budget ? elided : base;
}

DiagramLayout::DiagramLayout(std::size_t width, std::size_t who_width) : who_width_(who_width) {
  std::size_t fixed = prefix_width() + 2 * kEdgeWidth + 2;
  middle_ = width > fixed + kMinMiddle ? width - fixed : kMinMiddle;
  width_ = fixed + middle_;
}

std::size_t DiagramLayout::prefix_width() const {
  return kTimeWidth + kGap + (who_width_ > 0 ? who_width_ + kGap : 0);
}

std::string DiagramLayout::prefix(std::string_view time, std::string_view who) const {
  std::string out = pad_left(time, kTimeWidth);
  out.append(kGap, ' ');
  if (who_width_ > 0) {
    out += pad_right(who, who_width_);
    out.append(kGap, ' ');
  }
  return out;
}

std::size_t DiagramLayout::label_budget(bool lost) const {
  // Normal: "--" + " label " + "--" + head. Lost: lead + " label " + "--" +
  // 'X', ending kLostGap before the edge.
  std::size_t overhead = lost ? kLostGap + kLostLead + 2 + kMinDashes + 1 : 2 * kMinDashes + 2 + 1;
  return middle_ > overhead ? middle_ - overhead : 0;
}

std::string DiagramLayout::header(std::string_view left_title, std::string_view right_title) const {
  std::string line = prefix("time", who_width_ > 0 ? "host" : "");
  line += left_title;
  std::size_t right_start = width_ > right_title.size() ? width_ - right_title.size() : 0;
  if (line.size() + kGap > right_start) right_start = line.size() + kGap;
  line.append(right_start - line.size(), ' ');
  line += right_title;
  return rtrim(std::move(line));
}

std::string DiagramLayout::rule() const {
  return std::string(width_, '=');
}

std::string DiagramLayout::arrow_row(std::string_view time, std::string_view who,
                                     std::string_view left_edge, std::string_view arrow,
                                     std::string_view right_edge) const {
  std::string line = prefix(time, who);
  line += pad_right(left_edge, kEdgeWidth);
  line += ' ';
  line += pad_right(arrow, middle_);
  line += ' ';
  line += pad_left(right_edge, kEdgeWidth);
  return rtrim(std::move(line));
}

std::vector<std::string> DiagramLayout::side_rows(std::string_view time, std::string_view who,
                                                  Side side, std::string_view text) const {
  std::size_t room = width_ - prefix_width();
  std::vector<std::string> rows;
  for (const std::string& part : wrap_words(text, room)) {
    std::string line = rows.empty() ? prefix(time, who) : std::string(prefix_width(), ' ');
    line += side == Side::Left ? part : pad_left(part, room);
    rows.push_back(rtrim(std::move(line)));
  }
  return rows;
}

std::string DiagramLayout::arrow(std::string_view label, Side from, bool lost) const {
  std::string inner = fmt::format(" {} ", label);
  if (!lost) {
    std::size_t dashes = middle_ > inner.size() + 1 ? middle_ - inner.size() - 1 : 0;
    dashes = std::max(dashes, 2 * kMinDashes);
    std::string near(dashes / 2, '-');          // next to the sender
    std::string far(dashes - dashes / 2, '-');  // next to the head
    return from == Side::Left ? near + inner + far + ">" : "<" + far + inner + near;
  }
  // Lost: the shaft reaches at least half way, never closer than kLostGap to
  // the receiver's edge (unless the label itself is too long).
  std::size_t minimal = kLostLead + inner.size() + kMinDashes + 1;
  std::size_t limit = middle_ > kLostGap ? middle_ - kLostGap : 0;
  std::size_t len = std::max(minimal, std::min(limit, (middle_ + 1) / 2));
  std::string lead(kLostLead, '-');
  std::string tail(len - kLostLead - inner.size() - 1, '-');
  if (from == Side::Left) return lead + inner + tail + "X";
  std::string pad(middle_ > len ? middle_ - len : 0, ' ');
  return pad + "X" + tail + inner + lead;
}

}  // namespace synack::trace
