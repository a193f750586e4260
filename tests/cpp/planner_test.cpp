// The planner: grouping by file and GOP, sharing, validation.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

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

// Lanes as (file, lane, GOP numbers) for comparing.
std::vector<std::tuple<size_t, int, std::vector<int>>> lanes_of(const DecodePlan& plan, size_t sessions) {
  std::vector<std::tuple<size_t, int, std::vector<int>>> out;
  for (const Lane& l : plan_lanes(plan, sessions)) {
    std::vector<int> gops;
    for (size_t g : l.gops) gops.push_back(plan.files[l.file].gops[g].gop);
    out.emplace_back(l.file, l.lane, gops);
  }
  return out;
}

TEST(Planner, LanesSpreadDistinctGopsOverSpareSessions) {
  Fixture fx;
  // a: GOPs 0 (work 5: up to frame 4), 1 (work 1), 2 (work 3), 3 (work 5); b: GOP 0 (work 1).
  DecodePlan plan = make_plan({"a", "a", "a", "a", "b", "a"}, {4, 5, 12, 19, 0, 13}, fx.lookup());
  EXPECT_EQ(gop_work(plan.files[0], plan.files[0].gops[0]), 5);
  EXPECT_EQ(gop_work(plan.files[0], plan.files[0].gops[2]), 4);  // frames 12 and 13 of GOP 2
  using L = std::vector<std::tuple<size_t, int, std::vector<int>>>;
  // As many sessions as files: one lane each, GOPs in file order (as before lanes).
  EXPECT_EQ(lanes_of(plan, 2), (L{{0, 0, {0, 1, 2, 3}}, {1, 0, {0}}}));
  EXPECT_EQ(lanes_of(plan, 1), lanes_of(plan, 2));  // never fewer lanes than files
  // Spare sessions go to the file with the most work per lane; longest GOPs first onto
  // the least loaded lane (ties to the lower lane), each lane in file order.
  // Two lanes for a: 0 (5) -> lane 0, 3 (5) -> lane 1, 2 (4) -> lane 0, 1 (1) -> lane 1.
  EXPECT_EQ(lanes_of(plan, 3), (L{{0, 0, {0, 2}}, {0, 1, {1, 3}}, {1, 0, {0}}}));
  // Three: 0, 3, 2 one lane each, then 1 onto the least loaded (lane 2, holding 4).
  EXPECT_EQ(lanes_of(plan, 4), (L{{0, 0, {0}}, {0, 1, {3}}, {0, 2, {1, 2}}, {1, 0, {0}}}));
  // No more lanes than GOPs, however many sessions.
  EXPECT_EQ(lanes_of(plan, 24), (L{{0, 0, {0}}, {0, 1, {3}}, {0, 2, {2}}, {0, 3, {1}}, {1, 0, {0}}}));
}

TEST(Planner, LanesSkipFilesWithNothingToDecode) {
  Fixture fx;
  DecodePlan plan = make_plan({"cut", "a"}, {15, 2}, fx.lookup(), /*tolerate=*/true);
  ASSERT_EQ(plan.files.size(), 2u);
  ASSERT_TRUE(plan.files[0].gops.empty());  // its one frame was cut off
  const std::vector<Lane> lanes = plan_lanes(plan, 8);
  ASSERT_EQ(lanes.size(), 1u);
  EXPECT_EQ(lanes[0].file, 1u);
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
