#include "logger.h"

#include <iostream>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') return true;
  }
  return false;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

Logger::Logger(LogFormat format, LogLevel min_level, const Clock& clock, std::ostream* out)
    : format_(format), min_level_(min_level), clock_(clock), out_(out ? out : &std::cerr) {}

void Logger::Log(LogLevel level, std::string_view event, const LogFields& fields) {
  if (!Enabled(level)) return;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count();
  const std::string ts = fhir::FormatInstant(ms);
  std::string line;
  if (format_ == LogFormat::kJson) {
    fhir::Json j = fhir::Json::Object();
    j.Set("ts", ts);
    j.Set("level", std::string(LevelName(level)));
    j.Set("event", std::string(event));
    for (const auto& [k, v] : fields) j.Set(k, v);
    line = j.Serialize();
  } else {
    std::string upper(LevelName(level));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line = ts + " " + upper + " " + std::string(event);
    for (const auto& [k, v] : fields) {
      line += " " + k + "=";
      line += NeedsQuotes(v) ? fhir::Json(v).Serialize() : v;
    }
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  *out_ << line << std::flush;
}

}  // namespace bonewatch::adapter
