// CpuDevice: the CPU as a Device (odvd/device.hpp) — libavcodec decoders (CpuBackend),
// frames in host memory, colour conversion and training batches in bands of rows on the
// owner's thread pool.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <memory>

#include "odvd/device.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

class CpuDevice final : public Device {
 public:
  // `decoder_threads`: libavcodec threads per backend (>= 1). `pool` (the owner's, which
  // outlives this device) runs the colour conversion.
  CpuDevice(int decoder_threads, ThreadPool& pool) : decoder_threads_(decoder_threads), pool_(pool) {}

  const char* engine() const override { return "cpu"; }
  int ordinal() const override { return -1; }
  std::unique_ptr<DecoderBackend> make_backend(const StreamDescription& stream) override;
  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) override;
  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) override;
  std::shared_ptr<Buffer> allocate(size_t bytes) override { return make_host_buffer(bytes); }
  void write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan, const TensorTarget& target,
                    void* stream) override;

 private:
  const int decoder_threads_;
  ThreadPool& pool_;
};

}  // namespace odvd
