#include "bonewatch/rules/date.h"

#include <cstdio>

namespace bonewatch::rules {
namespace date_internal {

Date::Civil CivilFromDaysReference(int64_t z) {
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

}  // namespace date_internal

namespace {

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

int Date::year() const { return ToCivil().year; }
int Date::month() const { return ToCivil().month; }
int Date::day() const { return ToCivil().day; }

std::string Date::ToString() const {
  const Civil ymd = ToCivil();
  // One named result, so that it is constructed in place (with a second
  // return path the characters were written to a temporary and copied,
  // stalling on the reload of the bytes just stored).
  std::string text;
  if (ymd.year >= 0 && ymd.year <= 9999) {
    // The common case without snprintf (hot in evaluation and write-back).
    text.assign(10, '-');
    text[0] = static_cast<char>('0' + ymd.year / 1000);
    text[1] = static_cast<char>('0' + ymd.year / 100 % 10);
    text[2] = static_cast<char>('0' + ymd.year / 10 % 10);
    text[3] = static_cast<char>('0' + ymd.year % 10);
    text[5] = static_cast<char>('0' + ymd.month / 10);
    text[6] = static_cast<char>('0' + ymd.month % 10);
    text[8] = static_cast<char>('0' + ymd.day / 10);
    text[9] = static_cast<char>('0' + ymd.day % 10);
  } else {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", ymd.year, ymd.month, ymd.day);
    text.assign(buf);
  }
  return text;
}

}  // namespace bonewatch::rules
