// What the kernel checks share (color_kernel_check.cu, tensor_kernel_check.cu): RAII
// CUDA memory, streams and events for the harness, random frames of every layout in
// host memory and their device copies, and the "no device" exit. Header-only: each
// check is one translation unit.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "odvd/frame.hpp"
#include "odvd/types.hpp"

namespace odvd {
namespace {

constexpr int kExitSkip = 77;

// A failure of the harness itself (not of the kernel under test): report and stop.
void check_cuda(cudaError_t err, const char* expr, int line) {
  if (err == cudaSuccess) return;
  std::fprintf(stderr, "FAIL: line %d: %s: %s: %s\n", line, expr, cudaGetErrorName(err), cudaGetErrorString(err));
  std::exit(1);
}
#define CHECK_CUDA(expr) check_cuda((expr), #expr, __LINE__)

// One cudaMalloc allocation, freed on destruction.
class DeviceMemory {
 public:
  explicit DeviceMemory(size_t size) : size_(size) { CHECK_CUDA(cudaMalloc(&ptr_, size == 0 ? 1 : size)); }
  ~DeviceMemory() { cudaFree(ptr_); }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  uint8_t* get() const { return static_cast<uint8_t*>(ptr_); }
  size_t size() const { return size_; }

 private:
  void* ptr_ = nullptr;
  size_t size_ = 0;
};

// A Buffer over bytes [offset, offset + size) of a DeviceMemory, so an image can sit
// between guard bytes.
class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(std::shared_ptr<DeviceMemory> memory, size_t offset, size_t size, int device)
      : memory_(std::move(memory)), offset_(offset), size_(size), device_(device) {}

  uint8_t* data() override { return memory_->get() + offset_; }
  size_t size() const override { return size_; }
  MemoryKind kind() const override { return MemoryKind::kCuda; }
  int device() const override { return device_; }

 private:
  std::shared_ptr<DeviceMemory> memory_;
  size_t offset_;
  size_t size_;
  int device_;
};

// RAII cudaStream_t.
class Stream {
 public:
  Stream() { CHECK_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// RAII cudaEvent_t.
class Event {
 public:
  Event() { CHECK_CUDA(cudaEventCreate(&event_)); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

int current_device() {
  int device = -1;
  CHECK_CUDA(cudaGetDevice(&device));
  return device;
}

// ---- frames ----

struct PlaneShape {
  int samples;  // per row
  int rows;
};

std::vector<PlaneShape> plane_shapes(PixelFormat format, int width, int height) {
  if (is_semiplanar(format)) {
    return {{width, height}, {2 * ((width + 1) / 2), chroma_row_shift(format) == 1 ? (height + 1) / 2 : height}};
  }
  return {{width, height}, {width, height}, {width, height}};
}

// How a test frame's planes are laid out in their buffer.
enum class Padding { kTight, kRandom, kAligned256 };

int pitch_for(int row_bytes, int bps, Padding padding, std::mt19937& rng) {
  switch (padding) {
    case Padding::kTight: return row_bytes;
    case Padding::kRandom: return row_bytes + bps * static_cast<int>(rng() % 97);
    case Padding::kAligned256: return (row_bytes + 255) / 256 * 256;
  }
  return row_bytes;
}

void fill_random(uint8_t* bytes, size_t size, std::mt19937& rng) {
  for (size_t i = 0; i < size; i += 4) {
    const uint32_t word = rng();
    std::memcpy(bytes + i, &word, std::min<size_t>(4, size - i));
  }
}

// Turns the random words of plane i into valid high-aligned samples of `depth` bits.
void make_high_aligned(VideoFrame& frame, int i, const PlaneShape& shape, int depth) {
  for (int y = 0; y < shape.rows; ++y) {
    uint8_t* row = frame.plane_data(i) + static_cast<size_t>(y) * frame.planes[i].pitch;
    for (int x = 0; x < shape.samples; ++x) {
      uint16_t word;
      std::memcpy(&word, row + 2 * x, 2);
      word = static_cast<uint16_t>((word & ((1u << depth) - 1)) << (16 - depth));
      std::memcpy(row + 2 * x, &word, 2);
    }
  }
}

// A host frame with random samples (high-aligned for 16-bit formats) and random bytes
// in padding and in the gaps between planes.
VideoFrame random_frame(PixelFormat format, int depth, int width, int height, Padding padding, std::mt19937& rng) {
  VideoFrame frame;
  frame.format = format;
  frame.width = width;
  frame.height = height;
  frame.bit_depth = depth;
  const int bps = is_16bit(format) ? 2 : 1;
  const std::vector<PlaneShape> shapes = plane_shapes(format, width, height);
  frame.num_planes = static_cast<int>(shapes.size());
  size_t offset = 0;
  for (int i = 0; i < frame.num_planes; ++i) {
    const int pitch = pitch_for(shapes[i].samples * bps, bps, padding, rng);
    offset += padding == Padding::kRandom ? bps * (rng() % 64) : 0;
    frame.planes[i] = Plane{offset, shapes[i].samples, shapes[i].rows, pitch, bps};
    offset += static_cast<size_t>(pitch) * shapes[i].rows;
  }
  frame.buffer = make_host_buffer(offset);
  fill_random(frame.buffer->data(), offset, rng);
  if (bps == 2) {
    for (int i = 0; i < frame.num_planes; ++i) make_high_aligned(frame, i, shapes[i], depth);
  }
  return frame;
}

// The same frame in device memory (same plane offsets and pitches).
VideoFrame upload(const VideoFrame& host) {
  const size_t size = host.buffer->size();
  auto memory = std::make_shared<DeviceMemory>(size);
  CHECK_CUDA(cudaMemcpy(memory->get(), host.buffer->data(), size, cudaMemcpyHostToDevice));
  VideoFrame device = host;
  device.buffer = std::make_shared<DeviceBuffer>(std::move(memory), 0, size, current_device());
  return device;
}

double median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool have_device() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess && count > 0) return true;
  std::printf("skipped: no CUDA device (%s)\n", err == cudaSuccess ? "0 devices" : cudaGetErrorName(err));
  return false;
}

}  // namespace
}  // namespace odvd
