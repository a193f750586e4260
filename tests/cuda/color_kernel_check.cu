// Kernel check of the CUDA colour conversion (src/color/cuda_color.hpp) against its CPU
// reference, convert_to_rgb(): the two must agree bit for bit (Note [Colour conversion]).
//
// For every PixelFormat and bit depth, RGB and BGR, several colour descriptions, odd and
// random sizes, random plane pitches and gaps, it converts random YUV on both back ends
// and compares, with guard bytes before and after the device image to catch stray
// writes. The image is sometimes placed at an unaligned address, so both store paths of
// the kernels (Note [Colour kernel layout]) are exercised.
//
// Usage: odvd_color_kernel_check [--seed N] [--time]
// Exit status: 0 all cases pass, 1 a mismatch or a CUDA failure, 77 no CUDA device
// (ctest reports that as skipped).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "color/color_convert.hpp"
#include "color/cuda_color.hpp"
#include "kernel_check_util.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

constexpr size_t kGuardBytes = 4096;

// ---- guarded output ----

uint8_t pattern_byte(size_t i) {
  return static_cast<uint8_t>((i * 167 + 13) ^ (i >> 7));
}

// A device RGB image with kGuardBytes of a known pattern after it and kGuardBytes +
// `misalign` before it. The image bytes start with the pattern too, so pixels the
// kernel fails to write show up as mismatches.
struct GuardedImage {
  std::shared_ptr<DeviceMemory> memory;
  size_t front = 0;
  size_t image_bytes = 0;
  RgbImage image;
};

GuardedImage make_guarded_image(int width, int height, bool bgr, size_t misalign) {
  GuardedImage g;
  g.front = kGuardBytes + misalign;
  g.image_bytes = static_cast<size_t>(3) * width * height;
  g.memory = std::make_shared<DeviceMemory>(g.front + g.image_bytes + kGuardBytes);
  std::vector<uint8_t> pattern(g.memory->size());
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = pattern_byte(i);
  CHECK_CUDA(cudaMemcpy(g.memory->get(), pattern.data(), pattern.size(), cudaMemcpyHostToDevice));
  g.image.buffer = std::make_shared<DeviceBuffer>(g.memory, g.front, g.image_bytes, current_device());
  g.image.width = width;
  g.image.height = height;
  g.image.bgr = bgr;
  return g;
}

std::vector<uint8_t> download(const DeviceMemory& memory) {
  std::vector<uint8_t> bytes(memory.size());
  CHECK_CUDA(cudaMemcpy(bytes.data(), memory.get(), bytes.size(), cudaMemcpyDeviceToHost));
  return bytes;
}

// ---- cases ----

struct Case {
  PixelFormat format;
  int depth;
  bool bgr;
  ColorInfo color;
  int width;
  int height;
  Padding padding;
  size_t misalign;      // bytes added to the front guard: 0 keeps the image 4-byte aligned
  bool default_stream;  // the legacy default stream instead of a created one
};

std::string describe(const Case& c) {
  static const char* kPaddingNames[] = {"tight", "random", "aligned256"};
  char text[256];
  std::snprintf(text, sizeof(text), "%s depth=%d %s range=%d matrix=%d %dx%d pitch=%s misalign=%zu stream=%s",
                pixel_format_name(c.format), c.depth, c.bgr ? "BGR" : "RGB", static_cast<int>(c.color.range),
                static_cast<int>(c.color.matrix), c.width, c.height, kPaddingNames[static_cast<int>(c.padding)],
                c.misalign, c.default_stream ? "default" : "created");
  return text;
}

// Compares the image and both guards; prints the first differences. True when equal.
bool compare(const Case& c, const GuardedImage& g, const std::vector<uint8_t>& got, const RgbImage& want) {
  size_t guard_errors = 0;
  for (size_t i = 0; i < g.front; ++i) guard_errors += got[i] != pattern_byte(i);
  for (size_t i = g.front + g.image_bytes; i < got.size(); ++i) guard_errors += got[i] != pattern_byte(i);
  size_t pixel_errors = 0;
  const uint8_t* expected = want.buffer->data();
  for (size_t i = 0; i < g.image_bytes; ++i) {
    if (got[g.front + i] == expected[i]) continue;
    if (pixel_errors++ == 0) {
      const size_t pixel = i / 3;
      std::printf("FAIL %s: first mismatch at x=%zu y=%zu channel %zu: gpu %d, cpu %d\n", describe(c).c_str(),
                  pixel % c.width, pixel / c.width, i % 3, got[g.front + i], expected[i]);
    }
  }
  if (guard_errors > 0) std::printf("FAIL %s: %zu guard bytes overwritten\n", describe(c).c_str(), guard_errors);
  if (pixel_errors > 0)
    std::printf("FAIL %s: %zu of %zu bytes differ\n", describe(c).c_str(), pixel_errors, g.image_bytes);
  return guard_errors == 0 && pixel_errors == 0;
}

