#include "util/profile.hpp"

#include <time.h>

#include <cstdlib>

#include "odvd/mutex.hpp"

namespace odvd {
namespace {

struct Registry {
  Mutex mutex;
  std::map<std::string, ProfileEntry> entries ODVD_GUARDED_BY(mutex);
};

Registry& registry() {
  static auto* r = new Registry();  // leaked: used until exit, by threads that may outlive statics
  return *r;
}

}  // namespace

bool profiling_enabled() {
  static const bool enabled = std::getenv("ODVD_PROFILE") != nullptr;
  return enabled;
}

int64_t thread_cpu_ns() {
  timespec t{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void profile_add(const char* name, int64_t ns, int64_t cpu_ns) {
  Registry& r = registry();
  MutexLock lock(r.mutex);
  ProfileEntry& e = r.entries[name];
  e.total_ns += ns;
  e.cpu_ns += cpu_ns;
  e.count++;
}

std::map<std::string, ProfileEntry> profile_snapshot(bool reset) {
  Registry& r = registry();
  MutexLock lock(r.mutex);
  std::map<std::string, ProfileEntry> out = r.entries;
  if (reset) r.entries.clear();
  return out;
}

}  // namespace odvd
