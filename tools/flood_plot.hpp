#pragma once
// The flood lab's picture: an SVG with two panels sharing the time axis --
// legitimate connection success rate (%) and SynQueue occupancy -- one line
// per SYN cookie mode, with axes, ticks, labels and a legend.
#include <string>
#include <vector>

#include "flood_lab.hpp"

namespace synack::flood {

std::string flood_plot_svg(const std::vector<FloodRun>& runs);

}  // namespace synack::flood
