#include "decode/fallback_device.hpp"

#include <utility>

#include "odvd/error.hpp"

namespace odvd {

FallbackDevice::FallbackDevice(std::unique_ptr<Device> gpu, std::unique_ptr<Device> cpu, FallbackNote on_fallback)
    : gpu_(std::move(gpu)), cpu_(std::move(cpu)), on_fallback_(std::move(on_fallback)) {}

std::unique_ptr<DecoderBackend> FallbackDevice::make_backend(const StreamDescription& stream) {
  try {
    return gpu_->make_backend(stream);
  } catch (const UnsupportedStream& e) {
    if (on_fallback_) on_fallback_(stream.label, e.reason());
  }
  return cpu_->make_backend(stream);
}

}  // namespace odvd
