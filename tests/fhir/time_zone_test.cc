#include "bonewatch/fhir/time_zone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

// Europe/Berlin in 2026: CET (+01:00) until 2026-03-29T01:00:00Z, then CEST
// (+02:00) until 2026-10-25T01:00:00Z, then CET again.
struct ZoneCase {
  std::string name;
  std::string zone;  // an IANA name, or "" for the fixed offset below
  int fixed_offset_minutes;
  std::string text;  // a FHIR dateTime
  std::string expected_date;
  int expected_offset_minutes;
};

TimeZone MakeZone(const ZoneCase& c) {
  if (c.zone.empty()) return TimeZone::FixedOffset(c.fixed_offset_minutes);
  StatusOr<TimeZone> zone = TimeZone::Named(c.zone);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return zone.ok() ? *zone : TimeZone();
}

class TimeZoneDateTest : public ::testing::TestWithParam<ZoneCase> {};

TEST_P(TimeZoneDateTest, GivesTheCalendarDateAtTheInstantsOwnOffset) {
  const ZoneCase& c = GetParam();
  const TimeZone zone = MakeZone(c);
  StatusOr<DateTime> value = DateTime::ParseDateTime(c.text);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(zone.LocalDateOf(*value).ToString(), c.expected_date);
  if (value->has_time()) {
    EXPECT_EQ(zone.OffsetMinutesAt(value->ToEpochMillis()), c.expected_offset_minutes);
  }
}

constexpr int kCet = 60;
constexpr int kCest = 120;

INSTANTIATE_TEST_SUITE_P(
    EuropeBerlin2026, TimeZoneDateTest,
    ::testing::Values(
        // Summer: 22:30Z is 00:30 CEST the next day; a fixed +01:00 says 23:30 the same day.
        ZoneCase{"SummerUtcAfterLocalMidnight", "Europe/Berlin", 0, "2026-06-30T22:30:00Z",
                 "2026-07-01", kCest},
        ZoneCase{"SummerUtcAfterLocalMidnightFixedOffset", "", kCet, "2026-06-30T22:30:00Z",
                 "2026-06-30", kCet},
        ZoneCase{"SummerLocalLateEvening", "Europe/Berlin", 0, "2026-07-01T23:30:00+02:00",
                 "2026-07-01", kCest},
        ZoneCase{"SummerLocalLateEveningFixedOffset", "", kCet, "2026-07-01T23:30:00+02:00",
                 "2026-07-01", kCet},
        ZoneCase{"SummerUtcJustBeforeLocalMidnight", "Europe/Berlin", 0, "2026-06-30T21:59:59Z",
                 "2026-06-30", kCest},
        // Winter: 23:30Z is 00:30 CET the next day.
        ZoneCase{"WinterUtcAfterLocalMidnight", "Europe/Berlin", 0, "2026-01-10T23:30:00Z",
                 "2026-01-11", kCet},
        ZoneCase{"WinterUtcBeforeLocalMidnight", "Europe/Berlin", 0, "2026-01-10T22:59:59Z",
                 "2026-01-10", kCet},
        ZoneCase{"WinterWrittenInNewYork", "Europe/Berlin", 0, "2026-01-10T18:30:00-05:00",
                 "2026-01-11", kCet},
        // Spring forward, 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z).
        ZoneCase{"SpringLastSecondOfCet", "Europe/Berlin", 0, "2026-03-29T00:59:59Z", "2026-03-29",
                 kCet},
        ZoneCase{"SpringExactlyAtTransition", "Europe/Berlin", 0, "2026-03-29T01:00:00Z",
                 "2026-03-29", kCest},
        ZoneCase{"SpringEveBeforeLocalMidnight", "Europe/Berlin", 0, "2026-03-28T22:59:59Z",
                 "2026-03-28", kCet},
        ZoneCase{"SpringEveLocalMidnight", "Europe/Berlin", 0, "2026-03-28T23:00:00Z", "2026-03-29",
                 kCet},
        // The first evening in summer time: 22:00Z is already the next day.
        ZoneCase{"SpringFirstCestMidnight", "Europe/Berlin", 0, "2026-03-29T22:00:00Z",
                 "2026-03-30", kCest},
        ZoneCase{"SpringFirstCestMidnightFixedOffset", "", kCet, "2026-03-29T22:00:00Z",
                 "2026-03-29", kCet},
        // Fall back, 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
        ZoneCase{"FallLastSecondOfCest", "Europe/Berlin", 0, "2026-10-25T00:59:59Z", "2026-10-25",
                 kCest},
        ZoneCase{"FallExactlyAtTransition", "Europe/Berlin", 0, "2026-10-25T01:00:00Z",
                 "2026-10-25", kCet},
        ZoneCase{"FallEveLocalMidnightIsStillCest", "Europe/Berlin", 0, "2026-10-24T22:00:00Z",
                 "2026-10-25", kCest},
        ZoneCase{"FallEveBeforeLocalMidnight", "Europe/Berlin", 0, "2026-10-24T21:59:59Z",
                 "2026-10-24", kCest},
        // The first evening in winter time: 22:30Z is still the same day, 23:00Z the next.
        ZoneCase{"FallFirstCetEvening", "Europe/Berlin", 0, "2026-10-25T22:30:00Z", "2026-10-25",
                 kCet},
        ZoneCase{"FallFirstCetMidnight", "Europe/Berlin", 0, "2026-10-25T23:00:00Z", "2026-10-26",
                 kCet},
        // The repeated hour 02:00-03:00 local: both instants are on 10-25.
        ZoneCase{"FallRepeatedHourFirstPass", "Europe/Berlin", 0, "2026-10-25T02:30:00+02:00",
                 "2026-10-25", kCest},
        ZoneCase{"FallRepeatedHourSecondPass", "Europe/Berlin", 0, "2026-10-25T02:30:00+01:00",
                 "2026-10-25", kCet},
        // Dates without a time are calendar dates already and are never shifted.
        ZoneCase{"DateOnlyUnaffected", "Europe/Berlin", 0, "2026-07-01", "2026-07-01", 0},
        ZoneCase{"DateOnlyOnTransitionDay", "Europe/Berlin", 0, "2026-03-29", "2026-03-29", 0},
        ZoneCase{"PartialMonthFirstDay", "Europe/Berlin", 0, "2026-10", "2026-10-01", 0},
        ZoneCase{"PartialYearFirstDay", "America/New_York", 0, "2026", "2026-01-01", 0},
        // Other zones: south of the equator, half-hour offsets, and far future instants.
        ZoneCase{"SydneySummerInJanuary", "Australia/Sydney", 0, "2026-01-10T13:30:00Z",
                 "2026-01-11", 660},
        ZoneCase{"KolkataHalfHour", "Asia/Kolkata", 0, "2026-01-10T18:45:00Z", "2026-01-11", 330},
        ZoneCase{"NewYorkSummer", "America/New_York", 0, "2026-07-02T03:30:00Z", "2026-07-01",
                 -240},
        ZoneCase{"BerlinSummer2037", "Europe/Berlin", 0, "2037-06-30T22:30:00Z", "2037-07-01",
                 kCest},
        ZoneCase{"UtcByName", "UTC", 0, "2026-06-30T23:59:59+00:00", "2026-06-30", 0}),
    [](const auto& p) { return p.param.name; });

