// Proves tools/thread_safety.sh's check alive: every function below breaks a locking rule
// that odvd/mutex.hpp's annotations state, and clang must reject each (the script counts
// one diagnostic per line marked EXPECT).
#include "odvd/mutex.hpp"

namespace {

class Counter {
 public:
  int unlocked_read() const { return value_; }       // EXPECT: reading value_ requires mutex_
  void unlocked_write() { value_ = 1; }              // EXPECT: writing value_ requires mutex_
  void wait_without_lock() { ready_.wait(mutex_); }  // EXPECT: wait requires holding mutex_
  void locked_write() {
    odvd::MutexLock lock(mutex_);
    value_ = 2;  // fine: the only access here that must pass
  }
  void needs_lock() ODVD_REQUIRES(mutex_) { value_ = 3; }
  void calls_without_lock() { needs_lock(); }  // EXPECT: calling needs_lock requires mutex_

 private:
  mutable odvd::Mutex mutex_;
  odvd::CondVar ready_;
  int value_ ODVD_GUARDED_BY(mutex_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.locked_write();
  return c.unlocked_read();
}
