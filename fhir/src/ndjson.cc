#include "bonewatch/fhir/ndjson.h"

#include <streambuf>

namespace bonewatch::fhir {
namespace {

bool IsBlank(const std::string& s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

NdjsonReader::NdjsonReader(std::istream& in, Options options) : in_(in), options_(options) {}

bool NdjsonReader::ReadLine() {
  line_.clear();
  too_long_ = false;
  std::streambuf* buf = in_.rdbuf();
  if (buf == nullptr || !in_.good()) return false;
  bool read_any = false;
  while (true) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in_.setstate(std::ios::eofbit);
      break;
    }
    read_any = true;
    if (c == '\n') break;
    if (line_.size() < options_.max_line_bytes) {
      line_.push_back(static_cast<char>(c));
    } else {
      too_long_ = true;  // keep consuming to the end of the line, storing nothing
    }
  }
  if (!read_any) return false;
  ++line_number_;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool NdjsonReader::Next(NdjsonRecord* record) {
  while (ReadLine()) {
    if (!too_long_ && IsBlank(line_)) continue;
    record->line_number = line_number_;
    if (too_long_) {
      record->status =
          InvalidArgumentError("line " + std::to_string(line_number_) + ": longer than " +
                               std::to_string(options_.max_line_bytes) + " bytes");
      record->value = Json();
      return true;
    }
    auto parsed = Json::Parse(line_, options_.parse);
    if (parsed.ok()) {
      record->status = Status::Ok();
      record->value = std::move(parsed).value();
    } else {
      record->status = parsed.status().WithContext("line " + std::to_string(line_number_));
      record->value = Json();
    }
    return true;
  }
  return false;
}

}  // namespace bonewatch::fhir