TEST(TimeZoneTest, DefaultIsUtc) {
  const TimeZone zone;
  EXPECT_FALSE(zone.is_named());
  EXPECT_EQ(zone.Name(), "+00:00");
  EXPECT_EQ(zone.LocalDateAt(int64_t{-1}).ToString(), "1969-12-31");
  EXPECT_EQ(zone.LocalDateAt(int64_t{0}).ToString(), "1970-01-01");
}

TEST(TimeZoneTest, NamesItself) {
  EXPECT_EQ(TimeZone::FixedOffset(-330).Name(), "-05:30");
  EXPECT_EQ(TimeZone::FixedOffset(60).Name(), "+01:00");
  StatusOr<TimeZone> berlin = TimeZone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status().ToString();
  EXPECT_TRUE(berlin->is_named());
  EXPECT_EQ(berlin->Name(), "Europe/Berlin");
}

TEST(TimeZoneTest, UnknownNamesAreNotFoundAndNameTheZone) {
  for (const std::string name :
       {"Europe/Atlantis", "europe/berlin", "", "+01:00", "../../etc/passwd", "Europe/"}) {
    StatusOr<TimeZone> zone = TimeZone::Named(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().code(), StatusCode::kNotFound) << zone.status().ToString();
    if (!name.empty()) {
      EXPECT_THAT(zone.status().message(), HasSubstr("'" + name + "'"));
    }
  }
}

TEST(TimeZoneTest, ParseTakesAnOffsetOrAName) {
  EXPECT_EQ(TimeZone::Parse("Z")->Name(), "+00:00");
  EXPECT_EQ(TimeZone::Parse("-05:30")->Name(), "-05:30");
  EXPECT_EQ(TimeZone::Parse("+14:00")->Name(), "+14:00");
  EXPECT_EQ(TimeZone::Parse("Europe/Berlin")->Name(), "Europe/Berlin");
  for (const char* bad : {"+15:00", "+01", "+1:00", "-00:60", "+ab:cd"}) {
    EXPECT_EQ(TimeZone::Parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(TimeZone::Parse("Mars/Olympus").status().code(), StatusCode::kNotFound);
}

TEST(TimeZoneTest, ClockInstantsUseTheOffsetAtThatInstant) {
  StatusOr<TimeZone> berlin = TimeZone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status().ToString();
  using std::chrono::sys_days;
  using namespace std::chrono_literals;
  const auto summer = sys_days(std::chrono::year{2026} / 6 / 30) + 22h + 30min;
  const auto winter = sys_days(std::chrono::year{2026} / 1 / 10) + 22h + 30min;
  EXPECT_EQ(berlin->LocalDateAt(std::chrono::system_clock::time_point(summer)).ToString(),
            "2026-07-01");
  EXPECT_EQ(berlin->LocalDateAt(std::chrono::system_clock::time_point(winter)).ToString(),
            "2026-01-10");
}

}  // namespace
}  // namespace bonewatch::fhir
