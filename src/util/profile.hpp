// A tiny wall-clock profiler for finding where a call's time goes (issue #6): named
// scopes accumulate total time and counts, process-wide. Off unless the environment
// variable ODVD_PROFILE is set (then each scope costs two clock reads and a locked map
// update); read and reset through profile_snapshot().
//
// Thread-safety: scopes may run on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace odvd {

struct ProfileEntry {
  int64_t total_ns = 0;
  int64_t count = 0;
};

bool profiling_enabled();
void profile_add(const char* name, int64_t ns);
// The accumulated entries; `reset` clears them.
std::map<std::string, ProfileEntry> profile_snapshot(bool reset);

class ProfileScope {
 public:
  explicit ProfileScope(const char* name)
      : name_(profiling_enabled() ? name : nullptr),
        start_(name_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{}) {}
  ~ProfileScope() {
    if (name_) {
      profile_add(
          name_,
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count());
    }
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace odvd

#define ODVD_PROFILE_CAT2(a, b) a##b
#define ODVD_PROFILE_CAT(a, b) ODVD_PROFILE_CAT2(a, b)
// Times the rest of the enclosing scope under `name` (a string literal).
#define ODVD_PROFILE_SCOPE(name) ::odvd::ProfileScope ODVD_PROFILE_CAT(odvd_profile_, __LINE__)(name)
