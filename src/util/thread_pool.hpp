// A pool of up to N worker threads running independent tasks.
//
// run_all() is the only entry point the decoders need: it runs n tasks (on the pool,
// and on the calling thread too, so a pool of size 0 still works), waits for all of
// them and rethrows the first exception a task threw, after every task has finished —
// no task outlives the call, so tasks may capture the caller's locals by reference.
//
// Threads start when work needs them, not with the pool: a GPU decoder's bound is one
// thread per session it may keep (max_files x parallel_calls), and a call of 180 entries
// over 6 files (one EpochSampler group) made a pool of 720 threads of which 24 ever ran.
// A thread the system refuses is not an error: the calling thread runs what is left.
//
// Thread-safety: run_all may be called from several threads at once.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "odvd/mutex.hpp"

namespace odvd {

class ThreadPool {
 public:
  explicit ThreadPool(size_t max_threads) : max_threads_(max_threads) {}
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The most threads the pool runs (what work may be split into, the caller's aside).
  size_t size() const { return max_threads_; }
  // Threads started so far.
  size_t started() const;

  // Runs task(0) .. task(n-1), each exactly once, and returns when all are done.
  void run_all(size_t n, const std::function<void(size_t)>& task);

 private:
  void worker_loop();
  // Starts threads until every queued job has an idle one or the bound is reached.
  void start_threads_for_queue() ODVD_REQUIRES(mutex_);

  const size_t max_threads_;
  mutable Mutex mutex_;
  CondVar wake_;
  std::deque<std::function<void()>> queue_ ODVD_GUARDED_BY(mutex_);
  bool stopping_ ODVD_GUARDED_BY(mutex_) = false;
  size_t idle_ ODVD_GUARDED_BY(mutex_) = 0;  // started threads not running a job
  std::vector<std::thread> workers_ ODVD_GUARDED_BY(mutex_);
};

// Runs task(i) for every i in [0, n) on up to `max_threads` threads started for the
// call (this one included) and waits for all of them; rethrows the error of the lowest i,
// as a serial loop would report it. For a handful of short, independent jobs outside a
// decoder's pool (reading a call's bundle files).
void run_parallel(size_t max_threads, size_t n, const std::function<void(size_t)>& task);

}  // namespace odvd
