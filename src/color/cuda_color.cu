// CUDA kernels for YUV -> RGB/BGR (cuda_color.hpp). The per-pixel arithmetic is the
// shared code of yuv_rgb_math.hpp (Note [Colour conversion]); this file only decides
// which thread converts which pixels and how the bytes reach memory.
//
// Note [Colour kernel layout]
//   * One thread converts a run of kRun = 4 horizontally adjacent pixels: for 4:2:0 in
//     two rows (a 4x2 luma block, i.e. two 2x2 blocks, so each chroma pair is loaded
//     and turned into ChromaTerms once for the four pixels that use it), for 4:4:4 in
//     one row.
//   * Four RGB pixels are 12 bytes = three 32-bit words. When the run's first output
//     byte is 4-byte aligned (any row of an image whose width is a multiple of 4 and
//     whose base is aligned, as cudaMalloc'ed and pooled buffers are), the thread
//     stores three words; otherwise (odd widths, the last partial run of a row) it
//     stores bytes. A warp writes one contiguous span of 384 bytes either way.
//   * Blocks are 32 x 8 threads: 128 pixels x 16 rows (4:2:0) or x 8 rows (4:4:4).
//   * Pixels outside width x height are never read nor written: the last column and
//     row of an odd-sized 4:2:0 frame use the chroma pair they share with the pixel
//     before them, as the CPU converter does.
//   * Samples are fetched with load_sample<T>() (no vector loads), so the kernels
//     accept any pitch and plane offset that is a multiple of sizeof(T).
//   * The per-thread functions are host+device so that a host harness can run the
//     exact thread decomposition on the CPU (useful without a GPU at hand).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "color/color_convert.hpp"
#include "color/cuda_color.hpp"
#include "color/yuv_rgb_math.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

// Full unrolling keeps the per-thread pixel arrays in registers. Only the device pass
// sees the pragma: host compilers warn about it (-Wunknown-pragmas).
#if defined(__CUDA_ARCH__)
#define ODVD_UNROLL _Pragma("unroll")
#else
#define ODVD_UNROLL
#endif

constexpr int kRun = 4;  // pixels per thread along a row (see Note [Colour kernel layout])
constexpr int kBlockX = 32;
constexpr int kBlockY = 8;
constexpr int kThreadsPerBlock = kBlockX * kBlockY;
constexpr int kMaxGridY = 65535;

// What a kernel needs to know about one conversion, passed by value.
struct ConvertArgs {
  const uint8_t* planes[3];  // Y, then UV (4:2:0) or U, V (4:4:4)
  int pitches[3];            // bytes between rows
  int width;
  int height;
  int shift;  // stored word -> native-depth sample: 16 - depth for 16-bit formats, else 0
  bool bgr;
  uint8_t* out;  // HWC, stride 3 * width
};

