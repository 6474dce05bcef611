// FHIR R4 date, dateTime and instant values.
//
// Purpose: parse the three FHIR temporal primitives exactly as the R4 regexes
// allow (partial dates "2024" / "2024-03" / "2024-03-05"; a time always with
// seconds and a "Z" or "+hh:mm" offset; optional fractional seconds; no hour
// 24; no year 0000; real calendar validation, so 2023-02-29 is rejected and
// 2024-02-29 accepted), keep the precision, and convert:
//  - ToLocalDate(offset): the calendar date in a configured UTC offset. The
//    monitoring spec compares everything by calendar date in the configured
//    zone. A value without a time is already a calendar date and is not
//    shifted; a partial date takes the first day of its period.
//  - ToEpochMillis(): the start of the value as UTC epoch milliseconds.
//  - FormatInstant(ms): "2026-11-27T06:55:00.000Z".
// Offsets here are fixed UTC offsets in minutes; for a configured zone with
// daylight saving time use TimeZone::LocalDateOf (time_zone.h).
//
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing beyond what each function states.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

// A calendar date without time or zone.
struct LocalDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
  // "YYYY-MM-DD".
  std::string ToString() const;
};

enum class DateTimePrecision {
  kYear,    // "2024"
  kMonth,   // "2024-03"
  kDay,     // "2024-03-05"
  kSecond,  // "2024-03-05T10:20:30[.fff](Z|+hh:mm)"
};

struct DateTime {
  DateTimePrecision precision = DateTimePrecision::kDay;
  int year = 1970;
  int month = 1;  // 1 when precision is kYear
  int day = 1;    // 1 when precision is kYear or kMonth
  // The fields below are meaningful only when precision == kSecond.
  int hour = 0;
  int minute = 0;
  int second = 0;          // 0-60 (60 is a leap second, allowed by the R4 regex)
  std::string fraction;    // digits after '.', exactly as written ("" if none)
  int offset_minutes = 0;  // east of UTC, -14:00..+14:00
  bool offset_is_z = false;

  bool has_time() const { return precision == DateTimePrecision::kSecond; }
  // First three fraction digits, zero-padded ("5" -> 500).
  int millisecond() const;

  // FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD.
  static StatusOr<DateTime> ParseDate(std::string_view text);
  // FHIR `dateTime`: a date, or a full time with seconds and an offset.
  static StatusOr<DateTime> ParseDateTime(std::string_view text);
  // FHIR `instant`: a full time with seconds and an offset.
  static StatusOr<DateTime> ParseInstant(std::string_view text);
  // A UTC instant with millisecond precision.
  static DateTime FromEpochMillis(int64_t epoch_millis);

  // The calendar date at UTC offset `offset_minutes` (see file comment).
  LocalDate ToLocalDate(int offset_minutes) const;
  // Start of the value in UTC epoch milliseconds. A value without a time is
  // taken at 00:00 of its first day in `offset_minutes_if_no_time`.
  int64_t ToEpochMillis(int offset_minutes_if_no_time = 0) const;
  // FHIR text at the stored precision; round-trips parsed text (a "-00:00"
  // offset is written "+00:00").
  std::string ToString() const;

  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// "YYYY-MM-DDThh:mm:ss.sssZ". REQUIRES: the year is within 0001-9999.
std::string FormatInstant(int64_t epoch_millis);

// Calendar helpers (proleptic Gregorian).
bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
// Days since 1970-01-01 for a valid date, and back.
int64_t DaysFromCivil(int year, int month, int day);
LocalDate CivilFromDays(int64_t days);

}  // namespace bonewatch::fhir
