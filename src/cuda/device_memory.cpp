#include "cuda/device_memory.hpp"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "odvd/error.hpp"

namespace odvd::cuda {
namespace {

constexpr size_t kAlignment = 256;                   // what cudaMalloc gives; kernels may assume it
constexpr size_t kMaxCachedBytes = size_t{4} << 30;  // free blocks kept beyond this are freed
// Aging (Note [Device memory pool]): a free block untaken for this many allocations is freed.
// Steady decoding takes each size back within a few allocations; 4096 is ~0.4 s of the
// fastest sequential reading (11,000 frames/s) and minutes of a slow random-access loop.
constexpr uint64_t kIdleAllocations = 4096;
constexpr uint64_t kAgeCheckEvery = 256;  // the scan is O(free blocks): not on every request
CUstream legacy_stream() {
  return reinterpret_cast<CUstream>(uintptr_t{0x1});  // CU_STREAM_LEGACY
}

size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

std::shared_ptr<DevicePool> DevicePool::for_device(int ordinal) {
  const DeviceContext& device = device_context(ordinal);
  struct Pools {
    Mutex mutex;
    std::map<int, std::shared_ptr<DevicePool>> of_device ODVD_GUARDED_BY(mutex);
  };
  // Leaked on purpose (see cuda_driver.cpp): buffers may be released during interpreter exit.
  static auto* pools = new Pools();
  MutexLock lock(pools->mutex);
  std::shared_ptr<DevicePool>& pool = pools->of_device[ordinal];
  if (!pool) pool = std::make_shared<DevicePool>(device);
  return pool;
}

DevicePool::DevicePool(const DeviceContext& device)
    : device_(device), free_({kMaxCachedBytes, kIdleAllocations, kAgeCheckEvery}) {}

DevicePool::~DevicePool() {
  release_unused();
}

std::shared_ptr<Buffer> DevicePool::allocate(size_t size, CUstream writer) {
  const Driver& d = driver();
  const size_t wanted = round_up(std::max<size_t>(size, 1), kAlignment);
  Block block;
  std::vector<Block> aged;
  {
    MutexLock lock(mutex_);
    if (auto taken = free_.take(wanted, aged)) block = std::move(taken->block);
    live_bytes_ += block.ptr ? block.size : wanted;
  }
  for (Block& b : aged) free_block(b);  // outside the lock: cuMemFree may wait for the GPU
  ContextScope scope(device_.context);
  if (block.ptr == 0) {
    block.size = wanted;
    CUresult r = d.cu->cuMemAlloc(&block.ptr, wanted);
    if (r != CUDA_SUCCESS) {
      release_unused();  // cached blocks of other sizes may be what is in the way
      r = d.cu->cuMemAlloc(&block.ptr, wanted);
    }
    if (r != CUDA_SUCCESS) {
      MutexLock lock(mutex_);
      live_bytes_ -= wanted;
      check(r, "allocating " + std::to_string(wanted) + " bytes on CUDA device " + std::to_string(device_.ordinal));
    }
  } else if (block.pending_reads) {
    const CUresult r = d.stream_wait_event(writer, block.pending_reads.get(), 0);
    block.pending_reads.reset();  // released once the wait is satisfied
    if (r != CUDA_SUCCESS) {
      free_block(block);
      MutexLock lock(mutex_);
      live_bytes_ -= block.size;
      check(r, "cuStreamWaitEvent");
    }
  }
  return std::make_shared<DeviceBuffer>(shared_from_this(), block.ptr, size, block.size);
}

void DevicePool::give_back(Block block) {
  {
    MutexLock lock(mutex_);
    live_bytes_ -= block.size;
    const size_t size = block.size;
    if (free_.put(size, std::move(block))) return;
  }
  free_block(block);  // over the cap: put() left it here
}

void DevicePool::give_back_freed(size_t size) {
  MutexLock lock(mutex_);
  live_bytes_ -= size;
}

void DevicePool::free_block(Block& block) {
  const Driver& d = driver();
  ContextScope scope(device_.context);
  if (block.pending_reads) {
    d.cu->cuEventSynchronize(block.pending_reads.get());  // a consumer may still be reading
    block.pending_reads.reset();
  }
  d.cu->cuMemFree(block.ptr);
  block.ptr = 0;
}

void DevicePool::release_unused() {
  std::vector<Block> blocks;
  {
    MutexLock lock(mutex_);
    blocks = free_.take_all();
  }
  for (Block& b : blocks) free_block(b);
}

size_t DevicePool::cached_bytes() const {
  MutexLock lock(mutex_);
  return free_.cached_bytes();
}

size_t DevicePool::live_bytes() const {
  MutexLock lock(mutex_);
  return live_bytes_;
}

DeviceBuffer::DeviceBuffer(std::shared_ptr<DevicePool> pool, CUdeviceptr ptr, size_t size, size_t capacity)
    : pool_(std::move(pool)), ptr_(ptr), size_(size), capacity_(capacity) {}

void DeviceBuffer::note_consumer_stream(void* consumer) {
  auto stream = static_cast<CUstream>(consumer);
  MutexLock lock(mutex_);
  // Several consumers: fall back to the legacy stream, which orders after all of them
  // when they are blocking streams (the common case: PyTorch's default stream).
  consumer_ = (has_consumer_ && consumer_ != stream) || stream == nullptr ? legacy_stream() : stream;
  has_consumer_ = true;
}

DeviceBuffer::~DeviceBuffer() {
  DevicePool::Block block;
  block.ptr = ptr_;
  block.size = capacity_;
  if (has_consumer_) {
    try {
      ContextScope scope(pool_->device().context);
      block.pending_reads = Event::record(consumer_);
    } catch (...) {
    }
  }
  try {
    if (has_consumer_ && !block.pending_reads) {
      // No event to order reuse after the consumer's reads: free the block instead
      // (cuMemFree waits for outstanding work on it).
      pool_->free_block(block);
      pool_->give_back_freed(capacity_);
    } else {
      pool_->give_back(std::move(block));
    }
  } catch (...) {
    // Destructors never throw.
  }
}

}  // namespace odvd::cuda
