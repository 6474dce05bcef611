// Logger: text and JSON lines, level filtering.
#include "logger.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "bonewatch/fhir/json.h"
#include "clock.h"

namespace bonewatch::adapter {
namespace {

// 2026-11-27T07:00:00.000Z
ManualClock FixedClock() {
  return ManualClock(std::chrono::system_clock::time_point(std::chrono::seconds(1795762800)));
}

TEST(LoggerTest, ParseLogLevel) {
  LogLevel level = LogLevel::kError;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warning", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
}

TEST(LoggerTest, TextLine) {
  ManualClock clock = FixedClock();
  std::ostringstream out;
  Logger logger(LogFormat::kText, LogLevel::kInfo, clock, &out);
  logger.Info("notification.stored", {{"inbox_id", "12"}, {"type", "Observation"}});
  EXPECT_EQ(out.str(),
            "2026-11-27T07:00:00.000Z INFO notification.stored inbox_id=12 type=Observation\n");
}

TEST(LoggerTest, TextQuotesValuesWithSpacesQuotesOrEquals) {
  ManualClock clock = FixedClock();
  std::ostringstream out;
  Logger logger(LogFormat::kText, LogLevel::kDebug, clock, &out);
  logger.Warn("x", {{"reason", "bad unit \"mg\""}, {"empty", ""}, {"eq", "a=b"}});
  EXPECT_EQ(out.str(),
            "2026-11-27T07:00:00.000Z WARNING x reason=\"bad unit \\\"mg\\\"\" empty=\"\" "
            "eq=\"a=b\"\n");
}

TEST(LoggerTest, JsonLineParsesAndKeepsFields) {
  ManualClock clock = FixedClock();
  std::ostringstream out;
  Logger logger(LogFormat::kJson, LogLevel::kInfo, clock, &out);
  logger.Error("write.failed", {{"resource", "Flag/1"}, {"reason", "line\nbreak \"q\""}});
  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only";
  EXPECT_EQ(line,
            "{\"ts\":\"2026-11-27T07:00:00.000Z\",\"level\":\"error\",\"event\":\"write.failed\","
            "\"resource\":\"Flag/1\",\"reason\":\"line\\nbreak \\\"q\\\"\"}\n");
  auto parsed = fhir::Json::Parse(line.substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
}

TEST(LoggerTest, LevelFiltering) {
  ManualClock clock = FixedClock();
  std::ostringstream out;
  Logger logger(LogFormat::kText, LogLevel::kWarning, clock, &out);
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w");
  logger.Error("e");
  EXPECT_EQ(out.str(), "2026-11-27T07:00:00.000Z WARNING w\n2026-11-27T07:00:00.000Z ERROR e\n");
}

TEST(LoggerTest, TimestampFollowsTheClock) {
  ManualClock clock = FixedClock();
  std::ostringstream out;
  Logger logger(LogFormat::kText, LogLevel::kInfo, clock, &out);
  clock.Advance(std::chrono::milliseconds(1500));
  logger.Info("tick");
  EXPECT_EQ(out.str(), "2026-11-27T07:00:01.500Z INFO tick\n");
}

}  // namespace
}  // namespace bonewatch::adapter
