// Thread pool, LRU cache, block cache and frame allocation.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "odvd/error.hpp"
#include "odvd/frame.hpp"
#include "util/block_cache.hpp"
#include "util/lru_cache.hpp"
#include "util/thread_pool.hpp"

namespace odvd {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceAndRethrows) {
  for (size_t threads : {0u, 1u, 3u}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> counts(50);
    pool.run_all(counts.size(), [&](size_t i) { counts[i]++; });
    for (auto& c : counts) EXPECT_EQ(c.load(), 1);
    std::atomic<int> ran{0};
    EXPECT_THROW(pool.run_all(10,
                              [&](size_t i) {
                                ran++;
                                if (i == 3) throw std::runtime_error("boom");
                              }),
                 std::runtime_error);
    EXPECT_EQ(ran.load(), 10);  // every task still ran to completion
  }
}

// Threads start when a call needs them, up to the bound: a pool sized for many sessions
// whose calls run few tasks at once holds few threads.
TEST(ThreadPool, StartsThreadsOnlyForWorkThatWaits) {
  ThreadPool pool(64);
  EXPECT_EQ(pool.size(), 64u);
  EXPECT_EQ(pool.started(), 0u);
  std::atomic<int> sum{0};
  for (int call = 0; call < 20; ++call) pool.run_all(4, [&](size_t i) { sum += static_cast<int>(i); });
  EXPECT_EQ(sum.load(), 20 * 6);
  EXPECT_LE(pool.started(), 3u * 20);  // never more than a call's helpers at once, reused
  EXPECT_GE(pool.started(), 1u);
  // A wide call starts what it needs, up to the bound.
  std::atomic<int> running{0}, most{0};
  pool.run_all(200, [&](size_t) {
    const int now = ++running;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --running;
  });
  EXPECT_LE(pool.started(), 64u);
  EXPECT_GT(most.load(), 4);
}

TEST(LruCache, EvictsByCountAndBytes) {
  LruCache<int, int> cache(3, 100);
  for (int i = 0; i < 3; ++i) cache.put(i, std::make_shared<int>(i), 10);
  ASSERT_NE(cache.get(0), nullptr);  // 0 becomes most recent
  cache.put(3, std::make_shared<int>(3), 10);
  EXPECT_EQ(cache.get(1), nullptr);  // least recently used went first
  EXPECT_NE(cache.get(0), nullptr);
  cache.put(4, std::make_shared<int>(4), 85);  // byte budget: evicts until <= 100
  EXPECT_LE(cache.bytes(), 100u);
  EXPECT_NE(cache.get(4), nullptr);
  cache.put(5, std::make_shared<int>(5), 500);  // alone over budget: kept, others evicted
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.get(5), nullptr);
}

TEST(LruCache, EvictedValuesStayAliveForHolders) {
  LruCache<int, int> cache(1, 100);
  cache.put(1, std::make_shared<int>(42), 1);
  std::shared_ptr<int> held = cache.get(1);
  cache.put(2, std::make_shared<int>(7), 1);
  EXPECT_EQ(cache.get(1), nullptr);
  EXPECT_EQ(*held, 42);
}

// A block as the cache sees it: move-only, like DevicePool's (it holds an Event).
using TestBlock = std::unique_ptr<int>;
TestBlock block(int id) {
  return std::make_unique<int>(id);
}

TEST(BlockCache, TakesTheSmallestFitWastingAtMostAQuarter) {
  BlockCache<TestBlock> cache({1 << 20, 1000, 10});
  std::vector<TestBlock> aged;
  EXPECT_TRUE(cache.put(1000, block(1)));
  EXPECT_TRUE(cache.put(1200, block(2)));
  EXPECT_TRUE(cache.put(5000, block(3)));
  EXPECT_EQ(cache.cached_bytes(), 7200u);
  auto a = cache.take(1100, aged);  // 1200 fits (1100 + 275 >= 1200); 1000 is too small
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size, 1200u);
  EXPECT_EQ(*a->block, 2);
  EXPECT_FALSE(cache.take(3000, aged));  // 5000 wastes more than a quarter of it
  auto b = cache.take(4000, aged);       // 4000 + 1000 >= 5000
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->block, 3);
  EXPECT_EQ(cache.cached_bytes(), 1000u);
  EXPECT_TRUE(aged.empty());
}

