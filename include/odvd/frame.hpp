// Decoded pictures and the memory that holds them.
//
// Ownership (Note [Frame lifetime]): a frame holds a shared_ptr to its Buffer. Python
// objects and every tensor exported from them (buffer protocol, __array_interface__,
// DLPack) hold a reference to the same Buffer, so memory is freed, or given back to a
// pool, only when nothing can read it any more. Frames never change after a decode
// call returns.
//
// Thread-safety: frames are immutable values once returned; Buffers may be released
// from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "odvd/types.hpp"

namespace odvd {

enum class MemoryKind { kHost, kCuda };

// A block of memory owned by whoever holds the shared_ptr to it.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual uint8_t* data() = 0;
  virtual size_t size() const = 0;
  virtual MemoryKind kind() const = 0;
  virtual int device() const { return -1; }  // CUDA ordinal, -1 for host memory
  // Device memory exported to a consumer that reads it on `stream` (a CUstream; nullptr
  // when unknown), so the memory is not reused before that stream's work on it is done
  // (Note [Device memory pool]). Host memory needs nothing.
  virtual void note_consumer_stream(void* /*stream*/) {}
};

// 64-byte aligned host memory (aligned for SIMD loads and DLPack consumers).
class HostBuffer final : public Buffer {
 public:
  explicit HostBuffer(size_t size);
  ~HostBuffer() override;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  uint8_t* data() override { return data_; }
  size_t size() const override { return size_; }
  MemoryKind kind() const override { return MemoryKind::kHost; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

std::shared_ptr<Buffer> make_host_buffer(size_t size);

// One plane of a picture inside its Buffer.
struct Plane {
  size_t offset = 0;  // bytes from Buffer::data()
  int width = 0;      // in samples (an interleaved UV plane counts U and V: 2 per pair)
  int height = 0;     // in rows
  int pitch = 0;      // bytes between rows
  int bytes_per_sample = 1;
};

// A decoded YUV picture in one of the PixelFormat layouts.
struct VideoFrame {
  std::shared_ptr<Buffer> buffer;
  PixelFormat format = PixelFormat::kNv12;
  int width = 0;   // display width in pixels
  int height = 0;  // display height in pixels
  int bit_depth = 8;
  int num_planes = 0;
  std::array<Plane, 3> planes{};
  int64_t pts = 0;  // presentation timestamp, stream time base
  ColorInfo color;  // as signalled by the demuxer (not yet defaulted)
  // The engine that decoded the picture: "cpu" (libavcodec) or "nvdec". A frame decoded
  // on the CPU for a GPU decoder (fallback) says "cpu" and lives in device memory.
  const char* decoded_by = "cpu";

  const uint8_t* plane_data(int i) const { return buffer->data() + planes[i].offset; }
  uint8_t* plane_data(int i) { return buffer->data() + planes[i].offset; }
  size_t byte_size() const;
};

// The plane geometry of a frame of the given layout, without memory: planes packed
// one after another in a single buffer of byte_size() bytes, all with one pitch (NV12 /
// P016 / NV16 / P216: 2 * ceil(width / 2) samples, so the whole picture is also one 2-D
// array; the UV plane has ceil(height / 2) rows in 4:2:0 and height rows in 4:2:2).
VideoFrame frame_layout(PixelFormat format, int width, int height, int bit_depth);

// Allocates a host VideoFrame of frame_layout(); padding bytes (odd widths) are zero.
VideoFrame allocate_host_frame(PixelFormat format, int width, int height, int bit_depth);

// Deep copy into fresh host memory (used when one call returns the same frame twice,
// so every returned entry owns distinct memory).
VideoFrame copy_frame(const VideoFrame& frame);

// An interleaved 8-bit RGB or BGR image, HWC, tightly packed (stride = 3 * width).
struct RgbImage {
  std::shared_ptr<Buffer> buffer;
  int width = 0;
  int height = 0;
  bool bgr = false;
  int64_t pts = 0;
  const char* decoded_by = "cpu";  // as the frame it was converted from (VideoFrame)

  int stride() const { return 3 * width; }
};

// The image `frame` converts to (size, order, timestamp, engine), without memory yet: what
// every converter fills in the same way.
RgbImage rgb_image_of(const VideoFrame& frame, bool bgr);

}  // namespace odvd
