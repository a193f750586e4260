#include "util/profile.hpp"

#include <cstdlib>
#include <mutex>

namespace odvd {
namespace {

std::mutex& profile_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, ProfileEntry>& entries() {
  static auto* m = new std::map<std::string, ProfileEntry>();  // leaked: used until exit
  return *m;
}

}  // namespace

bool profiling_enabled() {
  static const bool enabled = std::getenv("ODVD_PROFILE") != nullptr;
  return enabled;
}

void profile_add(const char* name, int64_t ns) {
  std::lock_guard<std::mutex> lock(profile_mutex());
  ProfileEntry& e = entries()[name];
  e.total_ns += ns;
  e.count++;
}

std::map<std::string, ProfileEntry> profile_snapshot(bool reset) {
  std::lock_guard<std::mutex> lock(profile_mutex());
  std::map<std::string, ProfileEntry> out = entries();
  if (reset) entries().clear();
  return out;
}

}  // namespace odvd