TEST(BlockCache, RefusesBlocksOverTheCapAndHandsEveryBlockBack) {
  BlockCache<TestBlock> cache({3000, 1000, 10});
  EXPECT_TRUE(cache.put(2000, block(1)));
  TestBlock over = block(2);
  EXPECT_FALSE(cache.put(1500, std::move(over)));
  ASSERT_TRUE(over);  // refused: still the caller's, to free
  EXPECT_EQ(*over, 2);
  EXPECT_TRUE(cache.put(1000, block(3)));
  std::vector<TestBlock> all = cache.take_all();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  EXPECT_EQ(cache.cached_blocks(), 0u);
}

TEST(BlockCache, BlocksNoRequestTakesAgeOutAndBlocksInUseDoNot) {
  // The GPU soak's case: sizes in steady use come back at once; a size seen once stays no
  // longer than `idle_allocations` requests (it stayed for ever before the cache aged).
  BlockCache<TestBlock> cache({1 << 30, 100, 8});
  std::vector<TestBlock> aged;
  EXPECT_TRUE(cache.put(1 << 20, block(99)));  // a big frame, once
  for (int i = 0; i < 99; ++i) {               // small frames: taken and put back every request
    auto t = cache.take(256, aged);
    EXPECT_TRUE(cache.put(256, t ? std::move(t->block) : block(i)));
  }
  EXPECT_TRUE(aged.empty());  // not idle for 100 requests yet
  EXPECT_EQ(cache.cached_bytes(), (1u << 20) + 256u);
  for (int i = 0; i < 20; ++i) {
    auto t = cache.take(256, aged);
    ASSERT_TRUE(t);
    EXPECT_TRUE(cache.put(256, std::move(t->block)));
  }
  ASSERT_EQ(aged.size(), 1u);  // aged out at the first scan past 100 idle requests
  EXPECT_EQ(*aged[0], 99);
  EXPECT_EQ(cache.cached_bytes(), 256u);  // the block in steady use stays
  EXPECT_EQ(cache.cached_blocks(), 1u);
}

TEST(Frame, Nv12LayoutSharesOnePitch) {
  VideoFrame f = allocate_host_frame(PixelFormat::kNv12, 641, 361, 8);
  EXPECT_EQ(f.num_planes, 2);
  EXPECT_EQ(f.planes[0].pitch, 642);
  EXPECT_EQ(f.planes[1].pitch, 642);
  EXPECT_EQ(f.planes[1].height, 181);
  EXPECT_EQ(f.planes[1].offset, 642u * 361);
  EXPECT_EQ(f.byte_size(), 642u * (361 + 181));
  VideoFrame p = allocate_host_frame(PixelFormat::kP016, 64, 32, 10);
  EXPECT_EQ(p.planes[0].pitch, 128);
  VideoFrame copy = copy_frame(p);
  EXPECT_NE(copy.buffer, p.buffer);
  EXPECT_EQ(copy.byte_size(), p.byte_size());
}

}  // namespace
TEST(RunParallel, RunsEveryTaskOnceAndRethrowsTheLowestError) {
  for (size_t threads : {1u, 3u, 8u}) {
    std::vector<std::atomic<int>> runs(20);
    run_parallel(threads, runs.size(), [&](size_t i) { ++runs[i]; });
    for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
    try {
      run_parallel(threads, 20, [&](size_t i) {
        if (i == 7 || i == 13) throw ArgumentError("task " + std::to_string(i));
      });
      FAIL() << "no error";
    } catch (const ArgumentError& e) {
      EXPECT_STREQ(e.what(), "task 7");  // as a serial loop would report it
    }
  }
  run_parallel(4, 0, [](size_t) { FAIL(); });  // nothing to do
}

}  // namespace odvd
