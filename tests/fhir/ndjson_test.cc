#include "bonewatch/fhir/ndjson.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

struct Seen {
  std::size_t line;
  bool ok;
  std::string detail;  // resource id, or the error message
};

std::vector<Seen> ReadAll(const std::string& text, NdjsonReader::Options options = {}) {
  std::istringstream in(text);
  NdjsonReader reader(in, options);
  std::vector<Seen> out;
  NdjsonRecord record;
  while (reader.Next(&record)) {
    out.push_back(
        {record.line_number, record.ok(),
         record.ok() ? record.value.GetString("id").value_or("") : record.status.message()});
  }
  return out;
}

TEST(NdjsonTest, BadLineInTheMiddleIsReportedAndReadingGoesOn) {
  const std::string text =
      "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"valueQuantity\":{\"value\":0.80}}\n"
      "{\"resourceType\":\"Observation\",\"id\":\"o2\"\n"
      "{\"resourceType\":\"Observation\",\"id\":\"o3\"}\n";
  std::vector<Seen> seen = ReadAll(text);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_TRUE(seen[0].ok);
  EXPECT_EQ(seen[0].detail, "o1");
  EXPECT_FALSE(seen[1].ok);
  EXPECT_EQ(seen[1].line, 2u);
  EXPECT_THAT(seen[1].detail, HasSubstr("line 2: invalid JSON at offset"));
  EXPECT_TRUE(seen[2].ok);
  EXPECT_EQ(seen[2].line, 3u);
  EXPECT_EQ(seen[2].detail, "o3");
}

TEST(NdjsonTest, KeepsExactDecimals) {
  std::istringstream in("{\"v\":0.1000}\n");
  NdjsonReader reader(in);
  NdjsonRecord record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.value.Find("v")->NumberText(), "0.1000");
  EXPECT_FALSE(reader.Next(&record));
}

TEST(NdjsonTest, BlankLinesCrlfAndMissingFinalNewline) {
  std::vector<Seen> seen = ReadAll("\n{\"id\":\"a\"}\r\n  \r\n\n{\"id\":\"b\"}");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].line, 2u);
  EXPECT_EQ(seen[0].detail, "a");
  EXPECT_EQ(seen[1].line, 5u);
  EXPECT_EQ(seen[1].detail, "b");
}

TEST(NdjsonTest, EmptyInput) { EXPECT_TRUE(ReadAll("").empty()); }

TEST(NdjsonTest, OverlongLineIsSkippedWithBoundedMemory) {
  NdjsonReader::Options options;
  options.max_line_bytes = 32;
  const std::string text =
      "{\"id\":\"short\"}\n{\"id\":\"" + std::string(10'000, 'x') + "\"}\n{\"id\":\"after\"}\n";
  std::vector<Seen> seen = ReadAll(text, options);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[1].ok);
  EXPECT_THAT(seen[1].detail, HasSubstr("line 2: longer than 32 bytes"));
  EXPECT_EQ(seen[2].detail, "after");
}

TEST(NdjsonTest, TwoDocumentsOnOneLineIsAnError) {
  std::vector<Seen> seen = ReadAll("{\"id\":\"a\"} {\"id\":\"b\"}\n");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].ok);
  EXPECT_THAT(seen[0].detail, HasSubstr("document root must not be followed"));
}

TEST(NdjsonTest, DepthLimitAppliesPerLine) {
  NdjsonReader::Options options;
  options.parse.max_depth = 3;
  std::vector<Seen> seen = ReadAll("[[[[1]]]]\n[[1]]\n", options);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].ok);
  EXPECT_TRUE(seen[1].ok);
}

}  // namespace
}  // namespace bonewatch::fhir
