// The planner: grouping by file and GOP, sharing, validation.
#include <gtest/gtest.h>

#include <map>

#include "decode/planner.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

// A 20-frame file with GOPs of 5 and no reordering.
std::shared_ptr<const VideoIndex> fake_index(const std::string& path, int64_t declared = 20, int frames = 20) {
  auto index = std::make_shared<VideoIndex>();
  index->path = path;
  std::vector<ScannedPacket> packets;
  for (int i = 0; i < frames; ++i) {
    ScannedPacket p;
    p.pts = p.dts = i;
    p.key = i % 5 == 0;
    packets.push_back(p);
  }
  index->frames = FrameIndex::build(packets, true);
  index->declared_frames = declared;
  return index;
}

struct Fixture {
  std::map<std::string, std::shared_ptr<const VideoIndex>> files{
      {"a", fake_index("a")}, {"b", fake_index("b")}, {"cut", fake_index("cut", 20, 12)}};
  int lookups = 0;
  IndexLookup lookup() {
    return [this](const std::string& p) {
      ++lookups;
      return files.at(p);
    };
  }
};

TEST(Planner, GroupsByFileAndGopAndSharesWork) {
  Fixture fx;
  DecodePlan plan = make_plan({"a", "b", "a", "a", "a"}, {7, 3, 6, 7, 19}, fx.lookup());
  EXPECT_EQ(fx.lookups, 2);  // each file looked up once
  ASSERT_EQ(plan.files.size(), 2u);
  EXPECT_EQ(plan.files[0].path, "a");
  EXPECT_EQ(plan.entry_file, (std::vector<int>{0, 1, 0, 0, 0}));
  ASSERT_EQ(plan.files[0].gops.size(), 2u);
  EXPECT_EQ(plan.files[0].gops[0].gop, 1);
  EXPECT_EQ(plan.files[0].gops[0].frame_ids, (std::vector<int>{6, 7}));  // duplicate 7 planned once
  EXPECT_EQ(plan.files[0].gops[1].gop, 3);
  EXPECT_EQ(plan.files[1].gops[0].frame_ids, (std::vector<int>{3}));
}

TEST(Planner, RejectsBadArgumentsBeforeWork) {
  Fixture fx;
  EXPECT_THROW(check_entry_lists(2, 3, 10), ArgumentError);
  EXPECT_THROW(check_entry_lists(4, 4, 3), ArgumentError);
  EXPECT_NO_THROW(check_entry_lists(3, 3, 3));
  EXPECT_THROW(make_plan({"a"}, {20}, fx.lookup()), ArgumentError);
  EXPECT_THROW(make_plan({"a"}, {-1}, fx.lookup()), ArgumentError);
  EXPECT_THROW(make_plan({""}, {0}, fx.lookup()), ArgumentError);
  try {
    make_plan({"b", "a"}, {0, 25}, fx.lookup());
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "entry 1: frame id 25 of 'a' is out of range (valid ids: 0..19)");
  }
}

TEST(Planner, TruncatedFilesSaySo) {
  Fixture fx;
  EXPECT_NO_THROW(make_plan({"cut"}, {11}, fx.lookup()));
  try {
    make_plan({"cut"}, {15}, fx.lookup());
    FAIL();
  } catch (const MediaError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_plan({"cut"}, {20}, fx.lookup()), ArgumentError);
}

TEST(Planner, EmptyCallIsEmptyPlan) {
  Fixture fx;
  DecodePlan plan = make_plan({}, {}, fx.lookup());
  EXPECT_TRUE(plan.files.empty());
  EXPECT_EQ(fx.lookups, 0);
}

}  // namespace
}  // namespace odvd
