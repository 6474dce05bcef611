// Calendar arithmetic of spec §1: clamped months, weeks, leap years, windows.
#include "bonewatch/rules/date.h"

#include <gtest/gtest.h>

#include <string>

namespace bonewatch::rules {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

struct AddMonthsRow {
  const char* from;
  int months;
  const char* expected;
};

class AddMonthsTest : public ::testing::TestWithParam<AddMonthsRow> {};

TEST_P(AddMonthsTest, ClampsToMonthEnd) {
  const AddMonthsRow& row = GetParam();
  EXPECT_EQ(D(row.from).AddMonths(row.months).ToString(), row.expected)
      << row.from << " + " << row.months << " months";
  EXPECT_EQ(D(row.from).ToCivil().AddMonths(row.months).ToDate().ToString(), row.expected)
      << row.from << " + " << row.months << " months, on the civil date";
}

INSTANTIATE_TEST_SUITE_P(
    Table, AddMonthsTest,
    ::testing::Values(
        AddMonthsRow{"2025-08-31", 6, "2026-02-28"},  // the spec's example
        AddMonthsRow{"2023-08-31", 6, "2024-02-29"},  // leap year
        AddMonthsRow{"2024-01-31", 1, "2024-02-29"}, AddMonthsRow{"2023-01-31", 1, "2023-02-28"},
        AddMonthsRow{"2025-01-30", 1, "2025-02-28"}, AddMonthsRow{"2025-03-31", 1, "2025-04-30"},
        AddMonthsRow{"2025-01-10", 3, "2025-04-10"}, AddMonthsRow{"2025-11-15", 2, "2026-01-15"},
        AddMonthsRow{"2024-02-29", 12, "2025-02-28"}, AddMonthsRow{"2024-02-29", 48, "2028-02-29"},
        AddMonthsRow{"1900-01-31", 1, "1900-02-28"},  // not a leap year
        AddMonthsRow{"2000-01-31", 1, "2000-02-29"},  // leap (divisible by 400)
        AddMonthsRow{"2025-03-31", -1, "2025-02-28"}, AddMonthsRow{"2025-01-15", -1, "2024-12-15"},
        AddMonthsRow{"2025-01-15", -13, "2023-12-15"},
        AddMonthsRow{"2025-01-10", -12, "2024-01-10"}, AddMonthsRow{"2024-05-31", -3, "2024-02-29"},
        AddMonthsRow{"2025-06-15", 0, "2025-06-15"}));

TEST(DateTest, AddWeeksIsSevenDays) {
  EXPECT_EQ(D("2025-07-10").AddWeeks(4).ToString(), "2025-08-07");
  EXPECT_EQ(D("2025-12-25").AddWeeks(1).ToString(), "2026-01-01");
  EXPECT_EQ(D("2024-02-22").AddWeeks(1).ToString(), "2024-02-29");
  EXPECT_EQ(D("2025-01-08").AddWeeks(-1).ToString(), "2025-01-01");
}

TEST(DateTest, AddDaysAcrossYearAndLeapDay) {
  EXPECT_EQ(D("2024-02-28").AddDays(1).ToString(), "2024-02-29");
  EXPECT_EQ(D("2025-02-28").AddDays(1).ToString(), "2025-03-01");
  EXPECT_EQ(D("2025-12-31").AddDays(1).ToString(), "2026-01-01");
  EXPECT_EQ(D("2025-03-01").AddDays(-1).ToString(), "2025-02-28");
}

TEST(DateTest, ParseRejectsAnythingButValidYmd) {
  EXPECT_TRUE(Date::Parse("2024-02-29").has_value());
  for (const char* bad : {"2025-02-29", "2025-13-01", "2025-00-10", "2025-01-32", "2025-1-01",
                          "2025/01/01", "20250101", "", "2025-01-01T00:00:00", "abcd-ef-gh"}) {
    EXPECT_FALSE(Date::Parse(bad).has_value()) << bad;
  }
}

TEST(DateTest, RoundTripsAndOrders) {
  const Date a = D("1969-12-31");
  EXPECT_EQ(a.days(), -1);
  EXPECT_EQ(a.ToString(), "1969-12-31");
  EXPECT_EQ(Date::FromYmd(2025, 8, 31).ToString(), "2025-08-31");
  EXPECT_EQ(D("2025-08-31").year(), 2025);
  EXPECT_EQ(D("2025-08-31").month(), 8);
  EXPECT_EQ(D("2025-08-31").day(), 31);
  EXPECT_LT(D("2025-01-01"), D("2025-01-02"));
  EXPECT_EQ(Date::FromDays(D("2025-06-01").days()), D("2025-06-01"));
}

TEST(DateTest, ToStringPadsEveryFieldAtTheEdgesOfTheRange) {
  EXPECT_EQ(Date::FromYmd(1, 1, 1).ToString(), "0001-01-01");
  EXPECT_EQ(Date::FromYmd(999, 9, 9).ToString(), "0999-09-09");
  EXPECT_EQ(Date::FromYmd(9999, 12, 31).ToString(), "9999-12-31");
  EXPECT_EQ(Date::FromYmd(2000, 10, 10).ToString(), "2000-10-10");
  // Outside 0000-9999 (reachable only by date arithmetic) the old printf form stays.
  EXPECT_EQ(Date::FromYmd(9999, 12, 31).AddDays(1).ToString(), "10000-01-01");
  EXPECT_EQ(Date::FromYmd(1, 1, 1).AddDays(-367).ToString(), "-001-12-31");
}

// The conversion from a day count to year, month and day takes a fast path
// for the usual range and the straightforward algorithm outside it: both
// must agree with counting days from 0001-01-01, day by day, far beyond the
// dates a record can hold, and across the edges of the fast path.
TEST(DateTest, CivilConversionCountsEveryDay) {
  const auto check_run = [](Date first, int64_t count) {
    Date::Civil expected = first.ToCivil();
    for (int64_t k = 0; k < count; ++k) {
      const Date d = first.AddDays(k);
      const Date::Civil got = d.ToCivil();
      ASSERT_TRUE(got.year == expected.year && got.month == expected.month &&
                  got.day == expected.day)
          << "days " << d.days() << ": " << got.year << "-" << got.month << "-" << got.day;
      ASSERT_EQ(Date::FromYmd(got.year, got.month, got.day), d) << d.days();
      // The next day.
      if (++expected.day > DaysInMonth(expected.year, expected.month)) {
        expected.day = 1;
        if (++expected.month > 12) {
          expected.month = 1;
          ++expected.year;
        }
      }
    }
  };
  check_run(Date::FromYmd(1, 1, 1),
            Date::FromYmd(10000, 1, 1).days() - Date::FromYmd(1, 1, 1).days());
  // Years -32800 (the fast path's first day is 1 March -32800) and about 2,700,000.
  const Date fast_first = Date::FromYmd(2000, 3, 1).AddDays(-146097LL * 87);
  EXPECT_EQ(fast_first.days(), -12699422);
  check_run(fast_first.AddDays(-800), 1600);
  check_run(Date::FromDays(1'000'000'000 - 12699422 - 800), 1600);
}

TEST(DateTest, DaysInMonth) {
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2025, 2), 28);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(2025, 4), 30);
  EXPECT_EQ(DaysInMonth(2025, 12), 31);
}

TEST(DateTest, WindowIncludesBothEnds) {
  const DateWindow w{D("2025-03-10"), D("2025-07-10")};
  EXPECT_FALSE(w.Contains(D("2025-03-09")));
  EXPECT_TRUE(w.Contains(D("2025-03-10")));
  EXPECT_TRUE(w.Contains(D("2025-05-01")));
  EXPECT_TRUE(w.Contains(D("2025-07-10")));
  EXPECT_FALSE(w.Contains(D("2025-07-11")));
}

}  // namespace
}  // namespace bonewatch::rules