ODVD_HOST_DEVICE uint32_t pack_word(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

// Stores the first `n` (1..kRun) pixels of `px` at `dst`. The loops have constant
// bounds so `px` stays in registers.
ODVD_HOST_DEVICE void store_run(uint8_t* dst, const uint8_t (&px)[3 * kRun], int n) {
  if (n == kRun && (reinterpret_cast<uintptr_t>(dst) & 3) == 0) {
    uint32_t* words = reinterpret_cast<uint32_t*>(dst);
    ODVD_UNROLL
    for (int i = 0; i < 3; ++i) words[i] = pack_word(px + 4 * i);
    return;
  }
  ODVD_UNROLL
  for (int i = 0; i < 3 * kRun; ++i) {
    if (i < 3 * n) dst[i] = px[i];
  }
}

ODVD_HOST_DEVICE uint8_t* output_at(const ConvertArgs& a, int x, int y) {
  return a.out + (static_cast<int64_t>(y) * a.width + x) * 3;
}

// Pixels of the run starting at x0 that lie inside the frame.
ODVD_HOST_DEVICE int run_length(const ConvertArgs& a, int x0) {
  return a.width - x0 < kRun ? a.width - x0 : kRun;
}

// 4:2:0 semi-planar (NV12 / P016): converts the 4x2 luma block (bx, by).
template <typename T>
ODVD_HOST_DEVICE void convert_semiplanar_block(const ConvertArgs& a, const YuvCoefficients& k, int bx, int by) {
  const int x0 = bx * kRun;
  const int n = run_length(a, x0);
  ChromaTerms c[kRun / 2] = {};
  ODVD_UNROLL
  for (int j = 0; j < kRun / 2; ++j) {
    // Pixel x uses the pair whose U sits at 2 * (x >> 1) of the interleaved row; x0 is
    // even, so for pixel u = x0 + 2j that index is u itself.
    const int u = x0 + 2 * j;
    if (u < a.width) {
      c[j] = chroma_terms(k, load_sample<T>(a.planes[1], a.pitches[1], u, by, a.shift),
                          load_sample<T>(a.planes[1], a.pitches[1], u + 1, by, a.shift));
    }
  }
  ODVD_UNROLL
  for (int r = 0; r < 2; ++r) {
    const int y = 2 * by + r;
    if (y >= a.height) break;
    uint8_t px[3 * kRun] = {};
    ODVD_UNROLL
    for (int i = 0; i < kRun; ++i) {
      if (i < n) {
        yuv_to_rgb_pixel(k, load_sample<T>(a.planes[0], a.pitches[0], x0 + i, y, a.shift), c[i / 2], a.bgr, px + 3 * i);
      }
    }
    store_run(output_at(a, x0, y), px, n);
  }
}

// 4:4:4 planar: converts the run of kRun pixels starting at (bx * kRun, y).
template <typename T>
ODVD_HOST_DEVICE void convert_planar444_run(const ConvertArgs& a, const YuvCoefficients& k, int bx, int y) {
  const int x0 = bx * kRun;
  const int n = run_length(a, x0);
  uint8_t px[3 * kRun] = {};
  ODVD_UNROLL
  for (int i = 0; i < kRun; ++i) {
    if (i < n) {
      const int x = x0 + i;
      yuv_to_rgb_pixel(k, load_sample<T>(a.planes[0], a.pitches[0], x, y, a.shift),
                       load_sample<T>(a.planes[1], a.pitches[1], x, y, a.shift),
                       load_sample<T>(a.planes[2], a.pitches[2], x, y, a.shift), a.bgr, px + 3 * i);
    }
  }
  store_run(output_at(a, x0, y), px, n);
}

template <typename T>
__global__ void __launch_bounds__(kThreadsPerBlock) semiplanar_kernel(ConvertArgs a, YuvCoefficients k) {
  const int bx = blockIdx.x * blockDim.x + threadIdx.x;
  const int by = blockIdx.y * blockDim.y + threadIdx.y;
  if (bx * kRun < a.width && 2 * by < a.height) convert_semiplanar_block<T>(a, k, bx, by);
}

template <typename T>
__global__ void __launch_bounds__(kThreadsPerBlock) planar444_kernel(ConvertArgs a, YuvCoefficients k) {
  const int bx = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (bx * kRun < a.width && y < a.height) convert_planar444_run<T>(a, k, bx, y);
}

// ---- host side: argument checks and launch ----

struct FormatLayout {
  int num_planes;
  int bytes_per_sample;
  bool semiplanar;  // 4:2:0 with interleaved UV; otherwise 4:4:4 planar
};

FormatLayout layout_of(PixelFormat format) {
  switch (format) {
    case PixelFormat::kNv12: return {2, 1, true};
    case PixelFormat::kP016: return {2, 2, true};
    case PixelFormat::kYuv444: return {3, 1, false};
    case PixelFormat::kYuv444P16: return {3, 2, false};
    case PixelFormat::kNv16:
    case PixelFormat::kP216:
      // NVDEC on the GPUs we support puts out 4:2:0 and 4:4:4 only; 4:2:2 frames come from the
      // CPU back end and are converted there.
      throw ArgumentError("enqueue_yuv_to_rgb: 4:2:2 frames are converted on the CPU");
  }
  throw ArgumentError("enqueue_yuv_to_rgb: unknown pixel format " + std::to_string(static_cast<int>(format)));
}

std::string where(const VideoFrame& frame) {
  return std::string(" (") + pixel_format_name(frame.format) + " " + std::to_string(frame.width) + "x" +
         std::to_string(frame.height) + ")";
}

void check_device_buffer(const std::shared_ptr<Buffer>& buffer, const char* what, const VideoFrame& frame) {
  if (!buffer || buffer->kind() != MemoryKind::kCuda) {
    throw ArgumentError(std::string("enqueue_yuv_to_rgb: the ") + what + " is not in CUDA device memory" +
                        where(frame));
  }
}

void check_image(const VideoFrame& frame, const RgbImage& image) {
  check_device_buffer(frame.buffer, "frame", frame);
  check_device_buffer(image.buffer, "RGB image", frame);
  if (frame.width <= 0 || frame.height <= 0 || image.width != frame.width || image.height != frame.height) {
    throw ArgumentError("enqueue_yuv_to_rgb: RGB image " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) + " does not match the frame" + where(frame));
  }
  const size_t needed = static_cast<size_t>(3) * frame.width * frame.height;
  if (image.buffer->size() < needed) {
    throw ArgumentError("enqueue_yuv_to_rgb: RGB buffer holds " + std::to_string(image.buffer->size()) +
                        " bytes, needs " + std::to_string(needed) + where(frame));
  }
}

