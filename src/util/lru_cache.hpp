// A least-recently-used cache of shared values, bounded by entry count and by bytes.
//
// Values are shared_ptr<const V>: an entry evicted while a caller still uses it stays
// alive for that caller (the shared_ptr is the lease) and is freed when dropped.
// Each entry carries a charge in bytes supplied by the inserter.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>

#include "odvd/mutex.hpp"

namespace odvd {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  LruCache(size_t max_entries, size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  std::shared_ptr<Value> get(const Key& key) {
    MutexLock lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  void put(const Key& key, std::shared_ptr<Value> value, size_t charge) {
    MutexLock lock(mutex_);
    erase_locked(key);
    order_.push_front(Entry{key, std::move(value), charge});
    map_.emplace(key, order_.begin());
    bytes_ += charge;
    evict_locked();
  }

  void erase(const Key& key) {
    MutexLock lock(mutex_);
    erase_locked(key);
  }

  void clear() {
    MutexLock lock(mutex_);
    map_.clear();
    order_.clear();
    bytes_ = 0;
  }

  size_t size() const {
    MutexLock lock(mutex_);
    return map_.size();
  }

  size_t bytes() const {
    MutexLock lock(mutex_);
    return bytes_;
  }

 private:
  struct Entry {
    Key key;
    std::shared_ptr<Value> value;
    size_t charge;
  };

  void erase_locked(const Key& key) ODVD_REQUIRES(mutex_) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    bytes_ -= it->second->charge;
    order_.erase(it->second);
    map_.erase(it);
  }

  // Keeps at least the newest entry even when it alone exceeds the byte budget, so a
  // put is always followed by a hit on the same key.
  void evict_locked() ODVD_REQUIRES(mutex_) {
    while (order_.size() > 1 && (order_.size() > max_entries_ || bytes_ > max_bytes_)) {
      const Entry& victim = order_.back();
      bytes_ -= victim.charge;
      map_.erase(victim.key);
      order_.pop_back();
    }
  }

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable Mutex mutex_;
  std::list<Entry> order_ ODVD_GUARDED_BY(mutex_);  // most recent first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> map_ ODVD_GUARDED_BY(mutex_);
  size_t bytes_ ODVD_GUARDED_BY(mutex_) = 0;
};

}  // namespace odvd
