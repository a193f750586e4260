// Kernel check of the training-batch kernel (src/tensor/cuda_tensor.hpp) against the CPU
// loops (src/tensor/cpu_tensor.hpp), which tests/python/test_tensor.py checks against a
// float64 reference: both run the arithmetic of tensor_math.hpp in the same order, so
// uint8 outputs agree within 1 level, float32 within 1e-5 (relative) and float16 /
// bfloat16 within one unit in the last place.
//
// Random batches: every pixel layout and bit depth, frames of different layouts and
// sizes in one batch, entries without a frame, odd sizes, random crops and output sizes
// (up and down), every dtype, layout and filter, normalisation, BGR. The batch sits
// between guard bytes in device memory, so a write outside it is caught.
//
// Usage: odvd_tensor_kernel_check [--seed N] [--time]
// Exit status: 0 all cases pass, 1 a mismatch or a CUDA failure, 77 no CUDA device.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel_check_util.hpp"
#include "odvd/error.hpp"
#include "tensor/cpu_tensor.hpp"
#include "tensor/cuda_tensor.hpp"
#include "tensor/tensor_plan.hpp"
#include "util/thread_pool.hpp"

namespace odvd {
namespace {

constexpr size_t kGuard = 4096;
constexpr uint8_t kGuardByte = 0xA5;

struct Layout {
  PixelFormat format;
  int depth;
};

const Layout kLayouts[] = {{PixelFormat::kNv12, 8},   {PixelFormat::kP016, 10},      {PixelFormat::kP016, 12},
                           {PixelFormat::kYuv444, 8}, {PixelFormat::kYuv444P16, 10}, {PixelFormat::kNv16, 8},
                           {PixelFormat::kP216, 10}};

struct Case {
  std::vector<VideoFrame> frames;  // host; a frame without a buffer is an entry without one
  TensorOptions options;
  std::string text;
};

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

Case make_case(std::mt19937& rng) {
  Case c;
  TensorOptions& o = c.options;
  o.dtype = static_cast<TensorDtype>(pick(rng, 0, 3));
  o.layout = static_cast<TensorLayout>(pick(rng, 0, 1));
  o.interpolation = static_cast<Interpolation>(pick(rng, 0, 2));
  o.antialias = pick(rng, 0, 1) == 1;
  o.bgr = pick(rng, 0, 1) == 1;
  if (o.dtype != TensorDtype::kUint8 && pick(rng, 0, 1) == 1) {
    o.normalize = true;
    for (int k = 0; k < 3; ++k) {
      o.mean[k] = std::uniform_real_distribution<float>(0.0F, 1.0F)(rng);
      o.std[k] = std::uniform_real_distribution<float>(0.05F, 1.0F)(rng);
    }
  }
  const int entries = pick(rng, 1, 4);
  const bool same_size = pick(rng, 0, 2) == 0;  // no output size: frames (or crops) must share one
  const int w = pick(rng, 1, 300);
  const int h = pick(rng, 1, 200);
  for (int i = 0; i < entries; ++i) {
    const Layout& l = kLayouts[pick(rng, 0, static_cast<int>(std::size(kLayouts)) - 1)];
    const int fw = same_size ? w : pick(rng, 1, 300);
    const int fh = same_size ? h : pick(rng, 1, 200);
    VideoFrame f = random_frame(l.format, l.depth, fw, fh, Padding::kRandom, rng);
    f.color = ColorInfo{static_cast<ColorRange>(pick(rng, 0, 2)),
                        pick(rng, 0, 1) == 1 ? ColorMatrix::kBt709 : ColorMatrix::kUnspecified};
    if (entries > 1 && pick(rng, 0, 7) == 0) f.buffer.reset();  // on_error="skip"
    c.frames.push_back(std::move(f));
  }
  int min_w = 1 << 30;
  int min_h = 1 << 30;
  for (const VideoFrame& f : c.frames) {
    min_w = std::min(min_w, f.width);
    min_h = std::min(min_h, f.height);
  }
  if (pick(rng, 0, 2) == 0) {
    o.crop.width = pick(rng, 1, min_w);
    o.crop.height = pick(rng, 1, min_h);
    o.crop.x = pick(rng, 0, min_w - o.crop.width);
    o.crop.y = pick(rng, 0, min_h - o.crop.height);
  }
  if (!same_size || pick(rng, 0, 1) == 1) {
    o.height = pick(rng, 1, 2 * min_h + 3);
    o.width = pick(rng, 1, 2 * min_w + 3);
  }
  c.text = std::to_string(entries) + " entries, first " + pixel_format_name(c.frames[0].format) + " " +
           std::to_string(c.frames[0].width) + "x" + std::to_string(c.frames[0].height) + " -> " +
           std::to_string(o.height) + "x" + std::to_string(o.width) + " " + tensor_dtype_name(o.dtype) + " " +
           tensor_layout_name(o.layout) + " " + interpolation_name(o.interpolation) + (o.antialias ? " aa" : "") +
           (o.normalize ? " normalised" : "") + (o.bgr ? " bgr" : "") + (o.crop.whole() ? "" : " cropped");
  return c;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000U) << 16;
  const int exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ffU;
  float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -24)
                     : (exp == 31 ? INFINITY : std::ldexp(static_cast<float>(mant | 0x400U), exp - 25));
  return sign ? -v : v;
}

