// SmallList (SourceList) keeps its first elements inline and spills longer lists.
#include "../../rules/src/small_list.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bonewatch::rules::internal {
namespace {

std::vector<const SourceRef*> Items(const SourceList& list) {
  return std::vector<const SourceRef*>(list.begin(), list.end());
}

TEST(SourceListTest, KeepsOrderAcrossTheSpill) {
  std::vector<SourceRef> refs(9);
  for (size_t i = 0; i < refs.size(); ++i) refs[i].id = std::to_string(i);
  SourceList list;
  std::vector<const SourceRef*> expected;
  EXPECT_TRUE(list.empty());
  for (const SourceRef& ref : refs) {
    list.push_back(&ref);
    expected.push_back(&ref);
    ASSERT_EQ(list.size(), expected.size());
    ASSERT_EQ(Items(list), expected);
  }
  SourceList copy = list;
  EXPECT_EQ(Items(copy), expected);
  SourceList moved = std::move(copy);
  EXPECT_EQ(Items(moved), expected);

  SourceList joined{&refs[0], &refs[1], &refs[2]};
  joined.Append(SourceList{&refs[3], &refs[4]});
  EXPECT_EQ(Items(joined),
            (std::vector<const SourceRef*>{&refs[0], &refs[1], &refs[2], &refs[3], &refs[4]}));
}

}  // namespace
}  // namespace bonewatch::rules::internal
