// The per-pixel YUV -> RGB arithmetic, defined once for the CPU converter and the CUDA
// kernels so both back ends produce bit-identical RGB (SPEC §5).
//
// Note [Colour conversion]
//   * Coefficients are computed on the host, in double precision, and rounded to Q16
//     integers (YuvCoefficients); the per-pixel code is integer-only, so the CPU and the
//     GPU execute exactly the same operations.
//   * Input samples are at their native bit depth (8, 10 or 12 bits, low-aligned).
//     Limited range: Y in [16, 235] << (depth-8), chroma centred on 1 << (depth-1) with
//     excursion 224 << (depth-8). Full range: [0, 2^depth - 1] for all components.
//   * Chroma upsampling for 4:2:0 is nearest-sample: pixel (x, y) uses chroma sample
//     (x >> 1, y >> 1) — what the MPEG-2/H.264 "left" siting gives horizontally, and
//     what FFmpeg's unscaled fast path does.
//   * Rounding: add 1/2 then shift (round half up), clamp to [0, 255].
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define ODVD_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define ODVD_HOST_DEVICE inline
#endif

namespace odvd {

struct YuvCoefficients {
  int32_t y_offset;  // subtracted from Y
  int32_t c_offset;  // subtracted from U and V
  int32_t y_gain;    // Q16
  int32_t r_v;       // Q16, R += r_v * V
  int32_t g_u;       // Q16, G -= g_u * U
  int32_t g_v;       // Q16, G -= g_v * V
  int32_t b_u;       // Q16, B += b_u * U
};

// Floating-point colour coefficients: R = y_gain * (Y - y_offset) + r_v * (V - c_offset)
// and so on, giving 0..1 (make_float_yuv_coefficients in color_convert.hpp; training
// tensors: tensor/tensor_math.hpp).
struct FloatYuvCoefficients {
  float y_offset;
  float c_offset;
  float y_gain;
  float r_v;
  float g_u;
  float g_v;
  float b_u;
};

constexpr int kYuvFractionBits = 16;

ODVD_HOST_DEVICE uint8_t clamp_to_u8(int32_t v) {
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// The chroma contributions of one (U, V) pair, shared by the pixels that use it.
struct ChromaTerms {
  int32_t r;
  int32_t g;
  int32_t b;
};

ODVD_HOST_DEVICE ChromaTerms chroma_terms(const YuvCoefficients& k, int32_t u, int32_t v) {
  const int32_t uu = u - k.c_offset;
  const int32_t vv = v - k.c_offset;
  return ChromaTerms{k.r_v * vv, -k.g_u * uu - k.g_v * vv, k.b_u * uu};
}

// Converts one pixel given its chroma terms; writes R, G, B (or B, G, R) to out[0..2].
ODVD_HOST_DEVICE void yuv_to_rgb_pixel(const YuvCoefficients& k, int32_t y, const ChromaTerms& c, bool bgr,
                                       uint8_t* out) {
  constexpr int32_t kHalf = 1 << (kYuvFractionBits - 1);
  const int32_t yy = k.y_gain * (y - k.y_offset) + kHalf;
  const uint8_t r = clamp_to_u8((yy + c.r) >> kYuvFractionBits);
  const uint8_t g = clamp_to_u8((yy + c.g) >> kYuvFractionBits);
  const uint8_t b = clamp_to_u8((yy + c.b) >> kYuvFractionBits);
  out[0] = bgr ? b : r;
  out[1] = g;
  out[2] = bgr ? r : b;
}

ODVD_HOST_DEVICE void yuv_to_rgb_pixel(const YuvCoefficients& k, int32_t y, int32_t u, int32_t v, bool bgr,
                                       uint8_t* out) {
  yuv_to_rgb_pixel(k, y, chroma_terms(k, u, v), bgr, out);
}

// Sample fetchers for the layouts of PixelFormat. `shift` turns a stored 16-bit word
// into a native-depth sample (16 - depth for the high-aligned P016 layouts, 0 for 8-bit).
template <typename T>
ODVD_HOST_DEVICE int32_t load_sample(const uint8_t* plane, int pitch, int x, int y, int shift) {
  return static_cast<int32_t>(reinterpret_cast<const T*>(plane + static_cast<int64_t>(y) * pitch)[x]) >> shift;
}

// 4:2:0 semi-planar (NV12 / P016): UV interleaved, one pair per 2x2 luma block.
template <typename T>
ODVD_HOST_DEVICE void load_semiplanar(const uint8_t* luma, int luma_pitch, const uint8_t* chroma, int chroma_pitch,
                                      int x, int y, int shift, int32_t& Y, int32_t& U, int32_t& V) {
  Y = load_sample<T>(luma, luma_pitch, x, y, shift);
  U = load_sample<T>(chroma, chroma_pitch, 2 * (x >> 1), y >> 1, shift);
  V = load_sample<T>(chroma, chroma_pitch, 2 * (x >> 1) + 1, y >> 1, shift);
}

}  // namespace odvd
