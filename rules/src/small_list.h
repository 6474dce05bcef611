// SmallList: a short list that keeps its first N elements inline.
//
// Rules are evaluated at every change point, and the lists built there are
// short (most results name one to four sources; a woman has at most seven
// counted risk factors), so building them allocates nothing: allocation was a
// large part of an evaluation's cost. Longer lists spill to the heap. Plain
// value type; T must be default-constructible and copyable.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "bonewatch/rules/model.h"

namespace bonewatch::rules::internal {

template <typename T, size_t N>
class SmallList {
 public:
  SmallList() = default;
  SmallList(std::initializer_list<T> items) {
    for (const T& item : items) push_back(item);
  }
  // Copies and moves touch only the elements in use: the inline slots past
  // them stay default-initialized (for pointers, not written at all), so that
  // a list, and each State, rule result and plan draft holding some, costs
  // little to create.
  SmallList(const SmallList& other) { CopyFrom(other); }
  SmallList(SmallList&& other) noexcept { MoveFrom(other); }
  SmallList& operator=(const SmallList& other) {
    if (this != &other) CopyFrom(other);
    return *this;
  }
  SmallList& operator=(SmallList&& other) noexcept {
    if (this != &other) MoveFrom(other);
    return *this;
  }
  ~SmallList() = default;

  void push_back(T item) {
    if (spill_.empty() && inline_size_ < N) {
      inline_[inline_size_++] = std::move(item);
      return;
    }
    if (spill_.empty()) spill_.assign(inline_.begin(), inline_.end());
    spill_.push_back(std::move(item));
  }
  void Append(const SmallList& other) {
    for (const T& item : other) push_back(item);
  }

  // Keeps the first n elements. REQUIRES: n <= size().
  void Truncate(size_t n) {
    if (spill_.empty()) {
      inline_size_ = n;
    } else if (n > N) {
      spill_.resize(n);
    } else {
      std::copy(spill_.begin(), spill_.begin() + static_cast<std::ptrdiff_t>(n), inline_.begin());
      inline_size_ = n;
      spill_.clear();
    }
  }

  T* begin() { return spill_.empty() ? inline_.data() : spill_.data(); }
  T* end() { return begin() + size(); }
  const T* begin() const { return spill_.empty() ? inline_.data() : spill_.data(); }
  const T* end() const { return begin() + size(); }
  size_t size() const { return spill_.empty() ? inline_size_ : spill_.size(); }
  bool empty() const { return size() == 0; }

 private:
  void CopyFrom(const SmallList& other) {
    inline_size_ = other.inline_size_;
    spill_ = other.spill_;
    if (spill_.empty()) {
      std::copy(other.inline_.begin(), other.inline_.begin() + inline_size_, inline_.begin());
    }
  }
  // Leaves `other` empty.
  void MoveFrom(SmallList& other) {
    inline_size_ = other.inline_size_;
    spill_ = std::move(other.spill_);
    if (spill_.empty()) {
      std::move(other.inline_.begin(), other.inline_.begin() + inline_size_, inline_.begin());
    }
    other.inline_size_ = 0;
    other.spill_.clear();
  }

  std::array<T, N> inline_;  // [0, inline_size_) in use while spill_ is empty
  size_t inline_size_ = 0;
  std::vector<T> spill_;  // all of them, once there are more than N
};

// Evidence: pointers into the PatientRecord.
using SourceList = SmallList<const SourceRef*, 4>;

}  // namespace bonewatch::rules::internal
