#include "util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <system_error>

namespace odvd {

ThreadPool::~ThreadPool() {
  std::vector<std::thread> workers;
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
  }
  wake_.notify_all();
  for (auto& worker : workers) worker.join();
}

size_t ThreadPool::started() const {
  MutexLock lock(mutex_);
  return workers_.size();
}

void ThreadPool::start_threads_for_queue() {
  while (idle_ < queue_.size() && workers_.size() < max_threads_) {
    try {
      workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      // The system refused a thread (limits, memory), or the vector its handle: the callers
      // run the rest. Nothing may leave run_all here: its jobs are queued already and point
      // at the caller's task.
      return;
    }
    ++idle_;  // idle from its start: it takes a job as soon as it waits
  }
}

void ThreadPool::worker_loop() {
  mutex_.lock();
  for (;;) {
    while (!stopping_ && queue_.empty()) wake_.wait(mutex_);
    if (queue_.empty()) break;  // stopping and drained
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    --idle_;
    mutex_.unlock();
    job();          // run_all's jobs catch every error of their tasks
    job = nullptr;  // what the job holds goes before the thread waits again
    mutex_.lock();
    ++idle_;
  }
  mutex_.unlock();
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
  const size_t helpers = std::min(n - 1, max_threads_);
  if (helpers > 0) {
    MutexLock lock(mutex_);
    for (size_t i = 0; i < helpers; ++i) queue_.emplace_back([batch] { batch->run_some(); });
    start_threads_for_queue();
  }
  wake_.notify_all();
  batch->run_some();
  MutexLock lock(batch->mutex);
  while (batch->done != n) batch->done_cv.wait(batch->mutex);
  if (batch->first_error) std::rethrow_exception(batch->first_error);
}

}  // namespace odvd
