// GpuWorkspace: what a GopDecoder on a CUDA device owns — the device's memory pool, a
// pool of NVDEC sessions, and a stream for colour conversion and copies — and the few
// operations the decode layer needs on GPU frames.
//
// Work is enqueued on the workspace's stream; synchronize() completes it, and callers
// synchronise before returning frames, so every frame handed to the user is complete
// (SPEC §3).
//
// Thread-safety: make_backend() may be called from any thread; the frame operations and
// synchronize() from one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "cuda/cuda_driver.hpp"
#include "cuda/device_memory.hpp"
#include "cuda/nvdec_backend.hpp"
#include "cuda/nvdec_decoder.hpp"

namespace odvd::cuda {

class GpuWorkspace {
 public:
  // Throws MediaError when the driver is missing or `ordinal` is not a device.
  GpuWorkspace(int ordinal, size_t max_idle_decoders);

  int ordinal() const { return device_.ordinal; }

  std::unique_ptr<DecoderBackend> make_backend(const NvdecStream& stream, const std::string& label);

  // A device copy of `frame` (its own buffer); enqueued.
  VideoFrame copy(const VideoFrame& frame);
  // An RGB image in device memory for `frame`; conversion enqueued.
  RgbImage convert(const VideoFrame& frame, bool bgr);
  void synchronize();

  void release_decoders() { decoders_->clear(); }
  void release_memory() { memory_->release_unused(); }
  const DevicePool& memory() const { return *memory_; }

 private:
  const DeviceContext& device_;
  std::shared_ptr<DevicePool> memory_;
  std::shared_ptr<NvdecDecoderPool> decoders_;
  Stream stream_;
};

}  // namespace odvd::cuda
