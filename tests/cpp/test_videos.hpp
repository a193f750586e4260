// The generated test videos (tests/videos/generate.py) for C++ tests that read real files:
// a test's executable defines ODVD_TEST_VIDEOS, their folder.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "ffmpeg/video_index.hpp"

namespace odvd::testing {

inline std::string video(const std::string& name) {
  return std::string(ODVD_TEST_VIDEOS) + "/" + name;
}

// The index of test video `name`, or null when it was not generated.
inline std::shared_ptr<const VideoIndex> index_of(const std::string& name) {
  const std::string path = video(name);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return nullptr;
  std::fclose(f);
  return IndexCache::global().get(path);
}

}  // namespace odvd::testing

// Declares `var`, the index of test video `name`, or skips the test when it is missing.
#define INDEX_OR_SKIP(var, name)                                           \
  std::shared_ptr<const VideoIndex> var = ::odvd::testing::index_of(name); \
  if (!var) GTEST_SKIP() << name << " missing: run tests/videos/generate.py first";