bool run_case(const Case& c, const Stream& stream, std::mt19937& rng) {
  VideoFrame frame = random_frame(c.format, c.depth, c.width, c.height, c.padding, rng);
  frame.color = c.color;
  const RgbImage want = convert_to_rgb(frame, c.bgr);
  const VideoFrame device_frame = upload(frame);
  GuardedImage g = make_guarded_image(c.width, c.height, c.bgr, c.misalign);
  cudaStream_t s = c.default_stream ? nullptr : stream.get();
  std::string error;
  try {
    error = enqueue_yuv_to_rgb(device_frame, g.image, s);
  } catch (const std::exception& e) {
    error = std::string("threw: ") + e.what();
  }
  if (!error.empty()) {
    std::printf("FAIL %s: %s\n", describe(c).c_str(), error.c_str());
    return false;
  }
  const cudaError_t err = cudaStreamSynchronize(s);
  if (err != cudaSuccess) {  // a fault in the kernel poisons the context: stop here
    std::printf("FAIL %s: kernel failed: %s: %s\n", describe(c).c_str(), cudaGetErrorName(err),
                cudaGetErrorString(err));
    std::exit(1);
  }
  return compare(c, g, download(*g.memory), want);
}

struct Size {
  int width;
  int height;
};

// Fixed edge sizes plus random ones; `large` adds full-HD frames (odd and even), kept to
// one colour description per format so the CPU reference does not dominate run time.
std::vector<Size> sizes_for_combination(std::mt19937& rng, bool large) {
  std::vector<Size> sizes = {{1, 1}, {2, 2}, {3, 5}, {4, 1}, {5, 2}, {17, 9}, {64, 4}};
  if (large) sizes.insert(sizes.end(), {{1921, 1081}, {1920, 1080}});
  for (int i = 0; i < 4; ++i) {
    sizes.push_back({1 + static_cast<int>(rng() % 400), 1 + static_cast<int>(rng() % 120)});
  }
  sizes.push_back({4 * (1 + static_cast<int>(rng() % 100)), 1 + static_cast<int>(rng() % 64)});  // 4-byte rows
  return sizes;
}

std::vector<Case> make_cases(std::mt19937& rng) {
  struct FormatDepth {
    PixelFormat format;
    int depth;
  };
  const FormatDepth formats[] = {{PixelFormat::kNv12, 8},       {PixelFormat::kP016, 10},
                                 {PixelFormat::kP016, 12},      {PixelFormat::kYuv444, 8},
                                 {PixelFormat::kYuv444P16, 10}, {PixelFormat::kYuv444P16, 12}};
  const ColorInfo colors[] = {
      {ColorRange::kLimited, ColorMatrix::kSmpte170m},       {ColorRange::kFull, ColorMatrix::kBt470bg},
      {ColorRange::kLimited, ColorMatrix::kBt709},           {ColorRange::kFull, ColorMatrix::kBt709},
      {ColorRange::kLimited, ColorMatrix::kBt2020Ncl},       {ColorRange::kFull, ColorMatrix::kBt2020Ncl},
      {ColorRange::kUnspecified, ColorMatrix::kUnspecified}, {ColorRange::kUnspecified, ColorMatrix::kBt709}};
  std::vector<Case> cases;
  for (const FormatDepth& f : formats) {
    for (bool bgr : {false, true}) {
      for (const ColorInfo& color : colors) {
        for (const Size& s : sizes_for_combination(rng, &color == &colors[0])) {
          const auto padding = static_cast<Padding>(rng() % 3);
          const size_t misalign = rng() % 2 == 0 ? 0 : 1 + rng() % 3;
          cases.push_back({f.format, f.depth, bgr, color, s.width, s.height, padding, misalign, rng() % 4 == 0});
        }
      }
    }
  }
  return cases;
}

// Counts checks and failures for the summary line.
struct Tally {
  int checks = 0;
  int failed = 0;
  void add(bool ok) {
    ++checks;
    failed += ok ? 0 : 1;
  }
};

// ---- argument checks: bad calls throw ArgumentError and enqueue nothing ----

bool expect_argument_error(const char* what, const VideoFrame& frame, RgbImage image) {
  try {
    const std::string error = enqueue_yuv_to_rgb(frame, image, nullptr);
    std::printf("FAIL argument check '%s': no ArgumentError (returned '%s')\n", what, error.c_str());
  } catch (const ArgumentError&) {
    return true;
  } catch (const std::exception& e) {
    std::printf("FAIL argument check '%s': threw a non-ArgumentError: %s\n", what, e.what());
  }
  return false;
}