void check_depth(const VideoFrame& frame, const FormatLayout& layout) {
  const bool ok = layout.bytes_per_sample == 1 ? frame.bit_depth == 8 : frame.bit_depth >= 8 && frame.bit_depth <= 12;
  if (!ok || frame.num_planes != layout.num_planes) {
    throw ArgumentError("enqueue_yuv_to_rgb: bit depth " + std::to_string(frame.bit_depth) + " / " +
                        std::to_string(frame.num_planes) + " planes do not fit the format" + where(frame));
  }
}

// Plane i must hold `rows` rows of `row_bytes` bytes inside the frame's buffer.
void check_plane(const VideoFrame& frame, int i, int64_t row_bytes, int64_t rows, int bytes_per_sample) {
  const Plane& p = frame.planes[i];
  const int64_t end = static_cast<int64_t>(p.offset) + (rows - 1) * p.pitch + row_bytes;
  const auto address = reinterpret_cast<uintptr_t>(frame.plane_data(i));
  const bool aligned = p.pitch % bytes_per_sample == 0 && address % bytes_per_sample == 0;
  if (p.pitch < row_bytes || !aligned || end > static_cast<int64_t>(frame.buffer->size())) {
    throw ArgumentError("enqueue_yuv_to_rgb: plane " + std::to_string(i) + " (offset " + std::to_string(p.offset) +
                        ", pitch " + std::to_string(p.pitch) + ") does not hold " + std::to_string(rows) + " rows of " +
                        std::to_string(row_bytes) + " bytes, aligned to " + std::to_string(bytes_per_sample) +
                        ", in a buffer of " + std::to_string(frame.buffer->size()) + " bytes" + where(frame));
  }
}

void check_planes(const VideoFrame& frame, const FormatLayout& layout) {
  const int bps = layout.bytes_per_sample;
  const int64_t luma_row = static_cast<int64_t>(frame.width) * bps;
  check_plane(frame, 0, luma_row, frame.height, bps);
  if (layout.semiplanar) {
    const int64_t chroma_row = static_cast<int64_t>((frame.width + 1) / 2) * 2 * bps;
    check_plane(frame, 1, chroma_row, (frame.height + 1) / 2, bps);
  } else {
    check_plane(frame, 1, luma_row, frame.height, bps);
    check_plane(frame, 2, luma_row, frame.height, bps);
  }
}

