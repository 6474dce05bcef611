// NDJSON for `bonewatch evaluate`: lines read in batches and parsed apart, so
// that the lines of a batch can be parsed on several threads.
//
// Same records as fhir::NdjsonReader (same line numbers, blank lines
// skipped, "\r\n" accepted, a line longer than max_line_bytes skipped to its
// end and reported, the same error messages), read in 1 MiB blocks instead of
// a character at a time.
//
// Thread-safety: NdjsonLineReader is not thread-safe. ParseNdjsonLine may run
// concurrently for different lines of one batch.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "bonewatch/fhir/ndjson.h"

namespace bonewatch::adapter {

struct NdjsonBatch {
  struct Line {
    size_t offset = 0;  // in `bytes`
    size_t size = 0;
    size_t line_number = 0;  // 1-based
    bool too_long = false;
  };
  std::string bytes;  // the lines' text, back to back
  std::vector<Line> lines;
};

class NdjsonLineReader {
 public:
  // REQUIRES: `in` is open for reading; it must outlive the reader.
  NdjsonLineReader(std::istream& in, size_t max_line_bytes);
  NdjsonLineReader(const NdjsonLineReader&) = delete;
  NdjsonLineReader& operator=(const NdjsonLineReader&) = delete;

  // Replaces `batch` with up to `max_lines` non-blank lines; false when the
  // input had none left.
  bool ReadBatch(size_t max_lines, NdjsonBatch& batch);

  // Lines read so far, including blank and rejected ones.
  size_t lines_read() const { return line_number_; }

 private:
  // Appends the next line to `batch` (blank or not); false at end of input.
  bool ReadLine(NdjsonBatch& batch);
  bool Refill();

  std::istream& in_;
  size_t max_line_bytes_;
  size_t line_number_ = 0;
  std::vector<char> buffer_;
  size_t position_ = 0;
  size_t end_ = 0;
};

// Parses line `index` of `batch` into `record` as fhir::NdjsonReader::Next would.
void ParseNdjsonLine(const NdjsonBatch& batch, size_t index,
                     const fhir::NdjsonReader::Options& options, fhir::NdjsonRecord& record);

}  // namespace bonewatch::adapter
