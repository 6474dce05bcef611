#include "text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bonewatch::rules::internal {

std::string FormatNumber(double value) {
  char buf[64];
  for (int decimals = 0; decimals <= 6; ++decimals) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string text = buf;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  if (!text.empty() && text[0] == '-') text = "\u2212" + text.substr(1);
  return text;
}

std::string FormatPercent(double percent) {
  return FormatNumber(std::round(percent * 10.0) / 10.0);
}

std::string SiteText(Site site) { return std::string(SiteDisplay(site)); }

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace bonewatch::rules::internal
