#include "bonewatch/fhir/time_zone.h"

#include <date/tz.h>

#include <exception>
#include <stdexcept>

namespace bonewatch::fhir {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string FormatOffset(int minutes) {
  const int abs = minutes < 0 ? -minutes : minutes;
  std::string out(1, minutes < 0 ? '-' : '+');
  const int hh = abs / 60;
  const int mm = abs % 60;
  out += static_cast<char>('0' + hh / 10);
  out += static_cast<char>('0' + hh % 10);
  out += ':';
  out += static_cast<char>('0' + mm / 10);
  out += static_cast<char>('0' + mm % 10);
  return out;
}

}  // namespace

TimeZone TimeZone::FixedOffset(int offset_minutes) {
  TimeZone zone;
  zone.fixed_offset_minutes_ = offset_minutes;
  return zone;
}

StatusOr<TimeZone> TimeZone::Named(std::string_view iana_name) {
  // The library reports a missing tz database or an unknown name by throwing;
  // it loads a zone's rules lazily, so one lookup here makes every later
  // get_info() a pure search that cannot throw.
  const std::string name(iana_name);
  try {
    if (name.empty()) return NotFoundError("the time zone name is empty");
    TimeZone zone;
    zone.zone_ = date::locate_zone(name);
    (void)zone.zone_->get_info(date::sys_seconds{});
    return zone;
  } catch (const std::runtime_error& e) {
    // locate_zone: "<name> not found in timezone database"; a missing
    // /usr/share/zoneinfo fails in get_tzdb() with another message.
    const std::string what = e.what();
    if (what.find("not found") != std::string::npos) {
      return NotFoundError("unknown IANA time zone '" + name + "' (not in the system's tzdata)");
    }
    return UnavailableError("cannot read the system's tzdata for '" + name + "': " + what);
  } catch (const std::exception& e) {
    return UnavailableError("cannot read the system's tzdata for '" + name + "': " + e.what());
  }
}

StatusOr<TimeZone> TimeZone::Parse(std::string_view text) {
  if (text == "Z") return FixedOffset(0);
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    const auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
    if (text.size() != 6 || text[3] != ':' || !digit(1) || !digit(2) || !digit(4) || !digit(5)) {
      return InvalidArgumentError("'" + std::string(text) + "' is not a UTC offset +HH:MM");
    }
    const int hh = (text[1] - '0') * 10 + (text[2] - '0');
    const int mm = (text[4] - '0') * 10 + (text[5] - '0');
    if (mm > 59 || hh * 60 + mm > 14 * 60) {
      return InvalidArgumentError("'" + std::string(text) + "' is beyond +-14:00");
    }
    return FixedOffset((text[0] == '-' ? -1 : 1) * (hh * 60 + mm));
  }
  return Named(text);
}

int TimeZone::OffsetMinutesAt(int64_t epoch_millis) const {
  if (zone_ == nullptr) return fixed_offset_minutes_;
  const date::sys_seconds instant{std::chrono::seconds(FloorDiv(epoch_millis, 1000))};
  const date::sys_info info = zone_->get_info(instant);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(info.offset).count());
}

LocalDate TimeZone::LocalDateAt(int64_t epoch_millis) const {
  const int64_t local_ms = epoch_millis + int64_t{OffsetMinutesAt(epoch_millis)} * 60'000;
  return CivilFromDays(FloorDiv(local_ms, kMillisPerDay));
}

LocalDate TimeZone::LocalDateAt(std::chrono::system_clock::time_point instant) const {
  return LocalDateAt(
      std::chrono::floor<std::chrono::milliseconds>(instant.time_since_epoch()).count());
}

LocalDate TimeZone::LocalDateOf(const DateTime& value) const {
  if (!value.has_time()) return LocalDate{value.year, value.month, value.day};
  return LocalDateAt(value.ToEpochMillis());
}

std::string TimeZone::Name() const {
  return zone_ != nullptr ? std::string(zone_->name()) : FormatOffset(fixed_offset_minutes_);
}

}  // namespace bonewatch::fhir
