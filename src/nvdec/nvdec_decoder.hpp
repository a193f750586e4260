// NvdecDecoder: one NVDEC decoder session (CUvideodecoder), and NvdecDecoderPool, the
// sessions a GopDecoder keeps for reuse.
//
// Creating a decoder allocates its decode surfaces and costs milliseconds; files of one
// codec, chroma format and bit depth can share one. A session is created for the
// largest coded size it has seen (ulMaxWidth/ulMaxHeight) and reconfigured
// (cuvidReconfigureDecoder) for smaller or differently cropped streams, so a pool of
// them serves any mix of files. The pool keeps at most `max_idle` idle sessions.
//
// Note [NVDEC geometry]
//   NVDEC can crop (display_area) and scale (ulTargetWidth/Height) while it maps a
//   picture. We ask for neither: the output surface is the whole coded picture, and
//   copy_out takes the display rectangle from it. Cropping in hardware with an even
//   target size (NV12 likes even sizes) silently *scaled* every odd-sized picture
//   (a 641x361 VP9 stream came out resampled from 641 to 642 columns: wrong pixels and no
//   error). H.264 and HEVC 4:2:0 crop in units of two samples, so only codecs that code
//   odd sizes directly (VP9, AV1) met it. In the surface the chroma plane starts at the
//   target height rounded up to even (what NVIDIA's own samples do).
//
// Capabilities: check_support() asks cuvidGetDecoderCaps before anything is created and
// raises a MediaError that says what this GPU can decode, instead of failing later.
//
// Thread-safety: an NvdecDecoder is used by one thread at a time; the pool is safe from
// any thread. Destruction may happen on any thread (Note [Primary context]).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuda/cuda_driver.hpp"
#include "odvd/mutex.hpp"
#include "odvd/types.hpp"

namespace odvd::cuda {

// What decides whether a session can be shared.
struct NvdecKey {
  cudaVideoCodec codec = cudaVideoCodec_H264;
  cudaVideoChromaFormat chroma = cudaVideoChromaFormat_420;
  int bit_depth = 8;
  bool operator==(const NvdecKey& o) const {
    return codec == o.codec && chroma == o.chroma && bit_depth == o.bit_depth;
  }
};

// What NVDEC on a device decodes: one entry per codec our NVDEC path takes (the codec
// table), chroma format (4:2:0, 4:2:2, 4:4:4) and bit depth (8, 10, 12), as
// cuvidGetDecoderCaps answers; whether the library's NVDEC path takes the chroma format
// too (it puts out 4:2:0 only).
struct NvdecCapability {
  Codec codec = Codec::kUnknown;
  int chroma_format = 1;
  int bit_depth = 8;
  bool supported = false;  // by the hardware
  bool used = false;       // by the library (supported, and 4:2:0)
  int min_width = 0, min_height = 0, max_width = 0, max_height = 0;
};
std::vector<NvdecCapability> nvdec_capabilities(const DeviceContext& device);

// Throws UnsupportedStream: `label`'s stream is one NVDEC cannot decode, for `reason`.
[[noreturn]] void refuse(const std::string& label, const std::string& reason);

// The cuvid codec of one of ours; throws UnsupportedStream for codecs NVDEC has no name for.
cudaVideoCodec to_cuvid_codec(Codec codec, const std::string& label);

// Throws MediaError naming `label` unless the GPU decodes `key` at `width` x `height`.
void check_support(const DeviceContext& device, const NvdecKey& key, int width, int height, const std::string& label);

class NvdecDecoder {
 public:
  // Creates a session for the stream described by the parser's `format`, with
  // `surfaces` decode surfaces.
  NvdecDecoder(const DeviceContext& device, const NvdecKey& key, const CUVIDEOFORMAT& format, int surfaces);
  ~NvdecDecoder();
  NvdecDecoder(const NvdecDecoder&) = delete;
  NvdecDecoder& operator=(const NvdecDecoder&) = delete;

  // Whether this session can decode `format` (after configure()).
  bool can_serve(const NvdecKey& key, const CUVIDEOFORMAT& format, int surfaces) const;
  // Whether the session is configured for `format`'s coded size (configure() needs no
  // cuvidReconfigureDecoder).
  bool configured_for(const CUVIDEOFORMAT& format) const;
  // Makes the session decode `format` (display area, size); false if reconfiguring failed.
  bool configure(const CUVIDEOFORMAT& format);

  CUvideodecoder handle() const { return decoder_; }
  const NvdecKey& key() const { return key_; }
  // The display rectangle inside the output surface, and the luma rows before the
  // surface's chroma plane (Note [NVDEC geometry]).
  int display_left() const { return display_left_; }
  int display_top() const { return display_top_; }
  int display_width() const { return display_width_; }
  int display_height() const { return display_height_; }
  int surface_chroma_row() const { return (target_height_ + 1) & ~1; }

 private:
  void set_geometry(const CUVIDEOFORMAT& format);

  CUcontext context_;
  NvdecKey key_;
  CUvideodecoder decoder_ = nullptr;
  int max_width_ = 0;
  int max_height_ = 0;
  int surfaces_ = 0;
  // Current configuration.
  int coded_width_ = 0;
  int coded_height_ = 0;
  int display_left_ = 0, display_top_ = 0, display_right_ = 0, display_bottom_ = 0;
  int display_width_ = 0;
  int display_height_ = 0;
  int target_width_ = 0;
  int target_height_ = 0;
};

// An owned cuvid parser; destroying it (or reset()) calls cuvidDestroyVideoParser.
class VideoParser {
 public:
  VideoParser() = default;
  // MediaError "<what>: <CUDA error>" when the driver refuses.
  VideoParser(CUVIDPARSERPARAMS& params, const std::string& what);
  ~VideoParser() { reset(); }
  VideoParser(VideoParser&& other) noexcept : parser_(std::exchange(other.parser_, nullptr)) {}
  VideoParser& operator=(VideoParser&& other) noexcept {
    if (this != &other) {
      reset();
      parser_ = std::exchange(other.parser_, nullptr);
    }
    return *this;
  }
  VideoParser(const VideoParser&) = delete;
  VideoParser& operator=(const VideoParser&) = delete;

  CUvideoparser get() const { return parser_; }
  explicit operator bool() const { return parser_ != nullptr; }
  void reset() noexcept;

 private:
  CUvideoparser parser_ = nullptr;
};

class NvdecDecoderPool {
 public:
  NvdecDecoderPool(const DeviceContext& device, size_t max_idle) : device_(device), max_idle_(max_idle) {}

  // An idle session that can serve `format` (one of its coded size first, else one
  // reconfigured for it), or a new one.
  std::unique_ptr<NvdecDecoder> take(const NvdecKey& key, const CUVIDEOFORMAT& format, int surfaces);
  void give_back(std::unique_ptr<NvdecDecoder> decoder);
  void clear();
  const DeviceContext& device() const { return device_; }
  // Sessions take() has created so far.
  int64_t made() const { return made_.load(std::memory_order_relaxed); }

 private:
  const DeviceContext& device_;
  size_t max_idle_;
  std::atomic<int64_t> made_{0};
  Mutex mutex_;
  std::vector<std::unique_ptr<NvdecDecoder>> idle_ ODVD_GUARDED_BY(mutex_);  // most recently returned last
};

}  // namespace odvd::cuda
