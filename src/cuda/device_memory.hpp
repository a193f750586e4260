// Device memory for frames: a per-device pool of reusable blocks, each handed out as a
// reference-counted Buffer (Note [Frame lifetime] in odvd/frame.hpp).
//
// Note [Device memory pool]
//   * A frame, every Python object made from it and every exported tensor hold a
//     shared_ptr to its DeviceBuffer; the block returns to the pool only when the last
//     of them is gone, so memory a user can still read is never reused.
//   * Blocks are cudaMalloc-sized slabs kept in a free list by size (a BlockCache,
//     util/block_cache.hpp, which holds the rules below and is tested without a GPU); a
//     request takes the smallest free block that fits without wasting more than a quarter
//     of it, else allocates. Frame sizes repeat, so steady-state decoding allocates nothing.
//   * Ordering with consumers: a buffer exported to another stream (DLPack with a
//     stream, or __cuda_array_interface__, whose consumers use their current stream)
//     may still be read by work queued on that stream when its last reference dies.
//     The release then records an event on that stream, and the next writer of the
//     block waits for it on the GPU (cuStreamWaitEvent) before writing.
//   * release_unused() frees every free block (after its pending reads complete).
//     Free blocks beyond a cap are freed at once instead of cached.
//   * A free block that no request has taken for kIdleAllocations allocations is freed
//     (checked every kAgeCheckEvery allocations). Without this the cache only grew: every
//     frame size the process ever saw, times the most of them live at once, stayed cached
//     (the GPU soak's sample reader over 37 files of many sizes: 18.5 -> 36.7 MiB in steps
//     over 10,000 calls, and up to the 4 GiB cap for a dataset of many sizes). Sizes in
//     steady use are taken again within a few allocations, so they are never aged out.
//   * One pool per device for the process, shared by every decoder on that device.
//
// Thread-safety: all members are safe to call from any thread.
#pragma once

#include <cstddef>
#include <memory>

#include "cuda/cuda_driver.hpp"
#include "odvd/frame.hpp"
#include "odvd/mutex.hpp"
#include "util/block_cache.hpp"

namespace odvd::cuda {

class DevicePool : public std::enable_shared_from_this<DevicePool> {
 public:
  // The process-wide pool of device `ordinal` (validated by device_context()).
  static std::shared_ptr<DevicePool> for_device(int ordinal);

  explicit DevicePool(const DeviceContext& device);
  ~DevicePool();
  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;

  // A buffer of at least `size` bytes that `writer` may write once this call returns
  // (any pending consumer reads are ordered before it on `writer`).
  std::shared_ptr<Buffer> allocate(size_t size, CUstream writer);

  // Frees every cached block nothing references.
  void release_unused();

  size_t cached_bytes() const;
  size_t live_bytes() const;
  const DeviceContext& device() const { return device_; }

 private:
  friend class DeviceBuffer;
  struct Block {
    CUdeviceptr ptr = 0;
    size_t size = 0;
    Event pending_reads;  // recorded on a consumer stream at release, or empty
  };
  void give_back(Block block);
  void give_back_freed(size_t size);  // a live block was freed instead of returned
  void free_block(Block& block);

  const DeviceContext& device_;
  mutable Mutex mutex_;
  BlockCache<Block> free_ ODVD_GUARDED_BY(mutex_);
  size_t live_bytes_ ODVD_GUARDED_BY(mutex_) = 0;
};

// A block of a DevicePool, returned to it when the last reference goes away.
class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(std::shared_ptr<DevicePool> pool, CUdeviceptr ptr, size_t size, size_t capacity);
  ~DeviceBuffer() override;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  uint8_t* data() override { return reinterpret_cast<uint8_t*>(ptr_); }
  size_t size() const override { return size_; }
  MemoryKind kind() const override { return MemoryKind::kCuda; }
  int device() const override { return pool_->device().ordinal; }

  // Records that work on `stream` may read this buffer (see Note [Device memory pool]).
  // nullptr means "a stream we do not know": the legacy default stream is used, which
  // orders after all work on blocking streams.
  void note_consumer_stream(void* stream) override;

 private:
  std::shared_ptr<DevicePool> pool_;
  CUdeviceptr ptr_;
  size_t size_;
  size_t capacity_;
  Mutex mutex_;
  bool has_consumer_ ODVD_GUARDED_BY(mutex_) = false;
  CUstream consumer_ ODVD_GUARDED_BY(mutex_) = nullptr;  // the last consumer stream noted
};

}  // namespace odvd::cuda
