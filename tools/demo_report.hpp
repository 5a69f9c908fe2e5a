#pragma once
// Printing for `synack demo`: titles, wrapped explanations, the sequence
// diagram on the scenario's own clock, and counter summaries laid out like
// nstat / ss -ti.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "phy/frame_filter.hpp"
#include "socket/stack.hpp"
#include "tcp/connection.hpp"
#include "tcp/listener.hpp"
#include "tcp/trace.hpp"
#include "trace/sequence_diagram.hpp"

namespace synack::demo {

// Words re-flowed to `width` columns, each line starting with `indent`;
// blank lines in `text` separate paragraphs.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent = "");

void print_title(int number, std::string_view title, std::size_t width);
void print_text(std::string_view text, std::size_t width);
void print_heading(std::string_view text);

// The diagram with times counted from `start` (each scenario's t=0).
void print_diagram(const tcp::Trace& trace, Instant start, const trace::DiagramOptions& opts);

// "1.234s" for a duration since the scenario started.
std::string seconds(Duration d);

// When `host` sent segments whose flags are exactly `flags`, counted from
// `start`; a segment the network lost is marked. E.g. "0.010s (lost), 1.010s".
struct SendTime {
  Duration at;
  bool lost = false;
};
std::vector<SendTime> send_times(const tcp::Trace& trace, Instant start, std::string_view host,
                                 std::uint8_t flags);
std::string format_send_times(const std::vector<SendTime>& times);

// Name/value pairs printed in as many columns as fit.
class Counters {
 public:
  explicit Counters(std::string title) : title_(std::move(title)) {}
  Counters& add(std::string name, std::uint64_t value);
  Counters& add(std::string name, std::string value);
  void print(std::size_t width) const;

 private:
  std::string title_;
  std::vector<std::pair<std::string, std::string>> items_;
};

Counters listener_counters(std::string title, const tcp::ListenerCounters& c);
Counters layer_counters(const socket::Stack& host);
Counters pool_usage(const socket::Stack& host);
Counters connection_stats(std::string title, const tcp::Connection& c);
// What each drop rule of a FilteredPort matched and dropped.
Counters filter_stats(const phy::FilteredPort& f);

}  // namespace synack::demo
