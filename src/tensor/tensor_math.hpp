// The per-pixel arithmetic of training batches (Note [Tensor values] in odvd/tensor.hpp),
// defined once for the CPU loops (cpu_tensor.cpp) and the CUDA kernel (cuda_tensor.cu),
// so both back ends run the same operations in the same order:
//   source_rgb()  one source pixel to RGB: the integer Q16 path of yuv_rgb_math.hpp for
//                 uint8 outputs (0..255), or float from the native-depth samples (0..1);
//   horizontal taps summed first, then vertical (Note [Resize filters]);
//   finish()      normalise and cast; float16 / bfloat16 rounded to nearest even by
//                 portable bit arithmetic (identical on host and device).
// The structs here are plain data that the GPU reads from one uploaded block, so they
// hold no pointers to host objects and keep a fixed layout.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "color/yuv_rgb_math.hpp"

namespace odvd {

// How a frame's samples are stored.
enum class SourceKind : int32_t { kSemiplanar8 = 0, kSemiplanar16 = 1, kPlanar8 = 2, kPlanar16 = 3 };

// One entry of a batch: where its frame is, how to read it and where its slot goes.
struct TensorFrameJob {
  const uint8_t* planes[3];  // Y, then UV (semi-planar) or U, V (planar 4:4:4)
  int32_t pitches[3];
  SourceKind kind;
  int32_t chroma_row_shift;  // semi-planar: 1 for 4:2:0, 0 for 4:2:2
  int32_t shift;             // stored 16-bit word -> native-depth sample
  int32_t present;           // 0: no frame (a slot of zeros)
  YuvCoefficients q16;
  FloatYuvCoefficients fk;
  int32_t crop_x;
  int32_t crop_y;
  int32_t taps_x;  // byte offsets of the two axes' tap tables in the plan's table block
  int32_t taps_y;
  int64_t out_offset;  // elements from the tensor's start to this entry's slot
};

// An axis' tap table inside the table block: header, then first[out], count[out],
// weights[out * max_taps] (AxisTaps in resize_filter.hpp, flattened).
struct TapTableHeader {
  int32_t out_size;
  int32_t max_taps;
};

struct TapTableView {
  const int32_t* first;
  const int32_t* count;
  const float* weights;
  int32_t max_taps;
};

ODVD_HOST_DEVICE TapTableView tap_table_at(const uint8_t* block, int32_t offset) {
  const auto* h = reinterpret_cast<const TapTableHeader*>(block + offset);
  const auto* first = reinterpret_cast<const int32_t*>(h + 1);
  const int32_t* count = first + h->out_size;
  return TapTableView{first, count, reinterpret_cast<const float*>(count + h->out_size), h->max_taps};
}

struct Rgbf {
  float r;
  float g;
  float b;
};

ODVD_HOST_DEVICE float clamp01(float v) {
  return v < 0.0F ? 0.0F : (v > 1.0F ? 1.0F : v);
}

// Samples (Y, U, V) of source pixel (x, y), at their native depth, for a layout known at
// compile time (the CPU loops instantiate one row loop per layout).
template <SourceKind kKind>
ODVD_HOST_DEVICE void fetch_yuv_as(const TensorFrameJob& j, int x, int y, int32_t& Y, int32_t& U, int32_t& V) {
  constexpr bool kWide = kKind == SourceKind::kSemiplanar16 || kKind == SourceKind::kPlanar16;
  using T = typename std::conditional<kWide, uint16_t, uint8_t>::type;
  const int shift = kWide ? j.shift : 0;
  Y = load_sample<T>(j.planes[0], j.pitches[0], x, y, shift);
  if (kKind == SourceKind::kSemiplanar8 || kKind == SourceKind::kSemiplanar16) {
    const int cy = y >> j.chroma_row_shift;
    const int cx = 2 * (x >> 1);
    U = load_sample<T>(j.planes[1], j.pitches[1], cx, cy, shift);
    V = load_sample<T>(j.planes[1], j.pitches[1], cx + 1, cy, shift);
  } else {
    U = load_sample<T>(j.planes[1], j.pitches[1], x, y, shift);
    V = load_sample<T>(j.planes[2], j.pitches[2], x, y, shift);
  }
}

// The same for the layout the job says (the kernel: uniform within a block).
ODVD_HOST_DEVICE void fetch_yuv(const TensorFrameJob& j, int x, int y, int32_t& Y, int32_t& U, int32_t& V) {
  switch (j.kind) {
    case SourceKind::kSemiplanar8: fetch_yuv_as<SourceKind::kSemiplanar8>(j, x, y, Y, U, V); return;
    case SourceKind::kSemiplanar16: fetch_yuv_as<SourceKind::kSemiplanar16>(j, x, y, Y, U, V); return;
    case SourceKind::kPlanar8: fetch_yuv_as<SourceKind::kPlanar8>(j, x, y, Y, U, V); return;
    case SourceKind::kPlanar16: fetch_yuv_as<SourceKind::kPlanar16>(j, x, y, Y, U, V); return;
  }
  Y = U = V = 0;
}

// Samples to R, G, B: 0..255 integers (kQuantized, the bytes DecodeN12ToRGB gives) or 0..1
// floats.
template <bool kQuantized>
ODVD_HOST_DEVICE Rgbf yuv_to_rgbf(const TensorFrameJob& j, int32_t Y, int32_t U, int32_t V) {
  if (kQuantized) {
    uint8_t px[3];
    yuv_to_rgb_pixel(j.q16, Y, U, V, false, px);
    return Rgbf{float(px[0]), float(px[1]), float(px[2])};
  }
  const FloatYuvCoefficients& k = j.fk;
  const float yy = k.y_gain * (float(Y) - k.y_offset);
  const float u = float(U) - k.c_offset;
  const float v = float(V) - k.c_offset;
  return Rgbf{clamp01(yy + k.r_v * v), clamp01(yy - k.g_u * u - k.g_v * v), clamp01(yy + k.b_u * u)};
}

// Source pixel (x, y) as R, G, B.
template <bool kQuantized>
ODVD_HOST_DEVICE Rgbf source_rgb(const TensorFrameJob& j, int x, int y) {
  int32_t Y = 0;
  int32_t U = 0;
  int32_t V = 0;
  fetch_yuv(j, x, y, Y, U, V);
  return yuv_to_rgbf<kQuantized>(j, Y, U, V);
}

ODVD_HOST_DEVICE void accumulate(Rgbf& acc, float w, const Rgbf& v) {
  acc.r += w * v.r;
  acc.g += w * v.g;
  acc.b += w * v.b;
}

// ---- outputs ----

// Normalisation folded into one multiply-add per channel: v * scale[c] + bias[c], with
// scale = 1 / std and bias = -mean / std (identity: 1 and 0). Channel order is the output's.
struct TensorFinish {
  float scale[3];
  float bias[3];
  int32_t bgr;
};

ODVD_HOST_DEVICE uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

// float -> IEEE half, round to nearest even (overflow to infinity, subnormals kept).
ODVD_HOST_DEVICE uint16_t float_to_half_bits(float f) {
  const uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000U;
  const uint32_t abs = x & 0x7fffffffU;
  if (abs >= 0x7f800000U) return static_cast<uint16_t>(sign | 0x7c00U | (abs > 0x7f800000U ? 0x200U : 0U));
  if (abs >= 0x477ff000U) return static_cast<uint16_t>(sign | 0x7c00U);  // rounds to >= 65520: infinity
  if (abs < 0x38800000U) {                                               // below 2^-14: subnormal or zero
    if (abs < 0x33000000U) return static_cast<uint16_t>(sign);           // below 2^-25: rounds to zero
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffU) | 0x800000U;
    const uint32_t drop = 126U - exp;  // 14..24 bits go
    const uint32_t kept = mant >> drop;
    const uint32_t rest = mant & ((1U << drop) - 1U);
    const uint32_t half = 1U << (drop - 1U);
    const uint32_t rounded = kept + ((rest > half || (rest == half && (kept & 1U))) ? 1U : 0U);
    return static_cast<uint16_t>(sign | rounded);
  }
  const uint32_t rebased = abs - 0x38000000U;  // exponent bias 127 -> 15
  const uint32_t kept = rebased >> 13;
  const uint32_t rest = rebased & 0x1fffU;
  const uint32_t rounded = kept + ((rest > 0x1000U || (rest == 0x1000U && (kept & 1U))) ? 1U : 0U);
  return static_cast<uint16_t>(sign | rounded);
}

