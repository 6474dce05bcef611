// NDJSON for `bonewatch evaluate`: lines read in batches and parsed apart, so
// that the lines of a batch can be parsed on several threads.
//
// Same records as fhir::NdjsonReader (same line numbers, blank lines
// skipped, "\r\n" accepted, a line longer than max_line_bytes skipped to its
// end and reported, the same error messages), read in blocks instead of a
// character at a time. A batch holds the blocks as read: its lines are parsed
// where they lie, without copying each line out first.
//
// Thread-safety: NdjsonLineReader is not thread-safe. ParseNdjsonLine may run
// concurrently for different lines of one batch.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/ndjson.h"

namespace bonewatch::adapter {

class NdjsonBatch {
 public:
  struct Line {
    size_t offset = 0;       // in the batch's bytes
    size_t size = 0;         // without the "\r\n" or "\n"; 0 when too long
    size_t line_number = 0;  // 1-based
    bool too_long = false;
  };

  // The text of `line`, one of `lines`; valid until the batch is read again.
  std::string_view text(const Line& line) const { return {bytes_.get() + line.offset, line.size}; }

  std::vector<Line> lines;  // non-blank lines, in input order

 private:
  friend class NdjsonLineReader;
  // Grows the bytes to hold at least `capacity`, keeping the first size_.
  void Reserve(size_t capacity);

  // Not a std::string: growing one zero-fills the room a block is read into.
  std::unique_ptr<char[]> bytes_;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

class NdjsonLineReader {
 public:
  static constexpr size_t kDefaultBlockBytes = 256u << 10;

  // REQUIRES: `in` is open for reading; it must outlive the reader.
  // `block_bytes`: how much is read at a time (tests use small blocks).
  NdjsonLineReader(std::istream& in, size_t max_line_bytes,
                   size_t block_bytes = kDefaultBlockBytes);
  NdjsonLineReader(const NdjsonLineReader&) = delete;
  NdjsonLineReader& operator=(const NdjsonLineReader&) = delete;

  // Replaces `batch` with the next non-blank lines: blocks are read until
  // they end at least `min_lines` lines (or the input ends), and every line
  // they end is in the batch. False when the input had none left.
  bool ReadBatch(size_t min_lines, NdjsonBatch& batch);

  // Lines read so far, including blank and rejected ones.
  size_t lines_read() const { return line_number_; }

 private:
  // Appends up to block_bytes_ of input to `batch`; false at end of input.
  bool ReadBlock(NdjsonBatch& batch);
  // Adds the line of `length` bytes at `offset` in `batch` (numbered, too
  // long or not, dropped if blank).
  void EndLine(NdjsonBatch& batch, size_t offset, size_t length);

  std::istream& in_;
  size_t max_line_bytes_;
  size_t block_bytes_;
  size_t line_number_ = 0;
  std::string carry_;      // the start of a line read but not ended by the last batch
  bool skipping_ = false;  // that line is too long: the rest of it is dropped as read
  bool at_end_ = false;
};

// Parses line `index` of `batch` into `record` as fhir::NdjsonReader::Next would.
void ParseNdjsonLine(const NdjsonBatch& batch, size_t index,
                     const fhir::NdjsonReader::Options& options, fhir::NdjsonRecord& record);

}  // namespace bonewatch::adapter
