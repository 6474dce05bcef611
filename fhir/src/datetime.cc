#include "bonewatch/fhir/datetime.h"

#include <cstdio>

namespace bonewatch::fhir {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

enum class Kind { kDate, kDateTime, kInstant };

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kDate:
      return "date";
    case Kind::kDateTime:
      return "dateTime";
    case Kind::kInstant:
      return "instant";
  }
  return "";
}

// A cursor over the text that reads fixed-width fields.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Digits(int width, int* out) {
    int v = 0;
    for (int i = 0; i < width; ++i) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return false;
      v = v * 10 + (text_[pos_++] - '0');
    }
    *out = v;
    return true;
  }
  std::string DigitRun() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

StatusOr<DateTime> Parse(std::string_view text, Kind kind) {
  auto fail = [&](std::string_view why) -> Status {
    return InvalidArgumentError("invalid FHIR " + std::string(KindName(kind)) + " \"" +
                                std::string(text.substr(0, 64)) + "\": " + std::string(why));
  };
  Scanner s(text);
  DateTime dt;
  if (!s.Digits(4, &dt.year)) return fail("expected a four-digit year");
  if (dt.year == 0) return fail("year 0000 is not allowed");
  dt.precision = DateTimePrecision::kYear;
  if (s.AtEnd()) {
    if (kind == Kind::kInstant) return fail("an instant needs a full date and time");
    return dt;
  }
  if (!s.Consume('-') || !s.Digits(2, &dt.month)) return fail("expected -MM after the year");
  if (dt.month < 1 || dt.month > 12) return fail("month out of range");
  dt.precision = DateTimePrecision::kMonth;
  if (s.AtEnd()) {
    if (kind == Kind::kInstant) return fail("an instant needs a full date and time");
    return dt;
  }
  if (!s.Consume('-') || !s.Digits(2, &dt.day)) return fail("expected -DD after the month");
  if (dt.day < 1 || dt.day > DaysInMonth(dt.year, dt.month)) {
    return fail("day out of range for the month");
  }
  dt.precision = DateTimePrecision::kDay;
  if (s.AtEnd()) {
    if (kind == Kind::kInstant) return fail("an instant needs a time");
    return dt;
  }
  if (kind == Kind::kDate) return fail("a date has no time part");
  if (!s.Consume('T')) return fail("expected T after the date");
  if (!s.Digits(2, &dt.hour) || !s.Consume(':') || !s.Digits(2, &dt.minute) || !s.Consume(':') ||
      !s.Digits(2, &dt.second)) {
    return fail("expected hh:mm:ss after T");
  }
  if (dt.hour > 23) return fail("hour out of range (00-23)");
  if (dt.minute > 59) return fail("minute out of range");
  if (dt.second > 60) return fail("second out of range");
  if (s.Consume('.')) {
    dt.fraction = s.DigitRun();
    if (dt.fraction.empty()) return fail("expected digits after '.'");
  }
  dt.precision = DateTimePrecision::kSecond;
  if (s.AtEnd()) return fail("a time needs a time zone offset (Z or +hh:mm)");
  if (s.Consume('Z')) {
    dt.offset_is_z = true;
  } else {
    const char sign = s.Peek();
    if (!s.Consume('+') && !s.Consume('-')) return fail("expected Z or +hh:mm offset");
    int oh = 0;
    int om = 0;
    if (!s.Digits(2, &oh) || !s.Consume(':') || !s.Digits(2, &om)) {
      return fail("expected +hh:mm offset");
    }
    if (om > 59 || oh > 14 || (oh == 14 && om != 0)) return fail("offset out of range");
    dt.offset_minutes = (sign == '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (!s.AtEnd()) return fail("unexpected characters after the value");
  return dt;
}

void AppendPadded(std::string* out, int value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%0*d", width, value);
  out->append(buf);
}

}  // namespace

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

LocalDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  return LocalDate{y, m, d};
}

std::string LocalDate::ToString() const {
  std::string out;
  AppendPadded(&out, year, 4);
  out += '-';
  AppendPadded(&out, month, 2);
  out += '-';
  AppendPadded(&out, day, 2);
  return out;
}

int DateTime::millisecond() const {
  int ms = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    ms = ms * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return ms;
}

StatusOr<DateTime> DateTime::ParseDate(std::string_view text) { return Parse(text, Kind::kDate); }
StatusOr<DateTime> DateTime::ParseDateTime(std::string_view text) {
  return Parse(text, Kind::kDateTime);
}
StatusOr<DateTime> DateTime::ParseInstant(std::string_view text) {
  return Parse(text, Kind::kInstant);
}

DateTime DateTime::FromEpochMillis(int64_t epoch_millis) {
  const int64_t days = FloorDiv(epoch_millis, kMillisPerDay);
  const int64_t ms_of_day = epoch_millis - days * kMillisPerDay;
  const LocalDate date = CivilFromDays(days);
  DateTime dt;
  dt.precision = DateTimePrecision::kSecond;
  dt.year = date.year;
  dt.month = date.month;
  dt.day = date.day;
  dt.hour = static_cast<int>(ms_of_day / 3'600'000);
  dt.minute = static_cast<int>(ms_of_day / 60'000 % 60);
  dt.second = static_cast<int>(ms_of_day / 1000 % 60);
  AppendPadded(&dt.fraction, static_cast<int>(ms_of_day % 1000), 3);
  dt.offset_is_z = true;
  return dt;
}

int64_t DateTime::ToEpochMillis(int offset_minutes_if_no_time) const {
  const int64_t days = DaysFromCivil(year, month, day);
  if (!has_time()) {
    return days * kMillisPerDay - int64_t{offset_minutes_if_no_time} * 60'000;
  }
  const int64_t local_ms = days * kMillisPerDay + int64_t{hour} * 3'600'000 +
                           int64_t{minute} * 60'000 + int64_t{second} * 1000 + millisecond();
  return local_ms - int64_t{offset_minutes} * 60'000;
}

LocalDate DateTime::ToLocalDate(int offset_minutes_wanted) const {
  if (!has_time()) return LocalDate{year, month, day};
  const int64_t local_ms = ToEpochMillis() + int64_t{offset_minutes_wanted} * 60'000;
  return CivilFromDays(FloorDiv(local_ms, kMillisPerDay));
}

std::string DateTime::ToString() const {
  std::string out;
  AppendPadded(&out, year, 4);
  if (precision == DateTimePrecision::kYear) return out;
  out += '-';
  AppendPadded(&out, month, 2);
  if (precision == DateTimePrecision::kMonth) return out;
  out += '-';
  AppendPadded(&out, day, 2);
  if (precision == DateTimePrecision::kDay) return out;
  out += 'T';
  AppendPadded(&out, hour, 2);
  out += ':';
  AppendPadded(&out, minute, 2);
  out += ':';
  AppendPadded(&out, second, 2);
  if (!fraction.empty()) out += '.' + fraction;
  if (offset_is_z) {
    out += 'Z';
  } else {
    const int abs = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    out += offset_minutes < 0 ? '-' : '+';
    AppendPadded(&out, abs / 60, 2);
    out += ':';
    AppendPadded(&out, abs % 60, 2);
  }
  return out;
}

std::string FormatInstant(int64_t epoch_millis) {
  return DateTime::FromEpochMillis(epoch_millis).ToString();
}

}  // namespace bonewatch::fhir