// float -> bfloat16, round to nearest even (NaN stays NaN).
ODVD_HOST_DEVICE uint16_t float_to_bfloat16_bits(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffU) > 0x7f800000U) return static_cast<uint16_t>((x >> 16) | 0x40U);
  return static_cast<uint16_t>((x + 0x7fffU + ((x >> 16) & 1U)) >> 16);
}

template <typename Out>
struct OutputCast;

template <>
struct OutputCast<uint8_t> {
  // Round half up, as the RGB converter does.
  ODVD_HOST_DEVICE static uint8_t cast(float v) {
    float r = v + 0.5F;
    r = r < 0.0F ? 0.0F : r;  // two selects: vectorises on the CPU
    r = r > 255.0F ? 255.0F : r;
    return static_cast<uint8_t>(static_cast<int>(r));
  }
};

template <>
struct OutputCast<float> {
  ODVD_HOST_DEVICE static float cast(float v) { return v; }
};

// float16 and bfloat16 are written as their 16-bit patterns.
struct Half16 {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

template <>
struct OutputCast<Half16> {
  ODVD_HOST_DEVICE static Half16 cast(float v) { return Half16{float_to_half_bits(v)}; }
};

template <>
struct OutputCast<BFloat16> {
  ODVD_HOST_DEVICE static BFloat16 cast(float v) { return BFloat16{float_to_bfloat16_bits(v)}; }
};

// Writes output pixel (x, y) of the slot starting at `slot`: the RGB value `v` (0..255 for
// uint8, else 0..1), normalised and cast, in the layout's place.
template <typename Out, bool kNchw>
ODVD_HOST_DEVICE void store_pixel(Out* slot, int width, int height, int x, int y, const Rgbf& v,
                                  const TensorFinish& f) {
  const float first = f.bgr ? v.b : v.r;
  const float third = f.bgr ? v.r : v.b;
  const float c[3] = {first * f.scale[0] + f.bias[0], v.g * f.scale[1] + f.bias[1], third * f.scale[2] + f.bias[2]};
  const int64_t pixel = static_cast<int64_t>(y) * width + x;
  const int64_t plane = static_cast<int64_t>(width) * height;
  for (int i = 0; i < 3; ++i) {
    Out* dst = kNchw ? slot + i * plane + pixel : slot + 3 * pixel + i;
    *dst = OutputCast<Out>::cast(c[i]);
  }
}

}  // namespace odvd