// Buffers that name a device must name the current one: a kernel cannot read another
// device's memory through a plain pointer.
std::string check_current_device(const VideoFrame& frame, const RgbImage& image) {
  int current = -1;
  const cudaError_t err = cudaGetDevice(&current);
  if (err != cudaSuccess) {
    return std::string("enqueue_yuv_to_rgb: cudaGetDevice failed: ") + cudaGetErrorName(err) + ": " +
           cudaGetErrorString(err);
  }
  for (const Buffer* b : {frame.buffer.get(), image.buffer.get()}) {
    if (b->device() >= 0 && b->device() != current) {
      throw ArgumentError("enqueue_yuv_to_rgb: buffer on device " + std::to_string(b->device()) +
                          ", current device is " + std::to_string(current) + where(frame));
    }
  }
  return {};
}

ConvertArgs make_args(const VideoFrame& frame, const FormatLayout& layout, RgbImage& image) {
  ConvertArgs a{};
  for (int i = 0; i < layout.num_planes; ++i) {
    a.planes[i] = frame.plane_data(i);
    a.pitches[i] = frame.planes[i].pitch;
  }
  a.width = frame.width;
  a.height = frame.height;
  a.shift = layout.bytes_per_sample == 2 ? 16 - frame.bit_depth : 0;
  a.bgr = image.bgr;
  a.out = image.buffer->data();
  return a;
}

dim3 grid_for(const ConvertArgs& a, int rows_of_threads, const VideoFrame& frame) {
  const int runs = (a.width + kRun - 1) / kRun;
  const dim3 grid((runs + kBlockX - 1) / kBlockX, (rows_of_threads + kBlockY - 1) / kBlockY);
  if (grid.y > static_cast<unsigned>(kMaxGridY)) {
    throw ArgumentError("enqueue_yuv_to_rgb: frame too tall for one launch" + where(frame));
  }
  return grid;
}

void launch(const VideoFrame& frame, const FormatLayout& layout, const ConvertArgs& a, const YuvCoefficients& k,
            cudaStream_t stream) {
  const dim3 block(kBlockX, kBlockY);
  if (layout.semiplanar) {
    const dim3 grid = grid_for(a, (a.height + 1) / 2, frame);
    if (layout.bytes_per_sample == 1) {
      semiplanar_kernel<uint8_t><<<grid, block, 0, stream>>>(a, k);
    } else {
      semiplanar_kernel<uint16_t><<<grid, block, 0, stream>>>(a, k);
    }
  } else {
    const dim3 grid = grid_for(a, a.height, frame);
    if (layout.bytes_per_sample == 1) {
      planar444_kernel<uint8_t><<<grid, block, 0, stream>>>(a, k);
    } else {
      planar444_kernel<uint16_t><<<grid, block, 0, stream>>>(a, k);
    }
  }
}

}  // namespace

std::string enqueue_yuv_to_rgb(const VideoFrame& frame, RgbImage& image, void* stream) {
  const FormatLayout layout = layout_of(frame.format);
  check_image(frame, image);
  check_depth(frame, layout);
  check_planes(frame, layout);
  std::string error = check_current_device(frame, image);
  if (!error.empty()) return error;

  const YuvCoefficients k = make_yuv_coefficients(resolve_color(frame.color), frame.bit_depth);
  launch(frame, layout, make_args(frame, layout, image), k, static_cast<cudaStream_t>(stream));
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    return std::string("enqueue_yuv_to_rgb: kernel launch failed: ") + cudaGetErrorName(err) + ": " +
           cudaGetErrorString(err) + where(frame);
  }
  return {};
}

}  // namespace odvd