float bfloat_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Element k of an output as a float (for messages).
float element(TensorDtype dtype, const uint8_t* p, size_t k) {
  switch (dtype) {
    case TensorDtype::kUint8: return p[k];
    case TensorDtype::kFloat32: {
      float f;
      std::memcpy(&f, p + 4 * k, 4);
      return f;
    }
    case TensorDtype::kFloat16:
    case TensorDtype::kBFloat16: {
      uint16_t h;
      std::memcpy(&h, p + 2 * k, 2);
      return dtype == TensorDtype::kFloat16 ? half_to_float(h) : bfloat_to_float(h);
    }
  }
  return 0.0F;
}

// Element k of both outputs agrees within the dtype's bound.
bool agree(TensorDtype dtype, const uint8_t* got, const uint8_t* want, size_t k) {
  switch (dtype) {
    case TensorDtype::kUint8: return std::abs(int{got[k]} - int{want[k]}) <= 1;
    case TensorDtype::kFloat32: {
      float a, b;
      std::memcpy(&a, got + 4 * k, 4);
      std::memcpy(&b, want + 4 * k, 4);
      return std::abs(a - b) <= 1e-5F * std::max(1.0F, std::abs(b));
    }
    case TensorDtype::kFloat16:
    case TensorDtype::kBFloat16: {
      uint16_t a, b;
      std::memcpy(&a, got + 2 * k, 2);
      std::memcpy(&b, want + 2 * k, 2);
      if (a == b) return true;
      const bool half = dtype == TensorDtype::kFloat16;
      const float fa = half ? half_to_float(a) : bfloat_to_float(a);
      const float fb = half ? half_to_float(b) : bfloat_to_float(b);
      // Neighbouring patterns of one sign are one unit apart (and +0 / -0 are equal).
      return ((a ^ b) & 0x8000U) == 0 ? std::abs(int{a} - int{b}) <= 1 : fa == 0.0F && fb == 0.0F;
    }
  }
  return false;
}

// `plan` (jobs pointed at device frames) in device memory, writing `count` slots to `out`.
struct DevicePlan {
  std::unique_ptr<DeviceMemory> block;
  DeviceTensorPlan plan;
};

