// Logger: structured logs as text lines or JSON lines.
//
// Every line has a timestamp (UTC instant), a level, an event name and
// key/value fields. Policy (architecture "Contracts"): logs carry resource
// ids, rule codes and counts; at info level they never carry clinical values
// or names, and secrets are never logged at any level.
//
//   text: 2026-11-27T07:00:00.000Z INFO notification.stored inbox_id=12 type=Observation
//   json: {"ts":"2026-11-27T07:00:00.000Z","level":"info","event":"notification.stored",...}
//
// Thread-safety: Log() is thread-safe; lines are never interleaved.
#pragma once

#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clock.h"

namespace bonewatch::adapter {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// "debug" | "info" | "warning" | "error" → level; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

using LogFields = std::vector<std::pair<std::string, std::string>>;

class Logger {
 public:
  // `out` must outlive the Logger (std::cerr by default); `clock` too.
  Logger(LogFormat format, LogLevel min_level, const Clock& clock, std::ostream* out = nullptr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  void Log(LogLevel level, std::string_view event, const LogFields& fields = {});
  void Debug(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kDebug, event, fields);
  }
  void Info(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warn(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kWarning, event, fields);
  }
  void Error(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

 private:
  const LogFormat format_;
  const LogLevel min_level_;
  const Clock& clock_;
  std::ostream* out_;
  std::mutex mutex_;
};

}  // namespace bonewatch::adapter
