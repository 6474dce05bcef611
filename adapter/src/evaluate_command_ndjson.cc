#include "evaluate_command_ndjson.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace bonewatch::adapter {
namespace {

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

void NdjsonBatch::Reserve(size_t capacity) {
  if (capacity <= capacity_) return;
  capacity = std::max(capacity, capacity_ * 2);
  auto bytes = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(bytes.get(), bytes_.get(), size_);
  bytes_ = std::move(bytes);
  capacity_ = capacity;
}

NdjsonLineReader::NdjsonLineReader(std::istream& in, size_t max_line_bytes, size_t block_bytes)
    : in_(in), max_line_bytes_(max_line_bytes), block_bytes_(std::max<size_t>(block_bytes, 1)) {}

bool NdjsonLineReader::ReadBlock(NdjsonBatch& batch) {
  if (!in_.good()) return false;
  batch.Reserve(batch.size_ + block_bytes_);
  in_.read(batch.bytes_.get() + batch.size_, static_cast<std::streamsize>(block_bytes_));
  const auto read = static_cast<size_t>(in_.gcount());
  batch.size_ += read;
  return read > 0;
}

void NdjsonLineReader::EndLine(NdjsonBatch& batch, size_t offset, size_t length) {
  NdjsonBatch::Line line;
  line.offset = offset;
  line.line_number = ++line_number_;
  // As counted by fhir::NdjsonReader: the "\r" of a "\r\n" too.
  line.too_long = skipping_ || length > max_line_bytes_;
  skipping_ = false;
  if (!line.too_long) {
    line.size = length;
    if (line.size > 0 && batch.bytes_[offset + line.size - 1] == '\r') --line.size;
    if (IsBlank(batch.text(line))) return;
  }
  batch.lines.push_back(line);
}

bool NdjsonLineReader::ReadBatch(size_t min_lines, NdjsonBatch& batch) {
  batch.lines.clear();
  batch.size_ = 0;
  if (at_end_) return false;
  batch.Reserve(carry_.size() + block_bytes_);
  std::memcpy(batch.bytes_.get(), carry_.data(), carry_.size());
  batch.size_ = carry_.size();
  size_t line_start = 0;  // of the line not ended yet
  size_t scanned = 0;     // bytes searched for "\n" (a memchr finds only the next one)
  while (true) {
    while (scanned < batch.size_) {
      const char* begin = batch.bytes_.get();
      const void* newline = std::memchr(begin + scanned, '\n', batch.size_ - scanned);
      if (newline == nullptr) break;
      const auto end = static_cast<size_t>(static_cast<const char*>(newline) - begin);
      EndLine(batch, line_start, end - line_start);
      line_start = scanned = end + 1;
    }
    // A line longer than the limit is skipped to its end without holding it:
    // what was read of it is dropped.
    if (batch.size_ - line_start > max_line_bytes_) skipping_ = true;
    if (skipping_) batch.size_ = line_start;
    scanned = batch.size_;
    if (batch.lines.size() >= std::max<size_t>(min_lines, 1)) break;
    if (!ReadBlock(batch)) {
      at_end_ = true;
      // The last line, not ended by a "\n".
      if (line_start < batch.size_ || skipping_)
        EndLine(batch, line_start, batch.size_ - line_start);
      line_start = batch.size_;
      break;
    }
  }
  carry_.assign(batch.bytes_.get() + line_start, batch.size_ - line_start);
  batch.size_ = line_start;
  return !batch.lines.empty();
}

void ParseNdjsonLine(const NdjsonBatch& batch, size_t index,
                     const fhir::NdjsonReader::Options& options, fhir::NdjsonRecord& record) {
  const NdjsonBatch::Line& line = batch.lines[index];
  record.line_number = line.line_number;
  fhir::Json::Recycle(record.value);  // what the record held before
  if (line.too_long) {
    record.status =
        InvalidArgumentError("line " + std::to_string(line.line_number) + ": longer than " +
                             std::to_string(options.max_line_bytes) + " bytes");
    return;
  }
  auto parsed = fhir::Json::Parse(batch.text(line), options.parse);
  if (parsed.ok()) {
    record.status = Status::Ok();
    record.value = std::move(parsed).value();
  } else {
    record.status = parsed.status().WithContext("line " + std::to_string(line.line_number));
  }
}

}  // namespace bonewatch::adapter
