// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with clang's
// thread-safety annotations, so the compiler checks which lock guards which state.
//
// Note [Checked locking]: state shared between threads is declared
// `T x ODVD_GUARDED_BY(mutex_);`, and functions that expect a lock held say
// `ODVD_REQUIRES(mutex_)`. clang's -Wthread-safety then rejects any read or write of `x`
// without `mutex_` held, at compile time. GCC ignores the attributes (they expand to
// nothing), so the annotations cost nothing in the shipped build; tools/thread_safety.sh
// compiles every source with clang and -Werror=thread-safety in the test command (and CI),
// and proves the check alive on a file that must fail it (tests/thread_safety/).
//
// The analysis is intraprocedural: a lambda does not inherit the locks of the function
// that defines it, so condition-variable waits are written as loops
// (`while (!ready_) cv_.wait(mutex_);`) rather than with a predicate lambda.
//
// Thread-safety: Mutex and CondVar are, like the std types they wrap, safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define ODVD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ODVD_THREAD_ANNOTATION(x)
#endif

#define ODVD_CAPABILITY(x) ODVD_THREAD_ANNOTATION(capability(x))
#define ODVD_SCOPED_CAPABILITY ODVD_THREAD_ANNOTATION(scoped_lockable)
#define ODVD_GUARDED_BY(x) ODVD_THREAD_ANNOTATION(guarded_by(x))
#define ODVD_PT_GUARDED_BY(x) ODVD_THREAD_ANNOTATION(pt_guarded_by(x))
#define ODVD_REQUIRES(...) ODVD_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ODVD_ACQUIRE(...) ODVD_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ODVD_RELEASE(...) ODVD_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ODVD_TRY_ACQUIRE(...) ODVD_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ODVD_EXCLUDES(...) ODVD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ODVD_NO_THREAD_SAFETY_ANALYSIS ODVD_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace odvd {

class CondVar;

class ODVD_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ODVD_ACQUIRE() { m_.lock(); }
  void unlock() ODVD_RELEASE() { m_.unlock(); }
  bool try_lock() ODVD_TRY_ACQUIRE(true) { return m_.try_lock(); }

 private:
  friend class CondVar;
  std::mutex m_;
};

// Holds a Mutex for its scope (std::lock_guard, annotated).
class ODVD_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& m) ODVD_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~MutexLock() ODVD_RELEASE() { m_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& m_;
};

// A condition variable waited on with a Mutex the caller holds (it is released while
// waiting and held again on return, as std::condition_variable does).
class CondVar {
 public:
  void wait(Mutex& m) ODVD_REQUIRES(m) {
    std::unique_lock<std::mutex> lock(m.m_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller's lock: still held, not ours to unlock
  }
  // As wait(), returning after `timeout` at the latest (for waits that must also notice
  // a flag nobody notifies them of).
  void wait_for(Mutex& m, std::chrono::milliseconds timeout) ODVD_REQUIRES(m) {
    std::unique_lock<std::mutex> lock(m.m_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace odvd
