// Reading Prometheus text exposition in tests: the sum of a metric's series.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>

namespace bonewatch::testing {

// The sum of the series of metric `name` in Prometheus text `text` whose label text contains
// `label_filter` (all of them when it is empty), e.g. `type="Flag",result="created"`.
inline double MetricValue(const std::string& text, const std::string& name,
                          const std::string& label_filter = "") {
  std::istringstream lines(text);
  std::string line;
  double total = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    if (series != name && series.rfind(name + "{", 0) != 0) continue;
    if (!label_filter.empty() && series.find(label_filter) == std::string::npos) continue;
    total += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return total;
}

}  // namespace bonewatch::testing
