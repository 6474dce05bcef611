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

// Copies and moves carry only the elements in use, whichever storage either
// side had before.
TEST(SourceListTest, CopiesAndMovesBetweenInlineAndSpilledLists) {
  std::vector<SourceRef> refs(6);
  const SourceList short_list{&refs[0], &refs[1]};
  const SourceList long_list{&refs[0], &refs[1], &refs[2], &refs[3], &refs[4], &refs[5]};
  const std::vector<const SourceRef*> short_items = Items(short_list);
  const std::vector<const SourceRef*> long_items = Items(long_list);

  SourceList list = long_list;
  list = short_list;  // spilled <- inline
  EXPECT_EQ(Items(list), short_items);
  list = long_list;  // inline <- spilled
  EXPECT_EQ(Items(list), long_items);

  SourceList source = short_list;
  list = std::move(source);  // spilled <- inline, by move
  EXPECT_EQ(Items(list), short_items);
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): moved-from lists are empty
  source = long_list;
  list = std::move(source);  // inline <- spilled, by move
  EXPECT_EQ(Items(list), long_items);
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
  source.push_back(&refs[5]);   // a moved-from list is usable
  EXPECT_EQ(Items(source), std::vector<const SourceRef*>{&refs[5]});

  SourceList truncated = long_list;
  truncated.Truncate(3);
  SourceList copy(truncated);
  EXPECT_EQ(Items(copy), (std::vector<const SourceRef*>{&refs[0], &refs[1], &refs[2]}));
}

}  // namespace
}  // namespace bonewatch::rules::internal
