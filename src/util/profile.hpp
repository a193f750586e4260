// A tiny profiler for finding where a call's time goes (issue #6): named scopes
// accumulate wall time, the CPU time of the thread that ran them, and counts,
// process-wide. Off unless the environment variable ODVD_PROFILE is set (then each scope
// costs four clock reads and a locked map update); read and reset through
// profile_snapshot(). CPU time close to wall time in a scope that waits (for NVDEC, a
// CUDA stream) means the wait spins on a core instead of sleeping.
//
// Thread-safety: scopes may run on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace odvd {

struct ProfileEntry {
  int64_t total_ns = 0;  // wall time
  int64_t cpu_ns = 0;    // CPU time of the threads that ran the scope
  int64_t count = 0;
};

bool profiling_enabled();
// CPU time used by the calling thread so far, in nanoseconds.
int64_t thread_cpu_ns();
void profile_add(const char* name, int64_t ns, int64_t cpu_ns);
// The accumulated entries; `reset` clears them.
std::map<std::string, ProfileEntry> profile_snapshot(bool reset);

class ProfileScope {
 public:
  explicit ProfileScope(const char* name)
      : name_(profiling_enabled() ? name : nullptr),
        start_(name_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{}),
        cpu_start_(name_ ? thread_cpu_ns() : 0) {}
  ~ProfileScope() {
    if (name_) {
      profile_add(
          name_,
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count(),
          thread_cpu_ns() - cpu_start_);
    }
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_;
  int64_t cpu_start_;
};

}  // namespace odvd

#define ODVD_PROFILE_CAT2(a, b) a##b
#define ODVD_PROFILE_CAT(a, b) ODVD_PROFILE_CAT2(a, b)
// Times the rest of the enclosing scope under `name` (a string literal).
#define ODVD_PROFILE_SCOPE(name) ::odvd::ProfileScope ODVD_PROFILE_CAT(odvd_profile_, __LINE__)(name)
