#include "cuda/gpu_workspace.hpp"

#include "color/cuda_color.hpp"
#include "odvd/error.hpp"

namespace odvd::cuda {

GpuWorkspace::GpuWorkspace(int ordinal, size_t max_idle_decoders)
    : device_(device_context(ordinal)),
      memory_(DevicePool::for_device(ordinal)),
      decoders_(std::make_shared<NvdecDecoderPool>(device_, max_idle_decoders)),
      stream_(device_) {}

std::unique_ptr<DecoderBackend> GpuWorkspace::make_backend(const NvdecStream& stream, const std::string& label) {
  return std::make_unique<NvdecBackend>(decoders_, memory_, stream, label);
}

VideoFrame GpuWorkspace::copy(const VideoFrame& frame) {
  ODVD_CHECK(frame.buffer && frame.buffer->kind() == MemoryKind::kCuda);
  VideoFrame out = frame;
  const size_t size = frame.buffer->size();
  out.buffer = memory_->allocate(size, stream_.get());
  ContextScope scope(device_.context);
  check(driver().cu->cuMemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(out.buffer->data()),
                                       reinterpret_cast<CUdeviceptr>(frame.buffer->data()), size, stream_.get()),
        "copying a frame on CUDA device " + std::to_string(device_.ordinal));
  return out;
}

RgbImage GpuWorkspace::convert(const VideoFrame& frame, bool bgr) {
  ODVD_CHECK(frame.buffer && frame.buffer->kind() == MemoryKind::kCuda);
  RgbImage image;
  image.width = frame.width;
  image.height = frame.height;
  image.bgr = bgr;
  image.pts = frame.pts;
  image.buffer = memory_->allocate(static_cast<size_t>(image.stride()) * image.height, stream_.get());
  ContextScope scope(device_.context);  // the CUDA runtime launches into the current (primary) context
  const std::string error = enqueue_yuv_to_rgb(frame, image, stream_.get());
  if (!error.empty()) {
    throw MediaError("colour conversion on CUDA device " + std::to_string(device_.ordinal) + " failed: " + error);
  }
  return image;
}

void GpuWorkspace::synchronize() {
  stream_.synchronize("CUDA device " + std::to_string(device_.ordinal));
}

}  // namespace odvd::cuda
