// CallReport: the last call's damage report of a decoder object, and the end of every
// call under the damage policy (Note [Damage policy] in odvd/damage_policy.hpp).
//
// Thread-safety: safe from any thread; with calls running at once, the last to finish
// leaves its report.
#pragma once

#include <utility>
#include <vector>

#include "odvd/damage_policy.hpp"
#include "odvd/error.hpp"
#include "odvd/mutex.hpp"

namespace odvd {

class CallReport {
 public:
  // Keeps `report` as the last call's; under kRaise, throws MediaError naming every
  // failed entry when there is one.
  void finish(OnError policy, std::vector<EntryReport> report, size_t entries) {
    const bool fail = policy == OnError::kRaise && !report.empty();
    const std::string message = fail ? describe_failures(report, entries) : std::string();
    {
      MutexLock lock(mutex_);
      last_ = std::move(report);
    }
    if (fail) throw MediaError(message);
  }

  std::vector<EntryReport> last() const {
    MutexLock lock(mutex_);
    return last_;
  }

 private:
  mutable Mutex mutex_;
  std::vector<EntryReport> last_ ODVD_GUARDED_BY(mutex_);
};

}  // namespace odvd
