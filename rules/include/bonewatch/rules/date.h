// Date: a calendar date (no time, no zone), the unit of every comparison in
// the monitoring spec ("every comparison is by calendar date").
//
// Arithmetic follows spec §1: "+ N months" is calendar-month arithmetic
// clamped to the month's last day (2025-08-31 + 6 months = 2026-02-28);
// "+ N weeks" is 7N days. Values are plain data and thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bonewatch::rules {

class Date {
 public:
  // 1970-01-01.
  constexpr Date() = default;

  // REQUIRES: a valid proleptic Gregorian date (see IsValid).
  static Date FromYmd(int year, int month, int day);  // inline, below
  // Days since 1970-01-01 (may be negative).
  static constexpr Date FromDays(int64_t days) { return Date(days); }
  // Parses exactly "YYYY-MM-DD"; nullopt for anything else or an invalid date.
  static std::optional<Date> Parse(std::string_view text);
  static bool IsValid(int year, int month, int day);

  int year() const;
  int month() const;  // 1-12
  int day() const;    // 1-31
  // All three at once (each accessor above converts the day count).
  struct Civil {
    int year;
    int month;
    int day;

    // The same as Date::AddMonths, on the civil fields: callers that derive
    // several dates from one date convert its day count once.
    Civil AddMonths(int n) const;  // inline, below
    // REQUIRES: a valid date (as FromYmd).
    Date ToDate() const { return FromYmd(year, month, day); }
  };
  Civil ToCivil() const;  // inline, below
  constexpr int64_t days() const { return days_; }

  Date AddDays(int64_t n) const { return Date(days_ + n); }
  Date AddWeeks(int64_t n) const { return Date(days_ + 7 * n); }
  // Calendar months, clamped to the last day of the target month. n may be negative.
  Date AddMonths(int n) const;  // inline, below

  // "YYYY-MM-DD".
  std::string ToString() const;

  friend constexpr auto operator<=>(const Date&, const Date&) = default;
  friend constexpr bool operator==(const Date&, const Date&) = default;

 private:
  constexpr explicit Date(int64_t days) : days_(days) {}
  int64_t days_ = 0;
};

namespace date_internal {

// The calendar conversions are defined here, inline, because dates are
// converted at every change point and for every date written: out of line,
// the three-int Civil result went through memory on each return and the
// caller stalled reading it back.

// Howard Hinnant's days_from_civil.
inline int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Howard Hinnant's civil_from_days, for any day count (date.cc).
Date::Civil CivilFromDaysReference(int64_t z);

// Cassio Neri and Lorenz Schneider's civil_from_days ("Euclidean affine
// functions and their application to calendar algorithms", 2022): the same
// result as the reference with 32-bit arithmetic and no division but by
// constants. The shift moves day 0 to 1 March of year -kShiftEras * 400, so
// that every day it is used for is non-negative.
inline constexpr int64_t kShiftEras = 82;
inline constexpr int64_t kShiftDays = 719468 + 146097 * kShiftEras;
// Outside this range the reference is used (4 * n + 3 must fit 32 bits).
inline constexpr int64_t kFastMinDays = -kShiftDays;
inline constexpr int64_t kFastMaxDays = 1'000'000'000 - kShiftDays;

inline Date::Civil CivilFromDays(int64_t z) {
  if (z < kFastMinDays || z > kFastMaxDays) return CivilFromDaysReference(z);
  const uint32_t n = static_cast<uint32_t>(z + kShiftDays);
  // Century and day of the century.
  const uint32_t n1 = 4 * n + 3;
  const uint32_t century = n1 / 146097;
  const uint32_t day_of_century = n1 % 146097 / 4;
  // Year of the century and day of the year (from 1 March).
  const uint32_t n2 = 4 * day_of_century + 3;
  const uint64_t p2 = uint64_t{2939745} * n2;
  const uint32_t year_of_century = static_cast<uint32_t>(p2 >> 32);
  const uint32_t day_of_year = static_cast<uint32_t>(p2 & 0xffffffffu) / 2939745 / 4;
  // Month (3..14) and day.
  const uint32_t n3 = 2141 * day_of_year + 197913;
  const uint32_t month = n3 >> 16;
  const uint32_t day = (n3 & 0xffffu) / 2141 + 1;
  // January and February belong to the next calendar year.
  const bool next_year = day_of_year >= 306;
  const int64_t year = static_cast<int64_t>(100 * century + year_of_century) - 400 * kShiftEras +
                       (next_year ? 1 : 0);
  return {static_cast<int>(year), static_cast<int>(next_year ? month - 12 : month),
          static_cast<int>(day)};
}

}  // namespace date_internal

inline Date Date::FromYmd(int year, int month, int day) {
  return Date(
      date_internal::DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
}

inline Date::Civil Date::ToCivil() const { return date_internal::CivilFromDays(days_); }

// Days in the month, with leap years.
int DaysInMonth(int year, int month);

inline Date::Civil Date::Civil::AddMonths(int n) const {
  const int64_t total = static_cast<int64_t>(year) * 12 + (month - 1) + n;
  const int64_t y = total >= 0 ? total / 12 : (total - 11) / 12;
  const int m = static_cast<int>(total - y * 12) + 1;
  const int last = DaysInMonth(static_cast<int>(y), m);
  return {static_cast<int>(y), m, day < last ? day : last};
}

inline Date Date::AddMonths(int n) const { return ToCivil().AddMonths(n).ToDate(); }

// Inclusive window [start, end] (spec §1: "every window [a, b] includes both ends").
struct DateWindow {
  Date start;
  Date end;
  bool Contains(Date d) const { return start <= d && d <= end; }
};

}  // namespace bonewatch::rules