DevicePlan upload_plan(const std::vector<TensorFrameJob>& jobs, const TensorPlan& plan, const TensorOptions& o,
                       int64_t count, uint8_t* out) {
  const PackedPlan packed = packed_plan_layout(jobs, plan.tables);
  std::vector<uint8_t> bytes(packed.bytes);
  pack_plan(jobs, plan.tables, packed, bytes.data());
  DevicePlan d;
  d.block = std::make_unique<DeviceMemory>(bytes.size());
  CHECK_CUDA(cudaMemcpy(d.block->get(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice));
  d.plan.jobs = reinterpret_cast<const TensorFrameJob*>(d.block->get());
  d.plan.tables = d.block->get() + packed.tables_offset;
  d.plan.count = count;
  d.plan.height = plan.height();
  d.plan.width = plan.width();
  d.plan.layout = o.layout;
  d.plan.dtype = o.dtype;
  d.plan.finish = plan.finish;
  d.plan.out = out;
  return d;
}

bool run_case(const Case& c, ThreadPool& pool, const Stream& stream) {
  std::vector<const VideoFrame*> picked;
  std::vector<std::string> labels;
  for (const VideoFrame& f : c.frames) {
    picked.push_back(f.buffer ? &f : nullptr);
    labels.push_back("entry " + std::to_string(labels.size()));
  }
  const TensorPlan plan = make_tensor_plan(picked, labels, c.options);
  TensorTarget want;
  want.count = static_cast<int64_t>(picked.size());
  want.height = plan.height();
  want.width = plan.width();
  want.layout = c.options.layout;
  want.dtype = c.options.dtype;
  want.buffer = make_host_buffer(static_cast<size_t>(want.bytes()));
  write_tensor_on_cpu(plan, want, pool);

  // The same plan on the device: frames uploaded, jobs pointed at them.
  std::vector<VideoFrame> on_device;
  std::vector<TensorFrameJob> jobs = plan.jobs;
  for (size_t i = 0; i < picked.size(); ++i) {
    if (picked[i] == nullptr) continue;
    on_device.push_back(upload(*picked[i]));
    set_job_source(jobs[i], on_device.back());
  }
  const auto bytes = static_cast<size_t>(want.bytes());
  DeviceMemory out(bytes + 2 * kGuard);
  CHECK_CUDA(cudaMemset(out.get(), kGuardByte, bytes + 2 * kGuard));
  const DevicePlan d = upload_plan(jobs, plan, c.options, want.count, out.get() + kGuard);
  const DeviceTensorPlan& p = d.plan;
  const std::string error = enqueue_tensor_plan(p, stream.get());
  if (!error.empty()) throw MediaError(error);
  CHECK_CUDA(cudaStreamSynchronize(stream.get()));
  std::vector<uint8_t> got(bytes + 2 * kGuard);
  CHECK_CUDA(cudaMemcpy(got.data(), out.get(), got.size(), cudaMemcpyDeviceToHost));

  size_t guard_errors = 0;
  for (size_t i = 0; i < kGuard; ++i) guard_errors += (got[i] != kGuardByte) + (got[kGuard + bytes + i] != kGuardByte);
  const size_t elements = bytes / tensor_dtype_size(want.dtype);
  size_t wrong = 0;
  size_t first_wrong = 0;
  for (size_t k = 0; k < elements; ++k) {
    if (!agree(want.dtype, got.data() + kGuard, want.buffer->data(), k)) {
      if (wrong++ == 0) first_wrong = k;
    }
  }
  if (guard_errors == 0 && wrong == 0) return true;
  std::printf("FAIL %s: %zu guard bytes overwritten, %zu of %zu elements differ (first at %zu: GPU %.9g, CPU %.9g)\n",
              c.text.c_str(), guard_errors, wrong, elements, first_wrong,
              wrong == 0 ? 0.0 : double(element(want.dtype, got.data() + kGuard, first_wrong)),
              wrong == 0 ? 0.0 : double(element(want.dtype, want.buffer->data(), first_wrong)));
  return false;
}

// Median time of the kernel for a batch like the benchmark's: `entries` NV12 frames of
// 1600x900 into (entries, 3, 448, 800) float16, normalised, NCHW.
void run_timing(const Stream& stream, std::mt19937& rng) {
  for (const bool identity : {false, true}) {
    const int entries = 6;
    std::vector<VideoFrame> host;
    std::vector<VideoFrame> device;
    std::vector<const VideoFrame*> picked;
    std::vector<std::string> labels;
    for (int i = 0; i < entries; ++i) {
      host.push_back(random_frame(PixelFormat::kNv12, 8, 1600, 900, Padding::kAligned256, rng));
      device.push_back(upload(host.back()));
      labels.push_back("entry " + std::to_string(i));
    }
    for (const VideoFrame& f : device) picked.push_back(&f);
    TensorOptions o;
    if (!identity) {
      o.height = 448;
      o.width = 800;
      o.dtype = TensorDtype::kFloat16;
      o.normalize = true;
      o.mean = {0.485F, 0.456F, 0.406F};
      o.std = {0.229F, 0.224F, 0.225F};
    }
    const TensorPlan plan = make_tensor_plan(picked, labels, o);
    const size_t out_bytes =
        static_cast<size_t>(entries) * 3 * plan.height() * plan.width() * tensor_dtype_size(o.dtype);
    DeviceMemory out(out_bytes);
    const DevicePlan d = upload_plan(plan.jobs, plan, o, entries, out.get());
    const DeviceTensorPlan& p = d.plan;
    Event start, stop;
    std::vector<float> ms;
    for (int i = 0; i < 220; ++i) {
      CHECK_CUDA(cudaEventRecord(start.get(), stream.get()));
      const std::string error = enqueue_tensor_plan(p, stream.get());
      if (!error.empty()) throw MediaError(error);
      CHECK_CUDA(cudaEventRecord(stop.get(), stream.get()));
      CHECK_CUDA(cudaEventSynchronize(stop.get()));
      float elapsed = 0;
      CHECK_CUDA(cudaEventElapsedTime(&elapsed, start.get(), stop.get()));
      if (i >= 20) ms.push_back(elapsed);
    }
    const double us = median(ms) * 1000.0;
    const double read = entries * 1600.0 * 900 * 1.5;
    std::printf(
        "time: 6 x NV12 1600x900 -> %s: %8.1f us per call, %6.1f us per frame (%.1f MB read once, "
        "%.1f MB written)\n",
        identity ? "(6, 3, 900, 1600) uint8 (no resize)" : "(6, 3, 448, 800) float16 normalised", us, us / entries,
        read / 1e6, out_bytes / 1e6);
  }
}

int run(int argc, char** argv) {
  bool timing = false;
  unsigned seed = 20261206;
  int cases = 400;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--time") == 0) {
      timing = true;
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
      cases = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--cases N] [--time]\n", argv[0]);
      return 2;
    }
  }
  if (!have_device()) return kExitSkip;
  std::mt19937 rng(seed);
  ThreadPool pool(2);
  Stream stream;
  int failed = 0;
  for (int i = 0; i < cases; ++i) failed += run_case(make_case(rng), pool, stream) ? 0 : 1;
  std::printf("tensor_kernel_check: %s: %d random batches (%d failed), seed %u\n", failed == 0 ? "PASS" : "FAIL", cases,
              failed, seed);
  if (timing) run_timing(stream, rng);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace odvd

int main(int argc, char** argv) {
  try {
    return odvd::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    return 1;
  }
}
