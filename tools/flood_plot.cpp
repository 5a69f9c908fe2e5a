#include "flood_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace synack::flood {

namespace {

constexpr double kWidth = 900;
constexpr double kLeft = 80;
constexpr double kRight = 170;  // room for the legend
constexpr double kPanelHeight = 250;
constexpr double kTop = 60;
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

struct Panel {
  double top;
  double y_max;
  std::string y_label;
  std::function<double(const FloodSecond&)> value;
};

void draw_panel(std::string& svg, const Panel& p, const std::vector<FloodRun>& runs, double x_max) {
  double plot_w = kWidth - kLeft - kRight;
  auto x_of = [&](double s) { return kLeft + plot_w * s / x_max; };
  auto y_of = [&](double v) { return p.top + kPanelHeight * (1 - v / p.y_max); };
  // Frame, grid and ticks.
  svg += fmt::format(
      R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333" stroke-width="1"/>)"
      "\n",
      kLeft, p.top, plot_w, kPanelHeight);
  for (int i = 0; i <= 5; ++i) {
    double v = p.y_max * i / 5;
    double y = y_of(v);
    svg += fmt::format(
        R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#ddd" stroke-width="1"/>)"
        "\n",
        kLeft, y, kLeft + plot_w, y);
    svg += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="12" text-anchor="end">{:g}</text>)"
                       "\n",
                       kLeft - 6, y + 4, v);
  }
  int step = std::max(1, static_cast<int>(x_max / 10));
  for (int s = 0; s <= static_cast<int>(x_max); s += step) {
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="12" text-anchor="middle">{}</text>)"
                       "\n",
                       x_of(s), p.top + kPanelHeight + 16, s);
  }
  svg += fmt::format(
      R"svg(<text x="{}" y="{}" font-size="13" text-anchor="middle" transform="rotate(-90 {} {})">{}</text>)svg"
      "\n",
      kLeft - 50, p.top + kPanelHeight / 2, kLeft - 50, p.top + kPanelHeight / 2, p.y_label);
  svg += fmt::format(
      R"(<text x="{}" y="{}" font-size="13" text-anchor="middle">time (s, virtual)</text>)"
      "\n",
      kLeft + plot_w / 2, p.top + kPanelHeight + 34);
  for (const FloodRun& r : runs) {
    std::string points;
    for (const FloodSecond& row : r.seconds)
      points += fmt::format("{:.1f},{:.1f} ", x_of(row.second + 0.5),
                            y_of(std::min(p.value(row), p.y_max)));
    svg += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>)"
                       "\n",
                       colour(r.config.mode), points);
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
  if (!runs.empty()) {
    const FloodLabConfig& c = runs.front().config;
    title = fmt::format(
        "SYN flood: {:g} spoofed SYN/s against {:g} legitimate connections/s "
        "(syn_backlog {}, backlog {})",
        c.attack_rate, c.legit_rate, c.syn_backlog, c.backlog);
  }
  svg += fmt::format(
      R"(<text x="{}" y="30" font-size="16" text-anchor="middle" font-weight="bold">{}</text>)"
      "\n",
      kWidth / 2, title);
  draw_panel(svg,
             {kTop, 100, "legitimate connects succeeding (%)",
              [](const FloodSecond& s) { return s.success_pct(); }},
             runs, x_max);
  draw_panel(svg,
             {kTop + kPanelHeight + kGap, q_max, "SynQueue occupancy (entries)",
              [](const FloodSecond& s) { return static_cast<double>(s.syn_queue); }},
             runs, x_max);
  // Legend.
  double lx = kWidth - kRight + 20;
  double ly = kTop + 10;
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="13" font-weight="bold">SYN cookies</text>)"
                     "\n",
                     lx, ly);
  for (const FloodRun& r : runs) {
    ly += 22;
    svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"/>)"
                       "\n"
                       R"(<text x="{}" y="{}" font-size="13">{} ({:.1f} %)</text>)"
                       "\n",
                       lx, ly - 4, lx + 24, ly - 4, colour(r.config.mode), lx + 30, ly,
                       to_string(r.config.mode), r.summary.success_pct());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace synack::flood
