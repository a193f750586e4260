// The fork counter behind ProcessLocal (Note [Fork] in odvd/process_local.hpp).
#include <pthread.h>

#include <atomic>

#include "odvd/process_local.hpp"

namespace odvd {
namespace {

std::atomic<uint64_t> generation{0};

void count_fork_in_child() {
  generation.fetch_add(1);
}

// Registered when the library loads, before any object of ours exists, so that no fork
// after that goes uncounted.
const int registered = ::pthread_atfork(nullptr, nullptr, &count_fork_in_child);

}  // namespace

uint64_t fork_generation() noexcept {
  (void)registered;
  return generation.load(std::memory_order_acquire);
}

}  // namespace odvd
