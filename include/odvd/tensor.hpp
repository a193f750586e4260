// Training-ready batches: decoded frames written straight into one batched tensor,
// cropped, resized, normalised and cast in a single pass from the decoded YUV (no
// full-size RGB image in between). The engine behind DecodeToTensor,
// DecodeFromGOPToTensor and DecodeBatchToTensor.
//
// Note [Tensor values]
//   * Frame i of a call fills slot i of an (N, 3, H, W) tensor (NCHW) or (N, H, W, 3)
//     (NHWC), channels R, G, B (B, G, R with `bgr`).
//   * Per source pixel, YUV becomes RGB with the stream's matrix and range (SPEC §5,
//     chroma nearest-sample as in yuv_rgb_math.hpp):
//       - uint8 outputs use the exact integer conversion of DecodeN12ToRGB, so without a
//         resize they equal its bytes; with one, they are the resize of those bytes,
//         rounded half up.
//       - float outputs convert in floating point from the samples at their own depth
//         (10-bit stays 10-bit: nothing is rounded to 8 bits), clamped to [0, 1].
//   * The crop (source pixels) is taken first, then resized to the output size by a
//     separable filter (resize_filter.hpp: bilinear with half-pixel centres as PyTorch's
//     interpolate(align_corners=False), antialiased when downscaling as
//     interpolate(antialias=True); nearest; area), then float outputs are normalised:
//     (value - mean[c]) / std[c], value on the 0..1 scale, then cast (round to nearest
//     even for float16 / bfloat16).
//   * An entry the damage policy leaves without a frame (on_error="skip") gets a slot of
//     zeros; the call's report names it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "odvd/frame.hpp"

namespace odvd {

enum class TensorDtype { kUint8, kFloat16, kBFloat16, kFloat32 };
enum class TensorLayout { kNchw, kNhwc };
enum class Interpolation { kBilinear, kNearest, kArea };

const char* tensor_dtype_name(TensorDtype dtype);  // "uint8", "float16", "bfloat16", "float32"
const char* tensor_layout_name(TensorLayout layout);
const char* interpolation_name(Interpolation interpolation);
int tensor_dtype_size(TensorDtype dtype);

// A rectangle of source pixels; width == 0 means the whole frame.
struct CropRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool whole() const { return width == 0 && height == 0; }
};

struct TensorOptions {
  CropRect crop;
  // Output size; 0 x 0: the crop's size (every frame's crop must then have the same).
  int height = 0;
  int width = 0;
  TensorLayout layout = TensorLayout::kNchw;
  TensorDtype dtype = TensorDtype::kUint8;
  // Per output channel (R, G, B; B, G, R with `bgr`), on the 0..1 scale. Float dtypes
  // only: uint8 outputs are never normalised (validate() refuses it).
  bool normalize = false;
  std::array<float, 3> mean{0.0F, 0.0F, 0.0F};
  std::array<float, 3> std{1.0F, 1.0F, 1.0F};
  bool bgr = false;
  Interpolation interpolation = Interpolation::kBilinear;
  // Bilinear only: widen the filter when downscaling so that every source pixel counts.
  bool antialias = true;

  // ArgumentError naming the first invalid field (negative crop, half-given size, std
  // not positive, mean/std with uint8, sizes beyond the limits).
  void validate() const;
};

// Where a batch goes: `count` slots of 3 x height x width elements of `dtype`, one after
// another (a contiguous tensor of the layout's shape), starting at buffer->data().
struct TensorTarget {
  std::shared_ptr<Buffer> buffer;  // ours (allocated by the call) or wrapping a caller's tensor
  int64_t count = 0;
  int height = 0;
  int width = 0;
  TensorLayout layout = TensorLayout::kNchw;
  TensorDtype dtype = TensorDtype::kUint8;
  // GPU: the CUstream on which the caller's earlier work on the memory is ordered (from
  // the DLPack exchange), or nullptr; the writes wait for it.
  void* ready_on = nullptr;

  int64_t slot_elements() const { return int64_t{3} * height * width; }
  int64_t bytes() const { return count * slot_elements() * tensor_dtype_size(dtype); }
};

// A caller's memory as a Buffer that frees nothing (the caller keeps it alive).
std::shared_ptr<Buffer> wrap_foreign_memory(uint8_t* data, size_t size, MemoryKind kind, int device);

}  // namespace odvd
