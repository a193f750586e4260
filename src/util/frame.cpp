// Host buffers and frame allocation (odvd/frame.hpp).
#include <cstdlib>
#include <cstring>
#include <new>

#include "odvd/error.hpp"
#include "odvd/frame.hpp"

namespace odvd {
namespace {
constexpr size_t kAlignment = 64;
}  // namespace

HostBuffer::HostBuffer(size_t size) : size_(size) {
  size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  data_ = static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded));
  if (data_ == nullptr) throw std::bad_alloc();
}

HostBuffer::~HostBuffer() {
  std::free(data_);
}

std::shared_ptr<Buffer> make_host_buffer(size_t size) {
  return std::make_shared<HostBuffer>(size);
}

size_t VideoFrame::byte_size() const {
  size_t total = 0;
  for (int i = 0; i < num_planes; ++i) total += static_cast<size_t>(planes[i].pitch) * planes[i].height;
  return total;
}

VideoFrame frame_layout(PixelFormat format, int width, int height, int bit_depth) {
  ODVD_CHECK(width > 0 && height > 0);
  VideoFrame frame;
  frame.format = format;
  frame.width = width;
  frame.height = height;
  frame.bit_depth = bit_depth;
  const int bps = is_16bit(format) ? 2 : 1;
  // One pitch for every plane, so the whole picture is also a single 2-D array
  // (NV12: (height + chroma rows) x pitch, as NVDEC frames are).
  auto set_plane = [&](int i, int w, int h, int pitch) { frame.planes[i] = Plane{0, w, h, pitch, bps}; };
  if (is_semiplanar(format)) {
    const int chroma_w = (width + 1) / 2;
    const int pitch = 2 * chroma_w * bps;
    const int shift = chroma_row_shift(format);
    frame.num_planes = 2;
    set_plane(0, width, height, pitch);
    set_plane(1, 2 * chroma_w, (height + shift) >> shift, pitch);
  } else {
    frame.num_planes = 3;
    for (int i = 0; i < 3; ++i) set_plane(i, width, height, width * bps);
  }
  size_t offset = 0;
  for (int i = 0; i < frame.num_planes; ++i) {
    frame.planes[i].offset = offset;
    offset += static_cast<size_t>(frame.planes[i].pitch) * frame.planes[i].height;
  }
  return frame;
}

VideoFrame allocate_host_frame(PixelFormat format, int width, int height, int bit_depth) {
  VideoFrame frame = frame_layout(format, width, height, bit_depth);
  const size_t size = frame.byte_size();
  frame.buffer = make_host_buffer(size);
  const int bps = is_16bit(format) ? 2 : 1;
  if (frame.planes[0].pitch != width * bps) std::memset(frame.buffer->data(), 0, size);  // odd width: padding
  return frame;
}

VideoFrame copy_frame(const VideoFrame& frame) {
  ODVD_CHECK(frame.buffer && frame.buffer->kind() == MemoryKind::kHost);
  VideoFrame copy = frame;
  copy.buffer = make_host_buffer(frame.buffer->size());
  std::memcpy(copy.buffer->data(), frame.buffer->data(), frame.buffer->size());
  return copy;
}

RgbImage rgb_image_of(const VideoFrame& frame, bool bgr) {
  RgbImage image;
  image.width = frame.width;
  image.height = frame.height;
  image.bgr = bgr;
  image.pts = frame.pts;
  image.decoded_by = frame.decoded_by;
  return image;
}

}  // namespace odvd
