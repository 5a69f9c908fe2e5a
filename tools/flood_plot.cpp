#include "flood_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace synack::flood {

namespace {

constexpr double kWidth = 960;
constexpr double kLeft = 80;
constexpr double kRight = 200;  // room for the legend
constexpr double kPanelHeight = 250;
constexpr double kTop = 70;
constexpr double kGap = 80;

const char* colour(tcp::SyncookieMode m) {
  switch (m) {
    case tcp::SyncookieMode::Off:
      return "#d62728";
    case tcp::SyncookieMode::On:
      return "#1f77b4";
    case tcp::SyncookieMode::Auto:
      return "#2ca02c";
  }
  return "#000000";
}

// Where modes coincide (100 % for on and auto, a full queue for off and
// auto) the lines lie on top of each other: widths and dashes keep each one
// visible under the next.
const char* stroke_style(tcp::SyncookieMode m) {
  switch (m) {
    case tcp::SyncookieMode::Off:
      return R"(stroke-width="7" stroke-opacity="0.55")";
    case tcp::SyncookieMode::On:
      return R"(stroke-width="4" stroke-dasharray="10 6")";
    case tcp::SyncookieMode::Auto:
      return R"(stroke-width="2")";
  }
  return "";
}

struct Panel {
  double top;
  double y_max;
  int y_ticks;
  std::string y_label;
  std::function<double(const FloodSecond&)> value;
};

void draw_panel(std::string& svg, const Panel& p, const std::vector<FloodRun>& runs, double x_max) {
  double plot_w = kWidth - kLeft - kRight;
  auto x_of = [&](double s) { return kLeft + plot_w * s / x_max; };
  auto y_of = [&](double v) { return p.top + kPanelHeight * (1 - v / p.y_max); };
  svg += fmt::format(
      R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333" stroke-width="1"/>)"
      "\n",
      kLeft, p.top, plot_w, kPanelHeight);
  for (int i = 0; i <= p.y_ticks; ++i) {
    double v = p.y_max * i / p.y_ticks;
    double y = y_of(v);
    svg += fmt::format(
        R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#ddd" stroke-width="1"/>)"
        "\n"
        R"(<text x="{}" y="{:.1f}" font-size="12" text-anchor="end">{:g}</text>)"
        "\n",
        kLeft, y, kLeft + plot_w, y, kLeft - 6, y + 4, v);
  }
  int step = std::max(1, static_cast<int>(x_max / 10));
  for (int s = 0; s <= static_cast<int>(x_max); s += step) {
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="12" text-anchor="middle">{}</text>)"
                       "\n",
                       x_of(s), p.top + kPanelHeight + 16, s);
  }
  double ly = p.top + kPanelHeight / 2;
  svg += fmt::format(
      R"svg(<text x="{}" y="{}" font-size="13" text-anchor="middle" transform="rotate(-90 {} {})">{}</text>)svg"
      "\n"
      R"(<text x="{}" y="{}" font-size="13" text-anchor="middle">time (s, virtual)</text>)"
      "\n",
      kLeft - 50, ly, kLeft - 50, ly, p.y_label, kLeft + plot_w / 2, p.top + kPanelHeight + 34);
  for (const FloodRun& r : runs) {
    std::string points;
    for (const FloodSecond& row : r.seconds)
      points += fmt::format("{:.1f},{:.1f} ", x_of(row.second + 0.5),
                            y_of(std::min(p.value(row), p.y_max)));
    svg += fmt::format(R"(<polyline fill="none" stroke="{}" {} points="{}"/>)"
                       "\n",
                       colour(r.config.mode), stroke_style(r.config.mode), points);
  }
}

}  // namespace

std::string flood_plot_svg(const std::vector<FloodRun>& runs) {
  double x_max = 1;
  double q_max = 1;
  for (const FloodRun& r : runs) {
    x_max = std::max(x_max, static_cast<double>(r.seconds.size()));
    q_max = std::max(q_max, static_cast<double>(r.config.syn_backlog));
  }
  double height = kTop + 2 * kPanelHeight + kGap + 60;
  std::string svg = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      "\n"
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="sans-serif">)"
      "\n"
      R"(<rect width="100%" height="100%" fill="white"/>)"
      "\n",
      kWidth, height, kWidth, height);
  std::string title = "SYN flood";
  std::string subtitle;
  if (!runs.empty()) {
    const FloodLabConfig& c = runs.front().config;
    title = fmt::format("SYN flood: {:g} spoofed SYN/s vs {:g} legitimate connects/s",
                        c.attack_rate, c.legit_rate);
    subtitle = fmt::format(
        "synack on the simulated network; syn_backlog {}, backlog {}; success = handshake "
        "within {} ms",
        c.syn_backlog, c.backlog, to_ms(c.connect_deadline));
  }
  svg += fmt::format(
      R"(<text x="{}" y="26" font-size="17" text-anchor="middle" font-weight="bold">{}</text>)"
      "\n"
      R"(<text x="{}" y="46" font-size="12" text-anchor="middle">{}</text>)"
      "\n",
      kWidth / 2, title, kWidth / 2, subtitle);
  draw_panel(svg,
             {kTop, 100, 5, "legitimate connects succeeding (%)",
              [](const FloodSecond& s) { return s.success_pct(); }},
             runs, x_max);
  draw_panel(svg,
             {kTop + kPanelHeight + kGap, q_max, 4, "SynQueue occupancy (entries)",
              [](const FloodSecond& s) { return static_cast<double>(s.syn_queue); }},
             runs, x_max);
  // Legend.
  double lx = kWidth - kRight + 20;
  double ly = kTop + 10;
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="13" font-weight="bold">SYN cookies</text>)"
                     "\n",
                     lx, ly);
  for (const FloodRun& r : runs) {
    ly += 24;
    svg +=
        fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" {}/>)"
                    "\n"
                    R"(<text x="{}" y="{}" font-size="13">{}: {:.1f} % ok</text>)"
                    "\n",
                    lx, ly - 4, lx + 30, ly - 4, colour(r.config.mode), stroke_style(r.config.mode),
                    lx + 36, ly, to_string(r.config.mode), r.summary.success_pct());
  }
  svg += fmt::format(
      R"(<text x="{}" y="{}" font-size="11" fill="#555">Equal values overlap:</text>)"
      "\n"
      R"(<text x="{}" y="{}" font-size="11" fill="#555">off is the widest line, on</text>)"
      "\n"
      R"(<text x="{}" y="{}" font-size="11" fill="#555">is dashed.</text>)"
      "\n",
      lx, ly + 30, lx, ly + 44, lx, ly + 58);
  svg += "</svg>\n";
  return svg;
}

}  // namespace synack::flood
