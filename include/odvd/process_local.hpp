// ProcessLocal<T>: an object that belongs to the process that made it.
//
// Note [Fork]: a process forked from ours (a DataLoader worker started with 'fork') gets a
// copy of every object, but not of its threads, and shares the parent's open file
// descriptions (one file offset for both processes). A decoder used on both sides would
// read packets at the other's offset (false "corrupt packet" errors), wait forever for pool
// or libavcodec frame threads that do not exist in the child, or block on a mutex that a
// parent thread held at the instant of the fork. So state that holds threads, open files
// or decoder sessions lives in a ProcessLocal: in a forked child, the first use abandons
// the parent's copy (never destroyed there: destroying it would join threads that do not
// exist and close the parent's decoders) and makes a fresh one from the same recipe, which
// opens its own files and starts its own threads. Memory of the abandoned copy stays
// shared with the parent (copy-on-write) and is never touched. CUDA cannot be carried
// over at all: cuda_driver.cpp refuses it in a child with a message saying what to do.
//
// Thread-safety: get() is safe from any thread; the fast path (no fork since the object
// was made or last adopted) is one atomic load and no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "odvd/mutex.hpp"

namespace odvd {

// How many times this process's ancestors and itself were forked off: a child sees one
// more than its parent had at the fork (pthread_atfork's child handler counts).
uint64_t fork_generation() noexcept;

template <typename T>
class ProcessLocal {
 public:
  explicit ProcessLocal(std::function<std::unique_ptr<T>()> make)
      : make_(std::move(make)), value_(make_().release()), generation_(fork_generation()) {}
  ~ProcessLocal() {
    if (generation_.load() == fork_generation()) delete value_;  // else a parent's copy: abandoned
  }
  ProcessLocal(const ProcessLocal&) = delete;
  ProcessLocal& operator=(const ProcessLocal&) = delete;

  // The value of this process: made afresh by the first call after a fork.
  T& get() {
    const uint64_t now = fork_generation();
    if (generation_.load(std::memory_order_acquire) != now) adopt(now);
    return *value_;
  }
  T* operator->() { return &get(); }
  T& operator*() { return get(); }

  // Whether the value in hand is the parent's (a fork happened since it was made), without
  // replacing it.
  bool inherited() const { return generation_.load() != fork_generation(); }

 private:
  void adopt(uint64_t now) {
    MutexLock lock(adopt_mutex_);
    if (generation_.load() == now) return;  // another thread of the child was first
    value_ = make_().release();             // the parent's copy is left as it is, on purpose
    generation_.store(now, std::memory_order_release);
  }

  std::function<std::unique_ptr<T>()> make_;
  T* value_;
  std::atomic<uint64_t> generation_;
  Mutex adopt_mutex_;  // taken only in a child, when adopting
};

}  // namespace odvd
