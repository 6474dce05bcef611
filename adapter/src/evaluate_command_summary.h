// The summary table of `bonewatch evaluate --format summary`.
//
// One row per active finding (patient, rule, priority, since, text); a
// patient in scope with no active finding gets one row saying so and what
// state the CarePlan is in. Patients out of scope are not listed; the footer
// counts them. Rows are written as they come (no buffering), with columns
// sized from the widths passed to the constructor.
//
// Thread-safety: not thread-safe; borrows the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "bonewatch/rules/evaluation.h"

namespace bonewatch::adapter {

class SummaryWriter {
 public:
  // `patient_width`: the longest patient id to be listed.
  SummaryWriter(std::ostream& out, size_t patient_width);

  void Add(const rules::Evaluation& evaluation);
  // The footer: counts of patients and findings.
  void Finish(uint64_t patients_read);

 private:
  void Row(std::string_view patient, std::string_view rule, std::string_view priority,
           std::string_view since, std::string_view text);

  std::ostream& out_;
  size_t patient_width_;
  uint64_t in_scope_ = 0;
  uint64_t active_course_ = 0;
  uint64_t completed_ = 0;
  uint64_t retracted_ = 0;
  uint64_t findings_ = 0;
};

}  // namespace bonewatch::adapter
