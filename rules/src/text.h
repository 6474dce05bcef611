// Text helpers for finding sentences (decision: one sentence naming the
// values and dates; negative numbers use U+2212 as in the spec's example).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/rules/model.h"

namespace bonewatch::rules::internal {

// Fewest decimals (up to 6) that show the value: -2.7 -> "−2.7", 0.812 -> "0.812".
std::string FormatNumber(double value);
// A percentage rounded to one decimal: 5.04 -> "5", 31.46 -> "31.5".
std::string FormatPercent(double percent);
// "total hip" for a site; "" for Site::kNone.
std::string SiteText(Site site);
// The parts joined, in one allocation (sentences are built for every finding).
std::string Concat(std::initializer_list<std::string_view> parts);
// "a, b and c".
std::string JoinList(const std::vector<std::string>& items);

}  // namespace bonewatch::rules::internal
