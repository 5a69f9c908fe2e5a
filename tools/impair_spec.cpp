#include "impair_spec.hpp"

#include <set>
#include <string_view>

#include "cli_checks.hpp"

namespace synack::tools {

std::optional<ImpairSpec> ImpairSpec::parse(const std::string& text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ImpairSpec> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  // Stricter than LinkParams::parse: no empty spec, no empty item, no key
  // twice (aliases included), so a typo cannot silently mean something else.
  if (text.empty()) return fail("empty spec: expected key=value items like loss=2%,delay=50ms");
  ImpairSpec out;
  std::string link_spec;
  std::set<std::string> seen;
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_not_of(" \t") == std::string::npos)
      return fail("empty item in '" + text + "'");
    std::size_t eq = item.find('=');
    if (eq == std::string::npos) {
      if (text == "none") break;  // LinkParams' name for "no impairment"
      return fail("item '" + item + "': expected key=value");
    }
    std::string key = item.substr(0, eq);
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    std::string canonical = key == "duplicate" ? "dup" : key == "queue_limit" ? "queue" : key;
    if (!seen.insert(canonical).second) return fail("key '" + key + "' given twice");
    if (key == "seed") {
      std::string why;
      auto seed = parse_u64(std::string_view(item).substr(eq + 1), UINT64_MAX, &why);
      if (!seed) return fail("bad seed '" + item.substr(eq + 1) + "': " + why);
      out.seed = *seed;
    } else {
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
