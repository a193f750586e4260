// DecodeEngine: what every user-facing decoder (GopDecoder, SampleReader) is built on —
// the worker pool, the Device that decodes and holds frames (odvd/device.hpp: the CPU or
// a CUDA device's NVDEC, chosen by make_device()), session and backend factories over
// it, colour-range warnings and work counters. Nothing here knows which device it is.
//
// Thread-safety: every method may be called from any thread (several calls of the
// owning decoder may run at once: Note [Parallel calls]); the device serialises what
// must be.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "decode/file_session.hpp"
#include "ffmpeg/video_index.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/decoder_backend.hpp"
#include "odvd/device.hpp"
#include "odvd/frame.hpp"
#include "odvd/mutex.hpp"
#include "util/lru_cache.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

struct EngineOptions {
  EngineOptions() = default;
  // The fields every user-facing decoder passes through (its own options validated first).
  EngineOptions(int sessions, int device_, bool suppress_warning, int workers, int decoder_threads_)
      : max_sessions(sessions),
        device(device_),
        suppress_no_color_range_warning(suppress_warning),
        worker_threads(workers),
        decoder_threads(decoder_threads_) {}

  // Decoder sessions the owner keeps (idle NVDEC decoders kept, libavcodec threads split).
  int max_sessions = 1;
  // -1 selects the CPU back end (libavcodec); >= 0 the CUDA device whose NVDEC decodes.
  int device = -1;
  bool suppress_no_color_range_warning = false;
  // The most threads decoding files and converting colour; 0 = one per hardware thread (on
  // a GPU at least one per session). They start as calls need them (util/thread_pool.hpp).
  int worker_threads = 0;
  // libavcodec threads per file; 0 = hardware threads / min(max_sessions, workers).
  int decoder_threads = 0;
  // On a GPU: streams NVDEC refuses decode on the CPU (kCpu) or fail (kRaise).
  Fallback fallback = Fallback::kCpu;
};

struct WorkStats {
  int64_t packets_sent = 0;
  int64_t gop_starts = 0;
  int64_t continuations = 0;
  int64_t ahead_gops = 0;    // GOPs decoded ahead that came back whole (Note [Decode ahead])
  int64_t ahead_frames = 0;  // frames handed out from them
  int64_t ahead_failed = 0;  // GOPs whose decode ahead failed (their frames decoded by streaming)
  // The most bytes of frames one file held ahead at once (a maximum, not a sum).
  int64_t ahead_peak_bytes = 0;
};

class DecodeEngine {
 public:
  // Checks the options (ArgumentError) and the device ordinal (MediaError), creating no
  // CUDA context (Note [Devices are made cold] in odvd/device.hpp).
  explicit DecodeEngine(const EngineOptions& options);
  ~DecodeEngine();
  DecodeEngine(const DecodeEngine&) = delete;
  DecodeEngine& operator=(const DecodeEngine&) = delete;

  const EngineOptions& options() const { return options_; }
  ThreadPool& pool() { return pool_; }
  Device& device() { return *device_; }

  // Readies the device (the GPU's context, memory and sessions); call before decoding
  // work is dispatched.
  void prepare_device() { device_->prepare(); }

  std::shared_ptr<FileSession> make_session(std::shared_ptr<const VideoIndex> index, bool always_stream = false);
  // The warm session under `key` in `sessions` (a file's path, or a path and a lane), or a
  // new one on `index` put there, charged warm_session_bytes (a rescanned, i.e. changed,
  // file gets a new session). The caller holds the session it gets even if the cache
  // drops it at once (over its byte budget).
  std::shared_ptr<FileSession> session_in(LruCache<std::string, FileSession>& sessions, const std::string& key,
                                          const std::shared_ptr<const VideoIndex>& index, bool always_stream = false);
  // A backend for a record's stream (`record` completed by complete_stream_description).
  std::unique_ptr<DecoderBackend> make_record_backend(const GopRecord& record, const std::string& label);

  // Each entry's frame as a caller-owned YUV frame (repeats of one frame get copies),
  // or converted to RGB/BGR; device work is complete when these return. A null entry (no
  // frame: Note [Damage policy]) gives a frame / image without a buffer.
  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) { return device_->hand_out(picked); }
  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr);

  // Training batches (odvd/tensor.hpp). check_tensor_request(): the checks that need no
  // frames, made before decoding — `out` (when it has a buffer) holds `entries` slots in
  // this device's memory, and `stream` is only given on a GPU; ArgumentError otherwise.
  void check_tensor_request(const TensorTarget& out, size_t entries, void* stream) const;
  // Writes picked[i] (labels[i] names it in messages) into slot i of `out`, or of a batch
  // allocated on this device when `out` has no buffer (ArgumentError when out's size is
  // not the one `options` give); returns the batch written.
  TensorTarget write_tensor(const std::vector<const VideoFrame*>& picked, const std::vector<std::string>& labels,
                            const TensorOptions& options, TensorTarget out, void* stream);

  // Records a warning for a file that does not signal its colour range (once per path).
  void note_color_range(const VideoIndex& index);
  // Records a warning for a file that decodes on the CPU because the GPU refused it.
  void note_fallback(const std::string& label, const std::string& reason);
  std::vector<std::string> take_warnings();

  void add_stats(const WorkStats& delta);
  WorkStats stats() const;

  // Frees idle NVDEC decoders / unreferenced device memory (nothing on the CPU).
  void release_decoders() { device_->release_decoders(); }
  void release_memory() { device_->release_memory(); }
  using MemoryUse = Device::MemoryUse;
  MemoryUse memory_use() const { return device_->memory_use(); }
  int64_t hardware_sessions_made() const { return device_->hardware_sessions_made(); }

 private:
  EngineOptions options_;
  ThreadPool pool_;
  std::unique_ptr<Device> device_;  // after pool_, which the CPU device uses
  mutable Mutex stats_mutex_;
  WorkStats totals_ ODVD_GUARDED_BY(stats_mutex_);
  Mutex warnings_mutex_;
  std::vector<std::string> warnings_ ODVD_GUARDED_BY(warnings_mutex_);
  std::unordered_set<std::string> warned_paths_ ODVD_GUARDED_BY(warnings_mutex_);
  std::unordered_set<std::string> fallback_paths_ ODVD_GUARDED_BY(warnings_mutex_);
};

// Work a session did between two snapshots of its counters.
WorkStats stats_between(const SessionStats& before, const SessionStats& after);

}  // namespace odvd
