#include "bonewatch/rules/date.h"

#include <cstdio>

namespace bonewatch::rules {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Ymd {
  int year;
  int month;
  int day;
};

Ymd CivilFromDaysReference(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

// Cassio Neri and Lorenz Schneider's civil_from_days ("Euclidean affine
// functions and their application to calendar algorithms", 2022): the same
// result as the reference above with 32-bit arithmetic and no division but
// by constants. Dates are converted at every change point (ages, due dates,
// sentences), so this is a hot path. The shift moves day 0 to 1 March of year
// -kShiftEras * 400, so that every day it is used for is non-negative.
constexpr int64_t kShiftEras = 82;
constexpr int64_t kShiftDays = 719468 + 146097 * kShiftEras;
// Outside this range the reference is used (4 * n + 3 must fit 32 bits).
constexpr int64_t kFastMinDays = -kShiftDays;
constexpr int64_t kFastMaxDays = 1'000'000'000 - kShiftDays;

Ymd CivilFromDays(int64_t z) {
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

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeap(year)) return 29;
  return kDays[month - 1];
}

bool Date::IsValid(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

Date Date::FromYmd(int year, int month, int day) {
  return Date(DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
}

std::optional<Date> Date::Parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (!IsValid(y, m, d)) return std::nullopt;
  return FromYmd(y, m, d);
}

Date::Civil Date::ToCivil() const {
  const Ymd ymd = CivilFromDays(days_);
  return {ymd.year, ymd.month, ymd.day};
}

int Date::year() const { return CivilFromDays(days_).year; }
int Date::month() const { return CivilFromDays(days_).month; }
int Date::day() const { return CivilFromDays(days_).day; }

Date Date::AddMonths(int n) const {
  const Ymd ymd = CivilFromDays(days_);
  int64_t total = static_cast<int64_t>(ymd.year) * 12 + (ymd.month - 1) + n;
  int64_t y = total >= 0 ? total / 12 : (total - 11) / 12;
  int m = static_cast<int>(total - y * 12) + 1;
  int d = ymd.day;
  const int last = DaysInMonth(static_cast<int>(y), m);
  if (d > last) d = last;
  return FromYmd(static_cast<int>(y), m, d);
}

std::string Date::ToString() const {
  const Ymd ymd = CivilFromDays(days_);
  if (ymd.year >= 0 && ymd.year <= 9999) {
    // The common case without snprintf (hot in evaluation and write-back).
    std::string text(10, '-');
    text[0] = static_cast<char>('0' + ymd.year / 1000);
    text[1] = static_cast<char>('0' + ymd.year / 100 % 10);
    text[2] = static_cast<char>('0' + ymd.year / 10 % 10);
    text[3] = static_cast<char>('0' + ymd.year % 10);
    text[5] = static_cast<char>('0' + ymd.month / 10);
    text[6] = static_cast<char>('0' + ymd.month % 10);
    text[8] = static_cast<char>('0' + ymd.day / 10);
    text[9] = static_cast<char>('0' + ymd.day % 10);
    return text;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", ymd.year, ymd.month, ymd.day);
  return buf;
}

}  // namespace bonewatch::rules
