#include "impair_spec.hpp"

#include <charconv>

namespace synack::tools {

std::optional<ImpairSpec> ImpairSpec::parse(const std::string& text, std::string* error) {
  ImpairSpec out;
  std::string link_spec;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.rfind("seed=", 0) == 0) {
      std::string v = item.substr(5);
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out.seed);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
        if (error) *error = "bad seed '" + v + "': expected a whole number";
        return std::nullopt;
      }
    } else if (!item.empty()) {
      link_spec += (link_spec.empty() ? "" : ",") + item;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  auto link = phy::LinkParams::parse(link_spec, error);
  if (!link) return std::nullopt;
  out.link = *link;
  return out;
}

}  // namespace synack::tools
