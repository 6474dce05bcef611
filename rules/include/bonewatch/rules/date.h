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
  static Date FromYmd(int year, int month, int day);
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
  };
  Civil ToCivil() const;
  constexpr int64_t days() const { return days_; }

  Date AddDays(int64_t n) const { return Date(days_ + n); }
  Date AddWeeks(int64_t n) const { return Date(days_ + 7 * n); }
  // Calendar months, clamped to the last day of the target month. n may be negative.
  Date AddMonths(int n) const;

  // "YYYY-MM-DD".
  std::string ToString() const;

  friend constexpr auto operator<=>(const Date&, const Date&) = default;
  friend constexpr bool operator==(const Date&, const Date&) = default;

 private:
  constexpr explicit Date(int64_t days) : days_(days) {}
  int64_t days_ = 0;
};

// Days in the month, with leap years.
int DaysInMonth(int year, int month);

// Inclusive window [start, end] (spec §1: "every window [a, b] includes both ends").
struct DateWindow {
  Date start;
  Date end;
  bool Contains(Date d) const { return start <= d && d <= end; }
};

}  // namespace bonewatch::rules
