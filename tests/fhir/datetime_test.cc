#include "bonewatch/fhir/datetime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bonewatch::fhir {
namespace {

enum class Kind { kDate, kDateTime, kInstant };

StatusOr<DateTime> ParseAs(Kind kind, std::string_view text) {
  switch (kind) {
    case Kind::kDate:
      return DateTime::ParseDate(text);
    case Kind::kDateTime:
      return DateTime::ParseDateTime(text);
    case Kind::kInstant:
      return DateTime::ParseInstant(text);
  }
  return InternalError("unreachable");
}

struct ValidCase {
  std::string name;
  Kind kind;
  std::string text;
  DateTimePrecision precision;
  std::string utc_local_date;  // ToLocalDate(0)
};

class DateTimeValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(DateTimeValidTest, ParsesKeepsPrecisionAndRoundTrips) {
  const ValidCase& c = GetParam();
  auto dt = ParseAs(c.kind, c.text);
  ASSERT_TRUE(dt.ok()) << dt.status().ToString();
  EXPECT_EQ(dt->precision, c.precision);
  EXPECT_EQ(dt->ToString(), c.text);
  EXPECT_EQ(dt->ToLocalDate(0).ToString(), c.utc_local_date);
}

using P = DateTimePrecision;
INSTANTIATE_TEST_SUITE_P(
    Cases, DateTimeValidTest,
    ::testing::Values(
        ValidCase{"YearOnly", Kind::kDateTime, "2024", P::kYear, "2024-01-01"},
        ValidCase{"YearMonth", Kind::kDateTime, "2024-03", P::kMonth, "2024-03-01"},
        ValidCase{"FullDate", Kind::kDate, "2024-03-05", P::kDay, "2024-03-05"},
        ValidCase{"DatePartialYear", Kind::kDate, "1999", P::kYear, "1999-01-01"},
        ValidCase{"LeapDay2024", Kind::kDate, "2024-02-29", P::kDay, "2024-02-29"},
        ValidCase{"LeapDay2000", Kind::kDate, "2000-02-29", P::kDay, "2000-02-29"},
        ValidCase{"Year0001", Kind::kDate, "0001-01-01", P::kDay, "0001-01-01"},
        ValidCase{"UtcZ", Kind::kDateTime, "2024-03-05T10:20:30Z", P::kSecond, "2024-03-05"},
        ValidCase{"FractionMillis", Kind::kDateTime, "2024-03-05T10:20:30.123Z", P::kSecond,
                  "2024-03-05"},
        ValidCase{"FractionLong", Kind::kInstant, "2024-03-05T10:20:30.123456789+01:00", P::kSecond,
                  "2024-03-05"},
        ValidCase{"PlusFourteen", Kind::kDateTime, "2024-03-05T08:00:00+14:00", P::kSecond,
                  "2024-03-04"},
        ValidCase{"MinusTwelve", Kind::kDateTime, "2024-03-05T13:00:00-12:00", P::kSecond,
                  "2024-03-06"},
        ValidCase{"HalfHourOffset", Kind::kDateTime, "2024-03-05T01:00:00+05:30", P::kSecond,
                  "2024-03-04"},
        ValidCase{"LeapSecond", Kind::kInstant, "2016-12-31T23:59:60Z", P::kSecond, "2017-01-01"},
        ValidCase{"NewYearMinusOffset", Kind::kInstant, "2024-12-31T23:30:00-01:00", P::kSecond,
                  "2025-01-01"}),
    [](const auto& p) { return p.param.name; });

struct InvalidCase {
  std::string name;
  Kind kind;
  std::string text;
  std::string reason;
};

class DateTimeInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(DateTimeInvalidTest, Rejects) {
  const InvalidCase& c = GetParam();
  auto dt = ParseAs(c.kind, c.text);
  ASSERT_FALSE(dt.ok()) << dt->ToString();
  EXPECT_EQ(dt.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dt.status().message(), ::testing::HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DateTimeInvalidTest,
    ::testing::Values(
        InvalidCase{"Empty", Kind::kDateTime, "", "four-digit year"},
        InvalidCase{"NotLeap2023", Kind::kDate, "2023-02-29", "day out of range"},
        InvalidCase{"NotLeap1900", Kind::kDate, "1900-02-29", "day out of range"},
        InvalidCase{"Month13", Kind::kDateTime, "2024-13", "month out of range"},
        InvalidCase{"Month00", Kind::kDateTime, "2024-00-10", "month out of range"},
        InvalidCase{"Day00", Kind::kDate, "2024-01-00", "day out of range"},
        InvalidCase{"April31", Kind::kDate, "2024-04-31", "day out of range"},
        InvalidCase{"Year0000", Kind::kDate, "0000", "year 0000"},
        InvalidCase{"TwoDigitYear", Kind::kDate, "24-01-01", "four-digit year"},
        InvalidCase{"SingleDigitMonth", Kind::kDate, "2024-3-05", "-MM"},
        InvalidCase{"Hour24", Kind::kDateTime, "2024-03-05T24:00:00Z", "hour out of range"},
        InvalidCase{"Minute60", Kind::kDateTime, "2024-03-05T10:60:00Z", "minute out of range"},
        InvalidCase{"Second61", Kind::kDateTime, "2024-03-05T10:00:61Z", "second out of range"},
        InvalidCase{"TimeWithoutOffset", Kind::kDateTime, "2024-03-05T10:20:30",
                    "needs a time zone offset"},
        InvalidCase{"TimeWithoutSeconds", Kind::kDateTime, "2024-03-05T10:20Z", "hh:mm:ss"},
        InvalidCase{"Offset1401", Kind::kDateTime, "2024-03-05T10:20:30+14:01",
                    "offset out of range"},
        InvalidCase{"Offset15", Kind::kDateTime, "2024-03-05T10:20:30-15:00",
                    "offset out of range"},
        InvalidCase{"OffsetNoColon", Kind::kDateTime, "2024-03-05T10:20:30+0100", "+hh:mm"},
        InvalidCase{"EmptyFraction", Kind::kDateTime, "2024-03-05T10:20:30.Z", "digits after"},
        InvalidCase{"SpaceSeparator", Kind::kDateTime, "2024-03-05 10:20:30Z", "expected T"},
        InvalidCase{"TrailingJunk", Kind::kDateTime, "2024-03-05T10:20:30Zx", "unexpected"},
        InvalidCase{"DateWithTime", Kind::kDate, "2024-03-05T10:20:30Z", "no time part"},
        InvalidCase{"InstantDateOnly", Kind::kInstant, "2024-03-05", "needs a time"},
        InvalidCase{"InstantYearOnly", Kind::kInstant, "2024", "full date and time"},
        InvalidCase{"InstantNoOffset", Kind::kInstant, "2024-03-05T10:20:30.000",
                    "time zone offset"}),
    [](const auto& p) { return p.param.name; });

struct LocalDateCase {
  std::string name;
  std::string text;
  int offset_minutes;
  std::string expected;
};

class DateTimeLocalDateTest : public ::testing::TestWithParam<LocalDateCase> {};

TEST_P(DateTimeLocalDateTest, ConvertsToCalendarDateInZone) {
  const LocalDateCase& c = GetParam();
  auto dt = DateTime::ParseDateTime(c.text);
  ASSERT_TRUE(dt.ok()) << dt.status().ToString();
  EXPECT_EQ(dt->ToLocalDate(c.offset_minutes).ToString(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DateTimeLocalDateTest,
    ::testing::Values(
        LocalDateCase{"SameZone", "2024-03-05T23:59:59+01:00", 60, "2024-03-05"},
        LocalDateCase{"UtcLateEveningToBerlinNextDay", "2024-03-05T23:30:00Z", 60, "2024-03-06"},
        LocalDateCase{"UtcEarlyToNewYorkPreviousDay", "2024-03-05T03:00:00Z", -300, "2024-03-04"},
        LocalDateCase{"DateLineWestToKiribatiTwoDaysLater", "2024-03-05T23:30:00-12:00", 840,
                      "2024-03-07"},
        LocalDateCase{"KiribatiToBakerIslandTwoDaysEarlier", "2024-03-05T00:30:00+14:00", -720,
                      "2024-03-03"},
        LocalDateCase{"LeapDayReachedFromMarchFirst", "2024-03-01T02:00:00+03:00", 0, "2024-02-29"},
        LocalDateCase{"NonLeapFebruaryEnd", "2023-03-01T02:00:00+03:00", 0, "2023-02-28"},
        LocalDateCase{"DateOnlyIsNotShifted", "2024-03-05", -720, "2024-03-05"},
        LocalDateCase{"PartialMonthTakesFirstDay", "2024-03", 840, "2024-03-01"},
        LocalDateCase{"PartialYearTakesFirstDay", "2024", -300, "2024-01-01"},
        LocalDateCase{"ExactMidnightBoundary", "2024-03-05T00:00:00.000+01:00", 0, "2024-03-04"}),
    [](const auto& p) { return p.param.name; });

TEST(DateTimeEpochTest, InstantToEpochMillisAndBack) {
  auto dt = DateTime::ParseInstant("2026-11-27T07:55:00.5+01:00");
  ASSERT_TRUE(dt.ok());
  EXPECT_EQ(dt->millisecond(), 500);
  const int64_t ms = dt->ToEpochMillis();
  EXPECT_EQ(FormatInstant(ms), "2026-11-27T06:55:00.500Z");
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatInstant(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(DateTime::FromEpochMillis(ms).ToEpochMillis(), ms);
}

TEST(DateTimeEpochTest, DateOnlyUsesGivenOffset) {
  auto dt = DateTime::ParseDate("2024-03-05");
  ASSERT_TRUE(dt.ok());
  EXPECT_EQ(FormatInstant(dt->ToEpochMillis()), "2024-03-05T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(dt->ToEpochMillis(60)), "2024-03-04T23:00:00.000Z");
}

TEST(DateTimeEpochTest, FractionTruncatesToMillis) {
  auto dt = DateTime::ParseInstant("2024-01-01T00:00:00.9999Z");
  ASSERT_TRUE(dt.ok());
  EXPECT_EQ(dt->millisecond(), 999);
  EXPECT_EQ(dt->fraction, "9999");
}

TEST(CalendarTest, DaysRoundTripAcrossCenturies) {
  for (int64_t d = -800'000; d <= 800'000; d += 997) {
    LocalDate ld = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(ld.year, ld.month, ld.day), d);
  }
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
}

}  // namespace
}  // namespace bonewatch::fhir
