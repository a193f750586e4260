// BackendPool: idle decoder backends kept for reuse, keyed by everything that decides
// whether a backend can decode a stream (record_decode.hpp: backend_key), bounded by
// count (oldest idle dropped first).
//
// A backend is taken out for one task and given back when the task succeeded; one that
// saw an error is simply dropped. Several idle backends may share a key (six cameras
// with one encoder configuration decode in parallel, each on its own backend).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "odvd/decoder_backend.hpp"
#include "odvd/mutex.hpp"

namespace odvd {

class BackendPool {
 public:
  explicit BackendPool(size_t max_idle) : max_idle_(max_idle) {}

  // An idle backend for `key`, or null.
  std::unique_ptr<DecoderBackend> take(const std::string& key) {
    MutexLock lock(mutex_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->first != key) continue;
      std::unique_ptr<DecoderBackend> backend = std::move(it->second);
      idle_.erase(it);
      return backend;
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<DecoderBackend> backend) {
    std::unique_ptr<DecoderBackend> dropped;  // destroyed outside the lock
    MutexLock lock(mutex_);
    idle_.emplace_back(key, std::move(backend));
    if (idle_.size() > max_idle_) {
      dropped = std::move(idle_.front().second);
      idle_.pop_front();
    }
  }

  void clear() {
    std::deque<std::pair<std::string, std::unique_ptr<DecoderBackend>>> dropped;
    MutexLock lock(mutex_);
    dropped.swap(idle_);
  }

 private:
  const size_t max_idle_;
  Mutex mutex_;
  std::deque<std::pair<std::string, std::unique_ptr<DecoderBackend>>> idle_ ODVD_GUARDED_BY(mutex_);
};

}  // namespace odvd
