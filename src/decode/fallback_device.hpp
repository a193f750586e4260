// FallbackDevice: a GPU Device that decodes on the CPU each stream the GPU refuses.
//
// Users' datasets mix files NVDEC decodes with files it cannot (AV1 on GPUs without AV1,
// H.264 10-bit or 4:4:4, 4:2:2, HEVC below the engine's minimum size, MPEG-4 Part 2). A
// GPU decoder with fallback="cpu" (the default) decodes those streams with libavcodec;
// their frames are uploaded to the GPU, so a call always returns one kind of frame on
// one device, and each frame says which engine decoded it (VideoFrame::decoded_by).
//
// Only a refusal of the whole stream (UnsupportedStream, thrown when a backend is made)
// falls back; a stream the GPU accepts and then fails to decode is an error as before.
// The first refusal of each file is reported once through `on_fallback` (the decoders
// turn it into a warning that names the file and the reason).
//
// Backends of both kinds decode in the same call on the owner's worker threads, so a
// stream decoding on the CPU holds up the call only as long as its own decode takes.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "odvd/device.hpp"

namespace odvd {

class FallbackDevice final : public Device {
 public:
  using FallbackNote = std::function<void(const std::string& label, const std::string& reason)>;

  // `gpu` decodes what it accepts and holds every frame; `cpu` decodes the rest.
  FallbackDevice(std::unique_ptr<Device> gpu, std::unique_ptr<Device> cpu, FallbackNote on_fallback);

  const char* engine() const override { return gpu_->engine(); }
  int ordinal() const override { return gpu_->ordinal(); }
  void prepare() override { gpu_->prepare(); }
  std::unique_ptr<DecoderBackend> make_backend(const StreamDescription& stream) override;
  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) override {
    return gpu_->hand_out(picked);
  }
  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) override {
    return gpu_->convert_all(picked, bgr);
  }
  std::shared_ptr<Buffer> allocate(size_t bytes) override { return gpu_->allocate(bytes); }
  void write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan, const TensorTarget& target,
                    void* stream) override {
    gpu_->write_tensor(picked, plan, target, stream);
  }
  void release_decoders() override { gpu_->release_decoders(); }
  void release_memory() override { gpu_->release_memory(); }
  MemoryUse memory_use() const override { return gpu_->memory_use(); }
  int64_t hardware_sessions_made() const override { return gpu_->hardware_sessions_made(); }

 private:
  std::unique_ptr<Device> gpu_;
  std::unique_ptr<Device> cpu_;
  FallbackNote on_fallback_;
};

}  // namespace odvd
