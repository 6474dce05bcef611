// SourceList: a short list of evidence, as pointers into the PatientRecord.
//
// Rules are evaluated at every change point and most results name one to
// four sources, so those are kept inline: building a result then allocates
// nothing (allocation was a large part of an evaluation's cost). Longer
// lists spill to the heap. Plain value type.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "bonewatch/rules/model.h"

namespace bonewatch::rules::internal {

class SourceList {
 public:
  SourceList() = default;
  SourceList(std::initializer_list<const SourceRef*> refs) {
    for (const SourceRef* ref : refs) push_back(ref);
  }

  void push_back(const SourceRef* ref) {
    if (spill_.empty() && inline_size_ < kInline) {
      inline_[inline_size_++] = ref;
      return;
    }
    if (spill_.empty()) spill_.assign(inline_.begin(), inline_.end());
    spill_.push_back(ref);
  }
  void Append(const SourceList& other) {
    for (const SourceRef* ref : other) push_back(ref);
  }

  const SourceRef* const* begin() const { return spill_.empty() ? inline_.data() : spill_.data(); }
  const SourceRef* const* end() const { return begin() + size(); }
  size_t size() const { return spill_.empty() ? inline_size_ : spill_.size(); }
  bool empty() const { return size() == 0; }

 private:
  static constexpr size_t kInline = 4;
  std::array<const SourceRef*, kInline> inline_{};
  size_t inline_size_ = 0;
  std::vector<const SourceRef*> spill_;  // all of them, once more than kInline
};

}  // namespace bonewatch::rules::internal
