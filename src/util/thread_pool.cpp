#include "util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <system_error>

#include "odvd/error.hpp"

namespace odvd {

ThreadPool::ThreadPool(size_t num_threads) {
  try {
    workers_.reserve(num_threads);
    for (size_t i = 0; i < num_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  } catch (const std::system_error& e) {
    // The system refused a thread (limits, memory): the threads already started must be
    // joined before this half-built object goes, or std::thread's destructor terminates
    // the process. Then the caller gets an error it can handle.
    const size_t started = workers_.size();
    stop_and_join();
    throw MediaError("cannot start " + std::to_string(num_threads) + " worker threads (started " +
                     std::to_string(started) + "): " + e.what());
  }
}

ThreadPool::~ThreadPool() {
  stop_and_join();
}

void ThreadPool::stop_and_join() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && queue_.empty()) wake_.wait(mutex_);
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

namespace {

// Shared state of one run_all call. Tasks are claimed by index, so the caller's
// thread and the workers pull from the same counter and no task runs twice.
struct Batch {
  size_t n = 0;
  const std::function<void(size_t)>* task = nullptr;
  std::atomic<size_t> next{0};
  Mutex mutex;
  CondVar done_cv;
  size_t done ODVD_GUARDED_BY(mutex) = 0;
  std::exception_ptr first_error ODVD_GUARDED_BY(mutex);

  void run_some() {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      std::exception_ptr error;
      try {
        (*task)(i);
      } catch (...) {
        error = std::current_exception();
      }
      MutexLock lock(mutex);
      if (error && !first_error) first_error = error;
      if (++done == n) done_cv.notify_all();
    }
  }
};

}  // namespace

void run_parallel(size_t max_threads, size_t n, const std::function<void(size_t)>& task) {
  const size_t threads = std::min(n, std::max<size_t>(1, max_threads));
  std::vector<std::exception_ptr> errors(n);
  auto run = [&](size_t first) {
    for (size_t i = first; i < n; i += threads) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  try {
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(run, t);
  } catch (const std::system_error&) {
    // Fewer threads than asked: the started ones and this one cover their shares; the
    // shares of threads that could not start run here.
    for (size_t t = helpers.size() + 1; t < threads; ++t) run(t);
  }
  if (threads > 0) run(0);
  for (std::thread& h : helpers) h.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

void ThreadPool::run_all(size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  auto batch = std::make_shared<Batch>();
  batch->n = n;
  batch->task = &task;
  size_t helpers = std::min(n - 1, workers_.size());
  if (helpers > 0) {
    MutexLock lock(mutex_);
    for (size_t i = 0; i < helpers; ++i) queue_.emplace_back([batch] { batch->run_some(); });
  }
  wake_.notify_all();
  batch->run_some();
  MutexLock lock(batch->mutex);
  while (batch->done != n) batch->done_cv.wait(batch->mutex);
  if (batch->first_error) std::rethrow_exception(batch->first_error);
}

}  // namespace odvd
