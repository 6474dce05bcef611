#include "evaluate_command_ndjson.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace bonewatch::adapter {
namespace {

constexpr size_t kBlockBytes = 1u << 20;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

NdjsonLineReader::NdjsonLineReader(std::istream& in, size_t max_line_bytes)
    : in_(in), max_line_bytes_(max_line_bytes), buffer_(kBlockBytes) {}

bool NdjsonLineReader::Refill() {
  if (!in_.good()) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  position_ = 0;
  end_ = static_cast<size_t>(in_.gcount());
  return end_ > 0;
}

bool NdjsonLineReader::ReadLine(NdjsonBatch& batch) {
  NdjsonBatch::Line line;
  line.offset = batch.bytes.size();
  bool read_any = false;
  while (true) {
    if (position_ == end_ && !Refill()) break;
    read_any = true;
    const char* start = buffer_.data() + position_;
    const size_t available = end_ - position_;
    const void* newline = std::memchr(start, '\n', available);
    const size_t length = newline != nullptr
                              ? static_cast<size_t>(static_cast<const char*>(newline) - start)
                              : available;
    const size_t room = max_line_bytes_ - line.size;
    if (length > room) line.too_long = true;
    const size_t kept = std::min(length, room);
    batch.bytes.append(start, kept);
    line.size += kept;
    position_ += length;
    if (newline != nullptr) {
      ++position_;
      break;
    }
  }
  if (!read_any) return false;
  line.line_number = ++line_number_;
  if (line.size > 0 && batch.bytes[line.offset + line.size - 1] == '\r') {
    --line.size;
    batch.bytes.pop_back();
  }
  batch.lines.push_back(line);
  return true;
}

bool NdjsonLineReader::ReadBatch(size_t max_lines, NdjsonBatch& batch) {
  batch.bytes.clear();
  batch.lines.clear();
  while (batch.lines.size() < max_lines && ReadLine(batch)) {
    const NdjsonBatch::Line& line = batch.lines.back();
    if (!line.too_long && IsBlank(std::string_view(batch.bytes).substr(line.offset, line.size))) {
      batch.bytes.resize(line.offset);
      batch.lines.pop_back();
    }
  }
  return !batch.lines.empty();
}

void ParseNdjsonLine(const NdjsonBatch& batch, size_t index,
                     const fhir::NdjsonReader::Options& options, fhir::NdjsonRecord& record) {
  const NdjsonBatch::Line& line = batch.lines[index];
  record.line_number = line.line_number;
  record.value = fhir::Json();
  if (line.too_long) {
    record.status =
        InvalidArgumentError("line " + std::to_string(line.line_number) + ": longer than " +
                             std::to_string(options.max_line_bytes) + " bytes");
    return;
  }
  auto parsed = fhir::Json::Parse(std::string_view(batch.bytes).substr(line.offset, line.size),
                                  options.parse);
  if (parsed.ok()) {
    record.status = Status::Ok();
    record.value = std::move(parsed).value();
  } else {
    record.status = parsed.status().WithContext("line " + std::to_string(line.line_number));
  }
}

}  // namespace bonewatch::adapter
