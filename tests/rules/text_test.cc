// Finding-text number formatting: the fast path gives printf's text.
#include "../../rules/src/text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace bonewatch::rules::internal {
namespace {

// The definition: "%.*f" with the first precision 0..6 that reads back.
std::string Reference(double value) {
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

TEST(FormatNumberTest, Examples) {
  EXPECT_EQ(FormatNumber(-2.7), "\u22122.7");
  EXPECT_EQ(FormatNumber(0.812), "0.812");
  EXPECT_EQ(FormatNumber(2.5), "2.5");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(30), "30");
  EXPECT_EQ(FormatNumber(1.0 / 3.0), "0.333333");
  EXPECT_EQ(FormatPercent(5.04), "5");
  EXPECT_EQ(FormatPercent(31.46), "31.5");
}

TEST(FormatNumberTest, EqualsThePrintfDefinition) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> wide(-1e6, 1e6);
  std::uniform_int_distribution<int> digits(0, 8);
  for (int i = 0; i < 200000; ++i) {
    // Values with few decimals (as lab results have) and arbitrary ones.
    const double scale = std::pow(10.0, digits(random));
    const double value = i % 2 == 0 ? std::round(wide(random) * scale) / scale : wide(random);
    ASSERT_EQ(FormatNumber(value), Reference(value)) << value;
  }
  for (const double value :
       {0.0, 1e-7, -1e-7, 0.5, 1.5, 0.0000005, 999999.9999995, 1e15, -1e15, 1e16 + 2, 1e22,
        123456789012345.6, 0.1 + 0.2, std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    EXPECT_EQ(FormatNumber(value), Reference(value)) << value;
  }
}

}  // namespace
}  // namespace bonewatch::rules::internal
