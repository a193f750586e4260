// Device: where frames are decoded and where they live — the CPU (libavcodec, host
// memory) or a CUDA device (NVDEC, device memory). The decoders above (DecodeEngine and
// the user-facing GopDecoder / SampleReader) only talk to this interface; the one place
// that knows which devices exist is make_device() (decode/make_device.cpp).
//
// StreamDescription is what a device needs to decode one video stream; both a file's
// index and a stored GOP record build one (decode/stream_description.hpp).
//
// Note [Devices are made cold]: constructing a device touches no driver (no CUDA
// context, no decoder session): a decoder object made before a fork still works for
// demux-only calls in the child (Note [Fork]). prepare() does that work; the decoding
// calls run it before dispatching tasks.
//
// Thread-safety: every method may be called from any thread; implementations serialise
// what must be (the GPU's frame operations share one CUDA stream).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "odvd/decoder_backend.hpp"
#include "odvd/frame.hpp"
#include "odvd/tensor.hpp"
#include "odvd/types.hpp"

struct AVCodecParameters;  // FFmpeg's; opaque to everything but the CPU device

namespace odvd {

struct TensorPlan;  // tensor/tensor_plan.hpp

struct StreamDescription {
  std::string label;  // the file or bundle entry, for messages
  Codec codec = Codec::kUnknown;
  int av_codec_id = 0;       // AVCodecID
  int av_pixel_format = -1;  // AVPixelFormat of the decoded pictures, -1 unknown
  int width = 0;             // as the container or record says
  int height = 0;
  int bit_depth = 8;
  int chroma_format = 1;  // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
  ColorInfo color;
  // Annex-B parameter sets to send ahead of the first packet (decoder extradata); empty
  // when the packets carry their own, or the codec has none.
  std::vector<uint8_t> extradata;
  // The demuxer's parameters of a file's stream (they may say more than the fields
  // above: exotic codecs' extradata, field order); null for GOP records, whose fields
  // above are complete.
  std::shared_ptr<const AVCodecParameters> file_parameters;
};

// What a GPU decoder does with a stream its device cannot decode (UnsupportedStream):
// decode it on the CPU and upload its frames (decode/fallback_device.hpp), or fail.
enum class Fallback { kCpu, kRaise };

// "cpu" or "raise"; ArgumentError naming the `fallback` argument otherwise.
Fallback parse_fallback(const std::string& value);

class Device {
 public:
  // Device memory a device's pool holds: bytes live frames use, bytes kept for reuse
  // (both 0 on the CPU, or before the first decoding call).
  struct MemoryUse {
    int64_t live_bytes = 0;
    int64_t cached_bytes = 0;
  };

  virtual ~Device() = default;

  // "cpu" or "nvdec": the engine that decodes on this device.
  virtual const char* engine() const = 0;
  // The CUDA device ordinal, -1 on the CPU.
  virtual int ordinal() const = 0;

  // Readies the device for decoding (Note [Devices are made cold]); idempotent. Throws
  // MediaError when the device cannot be used.
  virtual void prepare() {}

  // A decoder backend for `stream`; call after prepare(). MediaError naming
  // `stream.label` when this device cannot decode it.
  virtual std::unique_ptr<DecoderBackend> make_backend(const StreamDescription& stream) = 0;

  // Each picked frame as a caller-owned frame on this device (a frame picked again gets
  // a copy of its own); null entries (Note [Damage policy]) give frames without a buffer.
  // Frames are complete when this returns.
  virtual std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) = 0;
  // Each picked frame converted to interleaved RGB (BGR with `bgr`) on this device;
  // null entries give images without a buffer. Complete when this returns.
  virtual std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) = 0;

  // Memory for a training batch of `bytes` bytes on this device (host memory on the CPU).
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;
  // Writes picked[i] into slot i of `target` as `plan` says (a null entry: zeros; Note
  // [Tensor values] in odvd/tensor.hpp). `target` is in this device's memory. Complete
  // when this returns, unless `stream` (a CUstream; GPUs only) is given: the writes are
  // then ordered on that stream, and the memory they read stays untouched until they end.
  virtual void write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan,
                            const TensorTarget& target, void* stream) = 0;

  // Frees idle decoder sessions / cached device memory (nothing to do on the CPU).
  virtual void release_decoders() {}
  virtual void release_memory() {}
  virtual MemoryUse memory_use() const { return {}; }
  // Hardware decoder sessions created so far (NVDEC); 0 on the CPU, whose decoders are not
  // a scarce hardware resource. For diagnostics and tests (Note [Sessions between streams]).
  virtual int64_t hardware_sessions_made() const { return 0; }
};

// The hand-out rule every device shares: the first use of a frame moves a reference to
// it out, later uses of the same frame get `copy(frame)`.
std::vector<VideoFrame> hand_out_frames(const std::vector<const VideoFrame*>& picked,
                                        const std::function<VideoFrame(const VideoFrame&)>& copy);

}  // namespace odvd
