// BlockCache: free blocks of memory kept by size for reuse, with the rules of Note [Device
// memory pool] (cuda/device_memory.hpp) and nothing of CUDA, so that the policy is tested
// without a GPU (tests/cpp/util_test.cpp):
//   * take(wanted): the smallest cached block of at least `wanted` bytes that wastes at most
//     a quarter of it (a frame-sized request never pins a block twice its size);
//   * put(size, block): cached unless the cached bytes would pass the cap (then the caller
//     frees it);
//   * aging: every request ticks the cache's clock; every `check_every` ticks, blocks no
//     request took for `idle_allocations` ticks are handed to the caller to free.
// `Block` is any movable handle; the cache never frees one itself (the owner does, outside
// its lock: freeing device memory may wait for the GPU).
//
// Thread-safety: none; the owner serialises calls (DevicePool holds its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace odvd {

template <typename Block>
class BlockCache {
 public:
  struct Limits {
    size_t max_cached_bytes;    // blocks put beyond this are refused
    uint64_t idle_allocations;  // a block untaken for this many requests ages out
    uint64_t check_every;       // requests between two aging scans (a scan is O(cached blocks))
  };
  struct Taken {
    size_t size;  // the block's size (>= the request)
    Block block;
  };

  explicit BlockCache(Limits limits) : limits_(limits) {}

  // One request of `wanted` bytes: a cached block that serves it, if any. Blocks aged out by
  // this request's tick are appended to `aged` (the caller frees them).
  std::optional<Taken> take(size_t wanted, std::vector<Block>& aged) {
    ++clock_;
    if (clock_ % limits_.check_every == 0 && clock_ > limits_.idle_allocations) age(aged);
    auto it = free_.lower_bound(wanted);
    if (it == free_.end() || it->first > wanted + wanted / 4) return std::nullopt;
    Taken taken{it->first, std::move(it->second.block)};
    cached_bytes_ -= it->first;
    free_.erase(it);
    return taken;
  }

  // Caches a free block of `size` bytes; false (the block stays with the caller, to free)
  // when that would pass the cap.
  bool put(size_t size, Block&& block) {
    if (cached_bytes_ + size > limits_.max_cached_bytes) return false;
    cached_bytes_ += size;
    free_.emplace(size, Entry{std::move(block), clock_});
    return true;
  }

  // Every cached block, for the caller to free; the cache is empty after.
  std::vector<Block> take_all() {
    std::vector<Block> out;
    out.reserve(free_.size());
    for (auto& entry : free_) out.push_back(std::move(entry.second.block));
    free_.clear();
    cached_bytes_ = 0;
    return out;
  }

  size_t cached_bytes() const { return cached_bytes_; }
  size_t cached_blocks() const { return free_.size(); }

 private:
  struct Entry {
    Block block;
    uint64_t put_at;  // clock_ when it was cached
  };

  void age(std::vector<Block>& aged) {
    for (auto it = free_.begin(); it != free_.end();) {
      if (it->second.put_at + limits_.idle_allocations < clock_) {
        cached_bytes_ -= it->first;
        aged.push_back(std::move(it->second.block));
        it = free_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const Limits limits_;
  std::multimap<size_t, Entry> free_;  // by size
  size_t cached_bytes_ = 0;
  uint64_t clock_ = 0;  // requests so far
};

}  // namespace odvd
