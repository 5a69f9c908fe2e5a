#pragma once
// A console reporter that remembers each benchmark's "Gbit" counter as
// shown, so a benchmark program can print ratios (to memcpy, to Linux) at
// the end of the same run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace synack::bench {

class RateReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (the default reporter reads --benchmark_color;
  // a custom one must choose itself).
  RateReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("Gbit");
      if (r.run_type == Run::RT_Iteration && !r.error_occurred && it != r.counters.end())
        rates_[r.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, double>& rates() const { return rates_; }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace synack::bench
