#pragma once
// The --impair argument: a phy::LinkParams spec plus the injector's seed,
// e.g. "loss=2%,dup=1%,reorder=25%,delay=50ms,seed=7".
#include <cstdint>
#include <optional>
#include <string>

#include "phy/link_params.hpp"

namespace synack::tools {

struct ImpairSpec {
  phy::LinkParams link;
  std::uint64_t seed = 1;
  static std::optional<ImpairSpec> parse(const std::string& text, std::string* error);
};

}  // namespace synack::tools
