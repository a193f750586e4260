// Allocation-failure sweeps (issue #16): the bundle parser and writer, and the file index,
// with their Nth allocation failing, for every N until the operation needs no more. Each
// attempt must end in the operation's result or an exception (std::bad_alloc, or the
// library's MediaError when a failure inside FFmpeg is reported as one): never a crash,
// std::terminate (an allocation in a noexcept path) or a leak. Run under AddressSanitizer
// (tools/fuzz.sh builds it there; LeakSanitizer checks at exit) and in the plain build.
//
// The failure is injected through a replacement of the global operator new (so it covers
// every C++ allocation of the library, on any thread); FFmpeg's own allocations go through
// malloc and are not failed here.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "ffmpeg/video_index.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"

namespace {

std::atomic<long> g_countdown{-1};      // allocations left before one fails; -1: never fail
std::atomic<long> g_failed{0};          // injected failures this attempt
std::atomic<long> g_failed_nothrow{0};  // ... of them in a nothrow new (the caller copes: stable_sort)

// Every injected failure passes here: to see where attempt K fails, run one test under
// gdb with `break injected_failure` and `ignore 1 K`.
[[gnu::noinline]] void injected_failure() {
  g_failed.fetch_add(1, std::memory_order_relaxed);
  asm volatile("");  // keeps the call
}

bool fail_now() {
  if (g_countdown.load(std::memory_order_relaxed) < 0) return false;
  if (g_countdown.fetch_sub(1, std::memory_order_relaxed) != 0) return false;
  injected_failure();
  return true;
}

void* allocate(std::size_t n) {
  if (fail_now()) throw std::bad_alloc();
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_aligned(std::size_t n, std::align_val_t align) {
  if (fail_now()) throw std::bad_alloc();
  const std::size_t a = static_cast<std::size_t>(align);
  void* p = std::aligned_alloc(a, (n + a - 1) / a * a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (const std::bad_alloc&) {
    g_failed_nothrow.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace odvd {
namespace {

constexpr long kMaxAttempts = 50000;

// Runs `op` with allocation N failing, for N = 0, 1, ... until it completes without a
// failure. Returns the number of allocations it needs. `op` may throw std::bad_alloc or
// MediaError when an allocation failed, or succeed when only a nothrow allocation failed
// (its caller has a fallback); any other outcome fails the test.
template <typename Op>
long sweep(const Op& op) {
  for (long n = 0; n < kMaxAttempts; ++n) {
    g_failed = 0;
    g_failed_nothrow = 0;
    g_countdown = n;
    bool completed = false;
    try {
      op();
      completed = true;
    } catch (const std::bad_alloc&) {
    } catch (const MediaError& e) {
      g_countdown = -1;
      EXPECT_GT(g_failed.load(), 0) << "MediaError without a failed allocation: " << e.what();
    }
    g_countdown = -1;
    if (completed && g_failed == 0) return n;
    if (completed && g_failed > g_failed_nothrow) {
      ADD_FAILURE() << "allocation " << n << " failed, yet the operation reported success";
      return n;
    }
  }
  ADD_FAILURE() << "still allocating after " << kMaxAttempts << " attempts";
  return kMaxAttempts;
}

TEST(AllocFailure, BundleWriterAndParser) {
  std::vector<GopRecord> records = {bundle_test::make_record(0, 12, 1, true), bundle_test::make_record(12, 8, 2)};
  const std::vector<uint8_t> bytes = serialize_bundle(records);
  const long writer = sweep([&] { (void)serialize_bundle(records); });
  const long parser = sweep([&] {
    const std::vector<GopRecord> got = parse_bundle(bytes.data(), bytes.size(), "bundle");
    if (got != records) throw std::logic_error("parsed records differ");
  });
  EXPECT_GT(writer, 0);
  EXPECT_GT(parser, 2);  // two records and their packets at least
}

TEST(AllocFailure, LegacyBundleParser) {
  const std::vector<uint8_t> bytes =
      bundle_test::write_legacy({bundle_test::make_legacy(0, 10, false, 3), bundle_test::make_legacy(10, 6, true, 4)});
  const std::vector<GopRecord> want = parse_bundle(bytes.data(), bytes.size(), "legacy");
  EXPECT_GT(sweep([&] {
              if (parse_bundle(bytes.data(), bytes.size(), "legacy") != want) throw std::logic_error("differs");
            }),
            2);
}

// The index of each test video of several containers (needs tests/videos/generated:
// tests/videos/generate.py; skipped without it).
TEST(AllocFailure, FileIndex) {
  const std::string root = ODVD_TEST_VIDEOS;
  int scanned = 0;
  for (const char* name : {"h264_gop30.mp4", "hevc_bframes.ts", "vp9_gop8.webm", "raw_h264_open_gop.264"}) {
    const std::string path = root + "/" + name;
    if (!std::ifstream(path).good()) continue;
    const FileStamp stamp = stat_video_file(path);
    const auto want = scan_video(path, stamp);
    const long n = sweep([&] {
      const auto got = scan_video(path, stamp);
      if (got->frames.packet_count() != want->frames.packet_count()) throw std::logic_error("differs");
    });
    EXPECT_GT(n, 10) << name;
    ++scanned;
  }
  if (scanned == 0) GTEST_SKIP() << "no test videos in " << root << " (run tests/videos/generate.py)";
}

}  // namespace
}  // namespace odvd
