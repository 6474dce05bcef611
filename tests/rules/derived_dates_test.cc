// The engine computes some dates without Date::AddMonths on its hot path;
// each must equal the spec's definition in terms of AddMonths.
#include <gtest/gtest.h>

#include "../../rules/src/timeline.h"

namespace bonewatch::rules::internal {
namespace {

// Whole years at `at`: the number of birthdays (birth + 12N months, clamped)
// on or before it. This is spec §1's month arithmetic taken literally.
int AgeByDefinition(Date birth, Date at) {
  if (at < birth) return -1;
  int years = at.year() - birth.year();
  if (birth.AddMonths(12 * years) > at) --years;
  return years;
}

TEST(DerivedDatesTest, AgeInYearsEqualsTheBirthdayDefinition) {
  // Births on every day of 1947-1949 and 1951-1953 (29 February 1948 and
  // 1952 included), evaluated on a spread of days including every leap day
  // and month end of 2019-2026.
  for (int base : {1947, 1951}) {
    const Date first = Date::FromYmd(base, 1, 1);
    for (int b = 0; b < 3 * 366; ++b) {
      const Date birth = first.AddDays(b);
      for (Date at = Date::FromYmd(2019, 1, 1); at <= Date::FromYmd(2026, 12, 31);
           at = at.AddDays(at.day() >= 27 ? 1 : 5)) {
        ASSERT_EQ(AgeInYears(birth, at), AgeByDefinition(birth, at))
            << birth.ToString() << " at " << at.ToString();
      }
    }
  }
}

TEST(DerivedDatesTest, AgeBeforeBirthIsMinusOne) {
  EXPECT_EQ(AgeInYears(Date::FromYmd(2000, 5, 1), Date::FromYmd(2000, 4, 30)), -1);
  EXPECT_EQ(AgeInYears(Date::FromYmd(2000, 5, 1), Date::FromYmd(2000, 5, 1)), 0);
}

TEST(DerivedDatesTest, CivilFieldsEqualTheAccessors) {
  for (Date d = Date::FromYmd(1899, 12, 1); d <= Date::FromYmd(2101, 3, 1); d = d.AddDays(7)) {
    const Date::Civil c = d.ToCivil();
    ASSERT_EQ(c.year, d.year());
    ASSERT_EQ(c.month, d.month());
    ASSERT_EQ(c.day, d.day());
  }
}

}  // namespace
}  // namespace bonewatch::rules::internal
