// NvdecDevice: a CUDA device as a Device (odvd/device.hpp) — NVDEC decoder sessions
// (pooled), frames in the device's memory pool, colour conversion and copies on one
// CUDA stream of its own.
//
// Construction only checks that the driver's libraries load (Note [Devices are made
// cold]); prepare() retains the device's primary context and makes the memory pool,
// the session pool and the stream, once.
//
// Work is enqueued on the device's stream and completed before hand_out() /
// convert_all() return, so every frame handed to the user is complete (SPEC §3). Frames
// decoded on the CPU for this device (fallback: decode/fallback_device.hpp) are uploaded
// there; their RGB is converted on the CPU, then uploaded.
//
// Thread-safety: every method may be called from any thread; hand_out(), convert_all()
// and the release calls are serialised (one stream); make_backend() is not (sessions
// decode in parallel).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "cuda/cuda_driver.hpp"
#include "cuda/device_memory.hpp"
#include "nvdec/nvdec_decoder.hpp"
#include "odvd/device.hpp"
#include "odvd/mutex.hpp"

namespace odvd::cuda {

class NvdecDevice final : public Device {
 public:
  // MediaError when the driver's libraries cannot be loaded.
  NvdecDevice(int ordinal, size_t max_idle_decoders);
  ~NvdecDevice() override;

  const char* engine() const override { return "nvdec"; }
  int ordinal() const override { return ordinal_; }
  // MediaError when `ordinal` is not a device, or its context cannot be made.
  void prepare() override;
  std::unique_ptr<DecoderBackend> make_backend(const StreamDescription& stream) override;
  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) override;
  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) override;
  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  void write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan, const TensorTarget& target,
                    void* stream) override;
  void release_decoders() override;
  void release_memory() override;
  MemoryUse memory_use() const override;
  int64_t hardware_sessions_made() const override;

 private:
  // What prepare() makes; never changed after.
  struct Workspace {
    Workspace(int ordinal, size_t max_idle_decoders);
    const DeviceContext& device;
    std::shared_ptr<DevicePool> memory;
    std::shared_ptr<NvdecDecoderPool> decoders;
    Stream stream;
  };

  // The workspace; prepare() must have run (ODVD_CHECK otherwise).
  Workspace& ready() const;
  VideoFrame copy(Workspace& w, const VideoFrame& frame);
  // A device copy of host bytes (a frame decoded on the CPU); enqueued.
  std::shared_ptr<Buffer> upload(Workspace& w, Buffer& host);
  RgbImage convert(Workspace& w, const VideoFrame& frame, bool bgr);
  // Frames decoded on the CPU (fallback) go to the device once per call: `frame` itself
  // when it is in device memory (or null), else its copy there, kept in `uploaded`.
  using Uploads = std::unordered_map<const VideoFrame*, VideoFrame>;
  const VideoFrame* on_device_copy(Workspace& w, const VideoFrame* frame, Uploads& uploaded);

  const int ordinal_;
  const size_t max_idle_decoders_;
  mutable Mutex mutex_;  // serialises work on the stream, and prepare()
  // Set once by prepare() under mutex_, before any task that reads it is dispatched, and
  // never reset: decoding tasks read it without the lock (so it is not annotated).
  std::unique_ptr<Workspace> workspace_;
};

}  // namespace odvd::cuda