void run_argument_checks(std::mt19937& rng, Tally& tally) {
  const VideoFrame host = random_frame(PixelFormat::kP016, 10, 33, 17, Padding::kTight, rng);
  const VideoFrame device = upload(host);
  GuardedImage g = make_guarded_image(33, 17, false, 0);
  tally.add(expect_argument_error("host frame", host, g.image));
  RgbImage small = g.image;
  small.width = 32;
  tally.add(expect_argument_error("size mismatch", device, small));
  VideoFrame narrow = device;
  narrow.planes[1].pitch -= 2;
  tally.add(expect_argument_error("pitch below the row", narrow, g.image));
  VideoFrame odd_pitch = device;
  odd_pitch.planes[0].pitch += 1;
  tally.add(expect_argument_error("odd pitch of a 16-bit plane", odd_pitch, g.image));
  VideoFrame deep = device;
  deep.bit_depth = 14;
  tally.add(expect_argument_error("bit depth 14", deep, g.image));
  VideoFrame overflow = device;
  overflow.planes[1].offset += 64;
  tally.add(expect_argument_error("plane past the buffer end", overflow, g.image));
}

// ---- --time ----

// Median kernel time of one conversion in microseconds, measured with events.
double time_conversion(const VideoFrame& frame, RgbImage& image, const Stream& stream) {
  constexpr int kWarmup = 20;
  constexpr int kRuns = 201;
  Event start, stop;
  std::vector<float> ms;
  for (int i = 0; i < kWarmup + kRuns; ++i) {
    CHECK_CUDA(cudaEventRecord(start.get(), stream.get()));
    const std::string error = enqueue_yuv_to_rgb(frame, image, stream.get());
    if (!error.empty()) throw MediaError(error);
    CHECK_CUDA(cudaEventRecord(stop.get(), stream.get()));
    CHECK_CUDA(cudaEventSynchronize(stop.get()));
    float elapsed = 0;
    CHECK_CUDA(cudaEventElapsedTime(&elapsed, start.get(), stop.get()));
    if (i >= kWarmup) ms.push_back(elapsed);
  }
  return median(ms) * 1000.0;
}

void time_one(PixelFormat format, int depth, int width, int height, const Stream& stream, std::mt19937& rng) {
  const VideoFrame host = random_frame(format, depth, width, height, Padding::kAligned256, rng);
  const VideoFrame frame = upload(host);
  GuardedImage g = make_guarded_image(width, height, false, 0);
  const double us = time_conversion(frame, g.image, stream);
  size_t read = 0;
  for (const PlaneShape& p : plane_shapes(format, width, height)) {
    read += static_cast<size_t>(p.samples) * p.rows * (is_16bit(format) ? 2 : 1);
  }
  const double bytes = static_cast<double>(read + g.image_bytes);
  std::printf("time: %-10s %4dx%-4d -> RGB: %8.2f us, %7.1f GB/s (%.2f MB read, %.2f MB written)\n",
              pixel_format_name(format), width, height, us, bytes / us / 1e3, read / 1e6, g.image_bytes / 1e6);
}

void run_timing(std::mt19937& rng) {
  Stream stream;
  const PixelFormat formats[] = {PixelFormat::kNv12, PixelFormat::kP016, PixelFormat::kYuv444, PixelFormat::kYuv444P16};
  for (const Size& s : {Size{1920, 1080}, Size{1600, 900}}) {
    for (PixelFormat f : formats) time_one(f, is_16bit(f) ? 10 : 8, s.width, s.height, stream, rng);
  }
}

// ---- main ----

int run(int argc, char** argv) {
  bool timing = false;
  unsigned seed = 20240601;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--time") == 0) {
      timing = true;
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--time]\n", argv[0]);
      return 2;
    }
  }
  if (!have_device()) return kExitSkip;
  std::mt19937 rng(seed);
  Stream stream;
  Tally arguments;
  run_argument_checks(rng, arguments);
  Tally conversions;
  for (const Case& c : make_cases(rng)) conversions.add(run_case(c, stream, rng));
  const int failed = arguments.failed + conversions.failed;
  std::printf("color_kernel_check: %s: %d conversion cases (%d failed), %d argument checks (%d failed), seed %u\n",
              failed == 0 ? "PASS" : "FAIL", conversions.checks, conversions.failed, arguments.checks, arguments.failed,
              seed);
  if (timing) run_timing(rng);
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
