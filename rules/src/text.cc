#include "text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace bonewatch::rules::internal {

namespace {

// The fewest-decimals text of `value` by printf and strtod: "%.*f" with the
// first precision (0..6) that reads back as `value`, else "%.6f".
std::string FewestDecimalsByPrintf(double value) {
  char buf[64];
  for (int decimals = 0; decimals <= 6; ++decimals) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

// The same text without printf for ordinary values: the shortest fixed
// notation that round-trips has the fewest decimals that do, correctly
// rounded, so it equals the printf loop's text whenever it has at most 6
// decimals. Below 1e15 its integer digits are exact, as printf's are.
std::string FewestDecimals(double value) {
  if (!(std::fabs(value) < 1e15)) return FewestDecimalsByPrintf(value);
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  if (ec != std::errc()) return FewestDecimalsByPrintf(value);
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  const size_t point = text.find('.');
  if (point != std::string_view::npos && text.size() - point - 1 > 6) {
    return FewestDecimalsByPrintf(value);
  }
  return std::string(text);
}

}  // namespace

std::string FormatNumber(double value) {
  std::string text = FewestDecimals(value);
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

std::string Concat(std::initializer_list<std::string_view> parts) {
  size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (std::string_view part : parts) out += part;
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace bonewatch::rules::internal
