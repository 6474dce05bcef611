// NdjsonReader: streams newline-delimited JSON (FHIR Bulk Data export files)
// one line at a time.
//
// Each call to Next() yields the next non-blank line as a record with its
// 1-based line number and either the parsed Json or a per-line error. A bad
// line is reported and reading goes on with the following line. Memory is
// bounded by max_line_bytes: a longer line is skipped to its end (without
// being buffered) and reported as an error. "\r\n" line ends are accepted.
//
// Ownership: the reader borrows the stream, which must outlive it.
// Thread-safety: not thread-safe; use one reader per thread.
// REQUIRES: `in` is open for reading.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct NdjsonRecord {
  std::size_t line_number = 0;  // 1-based
  Status status;                // OK, or why this line was rejected
  Json value;                   // null when !status.ok()
  bool ok() const { return status.ok(); }
};

class NdjsonReader {
 public:
  struct Options {
    std::size_t max_line_bytes = 64u * 1024u * 1024u;
    JsonParseOptions parse;
  };

  explicit NdjsonReader(std::istream& in) : NdjsonReader(in, Options()) {}
  NdjsonReader(std::istream& in, Options options);
  NdjsonReader(const NdjsonReader&) = delete;
  NdjsonReader& operator=(const NdjsonReader&) = delete;

  // Fills *record with the next non-blank line; false at end of input (or
  // when the stream fails), leaving *record untouched.
  bool Next(NdjsonRecord* record);

  // Lines read so far, including blank and rejected ones.
  std::size_t lines_read() const { return line_number_; }

 private:
  // Reads one line into line_ (without its terminator). Returns false at end
  // of input with nothing read; sets too_long_ if the line was cut off.
  bool ReadLine();

  std::istream& in_;
  Options options_;
  std::size_t line_number_ = 0;
  std::string line_;
  bool too_long_ = false;
};

}  // namespace bonewatch::fhir
