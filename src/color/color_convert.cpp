#include "color/color_convert.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include <cmath>

#include "odvd/error.hpp"

namespace odvd {
namespace {

struct LumaWeights {
  double kr;
  double kb;
};

LumaWeights weights_of(ColorMatrix matrix) {
  switch (matrix) {
    case ColorMatrix::kBt709: return {0.2126, 0.0722};
    case ColorMatrix::kFcc: return {0.30, 0.11};
    case ColorMatrix::kSmpte240m: return {0.212, 0.087};
    case ColorMatrix::kBt2020Ncl:
    case ColorMatrix::kBt2020Cl: return {0.2627, 0.0593};
    default: return {0.299, 0.114};  // BT.601 (bt470bg, smpte170m, unspecified)
  }
}

int32_t q16(double v) {
  return static_cast<int32_t>(std::lround(v * (1 << kYuvFractionBits)));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ODVD_NV12_AVX2 1

// Note [AVX2 rows]: 8-bit NV12 rows, 8 pixels per step, with exactly the integer math of
// yuv_rgb_math.hpp (Q16 products in 32-bit lanes, arithmetic shifts, clamping), so the
// output is bit-identical to the scalar path (tests/cpp/color_test.cpp compares them).
// The scalar loop costs ~14 cycles a pixel (bench/RESULTS.md §11.6), as much CPU as
// decoding the frame when a reader streams 1600x900 HEVC. Compiled for AVX2 only here and
// chosen at run time (cpu_has_avx2), so the library still runs on any x86-64.
// Each step writes 28 bytes for its 24 (two 16-byte stores); the 4 extra land on the next
// pixels, which later steps or the scalar tail overwrite, so steps stop 2 pixels early.
// Returns how many pixels of the row it converted (a multiple of 8).
// (yy + c) >> 16 clamped to 0..255, in each lane.
__attribute__((target("avx2"))) inline __m256i clamp_channel(__m256i yy, __m256i c, __m256i zero, __m256i max8) {
  const __m256i value = _mm256_srai_epi32(_mm256_add_epi32(yy, c), kYuvFractionBits);
  return _mm256_min_epi32(_mm256_max_epi32(value, zero), max8);
}

__attribute__((target("avx2"))) int convert_nv12_row_avx2(const uint8_t* luma, const uint8_t* uv, int width,
                                                          const YuvCoefficients& k, bool bgr, uint8_t* out) {
  const __m256i y_gain = _mm256_set1_epi32(k.y_gain);
  const __m256i y_offset = _mm256_set1_epi32(k.y_offset);
  const __m256i c_offset = _mm256_set1_epi32(k.c_offset);
  const __m256i r_v = _mm256_set1_epi32(k.r_v);
  const __m256i g_u = _mm256_set1_epi32(k.g_u);
  const __m256i g_v = _mm256_set1_epi32(k.g_v);
  const __m256i b_u = _mm256_set1_epi32(k.b_u);
  const __m256i half = _mm256_set1_epi32(1 << (kYuvFractionBits - 1));
  const __m256i zero = _mm256_setzero_si256();
  const __m256i max8 = _mm256_set1_epi32(255);
  // U0 V0 U1 V1 U2 V2 U3 V3 -> U0 U0 U1 U1 U2 U2 U3 U3 and the same for V.
  const __m128i pick_u = _mm_setr_epi8(0, 0, 2, 2, 4, 4, 6, 6, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i pick_v = _mm_setr_epi8(1, 1, 3, 3, 5, 5, 7, 7, -1, -1, -1, -1, -1, -1, -1, -1);
  // Lanes of 0x00BBGGRR -> 12 packed bytes per 128-bit half.
  const __m256i pack = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,  //
                                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  int x = 0;
  for (; x + 10 <= width; x += 8) {
    const __m256i y = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(luma + x)));
    const __m128i pairs = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(uv + x));
    const __m256i u = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_shuffle_epi8(pairs, pick_u)), c_offset);
    const __m256i v = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_shuffle_epi8(pairs, pick_v)), c_offset);
    const __m256i yy = _mm256_add_epi32(_mm256_mullo_epi32(y_gain, _mm256_sub_epi32(y, y_offset)), half);
    const __m256i cr = _mm256_mullo_epi32(r_v, v);
    const __m256i cg = _mm256_sub_epi32(_mm256_sub_epi32(zero, _mm256_mullo_epi32(g_u, u)), _mm256_mullo_epi32(g_v, v));
    const __m256i cb = _mm256_mullo_epi32(b_u, u);
    const __m256i r = clamp_channel(yy, cr, zero, max8);
    const __m256i g = clamp_channel(yy, cg, zero, max8);
    const __m256i b = clamp_channel(yy, cb, zero, max8);
    const __m256i first = bgr ? b : r;
    const __m256i third = bgr ? r : b;
    const __m256i rgb0 = _mm256_or_si256(first, _mm256_or_si256(_mm256_slli_epi32(g, 8), _mm256_slli_epi32(third, 16)));
    const __m256i packed = _mm256_shuffle_epi8(rgb0, pack);
    uint8_t* o = out + 3 * x;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(packed));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 12), _mm256_extracti128_si256(packed, 1));
  }
  return x;
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

// Semi-planar rows (4:2:0 and 4:2:2): one chroma pair serves two pixels of a row, and in
// 4:2:0 two rows. `allow_simd` false forces the scalar path (tests compare the two).
template <typename T>
void convert_semiplanar(const VideoFrame& f, const YuvCoefficients& k, bool bgr, uint8_t* out, int y0, int y1,
                        bool allow_simd) {
  const int shift = sizeof(T) == 2 ? 16 - f.bit_depth : 0;
  const int row_shift = chroma_row_shift(f.format);
  for (int y = y0; y < y1; ++y) {
    const T* luma = reinterpret_cast<const T*>(f.plane_data(0) + static_cast<size_t>(y) * f.planes[0].pitch);
    const T* uv = reinterpret_cast<const T*>(f.plane_data(1) + static_cast<size_t>(y >> row_shift) * f.planes[1].pitch);
    uint8_t* row = out + static_cast<size_t>(y) * 3 * f.width;
    int x = 0;
#ifdef ODVD_NV12_AVX2
    if constexpr (sizeof(T) == 1) {
      if (allow_simd && cpu_has_avx2()) x = convert_nv12_row_avx2(luma, uv, f.width, k, bgr, row);  // Note [AVX2 rows]
    }
#endif
    (void)allow_simd;
    for (; x < f.width; x += 2) {
      const ChromaTerms c = chroma_terms(k, uv[x] >> shift, uv[x + 1] >> shift);
      yuv_to_rgb_pixel(k, luma[x] >> shift, c, bgr, row + 3 * x);
      if (x + 1 < f.width) yuv_to_rgb_pixel(k, luma[x + 1] >> shift, c, bgr, row + 3 * (x + 1));
    }
  }
}

template <typename T>
void convert_planar444(const VideoFrame& f, const YuvCoefficients& k, bool bgr, uint8_t* out, int y0, int y1) {
  const int shift = sizeof(T) == 2 ? 16 - f.bit_depth : 0;
  for (int y = y0; y < y1; ++y) {
    uint8_t* row = out + static_cast<size_t>(y) * 3 * f.width;
    for (int x = 0; x < f.width; ++x) {
      int32_t Y = load_sample<T>(f.plane_data(0), f.planes[0].pitch, x, y, shift);
      int32_t U = load_sample<T>(f.plane_data(1), f.planes[1].pitch, x, y, shift);
      int32_t V = load_sample<T>(f.plane_data(2), f.planes[2].pitch, x, y, shift);
      yuv_to_rgb_pixel(k, Y, U, V, bgr, row + 3 * x);
    }
  }
}

}  // namespace

ColorInfo resolve_color(ColorInfo c) {
  if (c.range == ColorRange::kUnspecified) c.range = ColorRange::kLimited;
  switch (c.matrix) {
    case ColorMatrix::kBt709:
    case ColorMatrix::kFcc:
    case ColorMatrix::kSmpte240m:
    case ColorMatrix::kBt2020Ncl:
    case ColorMatrix::kBt2020Cl:
    case ColorMatrix::kBt470bg:
    case ColorMatrix::kSmpte170m: break;
    default: c.matrix = ColorMatrix::kSmpte170m;  // BT.601
  }
  return c;
}

namespace {

// The conversion's exact coefficients for one colour description and bit depth, giving
// 0..1: R = y_gain * (Y - y_offset) + r_v * (V - c_offset), and so on.
struct ExactCoefficients {
  int y_offset;
  int c_offset;
  double y_gain;
  double r_v;
  double g_u;
  double g_v;
  double b_u;
};

ExactCoefficients exact_coefficients(ColorInfo resolved, int bit_depth) {
  ODVD_CHECK(bit_depth >= 8 && bit_depth <= 12);
  const LumaWeights w = weights_of(resolved.matrix);
  const double kg = 1.0 - w.kr - w.kb;
  const int scale = 1 << (bit_depth - 8);
  const bool full = resolved.range == ColorRange::kFull;
  const double y_range = full ? (1 << bit_depth) - 1 : 219.0 * scale;
  const double c_range = full ? (1 << bit_depth) - 1 : 224.0 * scale;
  return ExactCoefficients{full ? 0 : 16 * scale,
                           1 << (bit_depth - 1),
                           1.0 / y_range,
                           2.0 * (1.0 - w.kr) / c_range,
                           2.0 * w.kb * (1.0 - w.kb) / kg / c_range,
                           2.0 * w.kr * (1.0 - w.kr) / kg / c_range,
                           2.0 * (1.0 - w.kb) / c_range};
}

}  // namespace

YuvCoefficients make_yuv_coefficients(ColorInfo resolved, int bit_depth) {
  // 0..255 results in Q16 (Note [Colour conversion]).
  const ExactCoefficients e = exact_coefficients(resolved, bit_depth);
  return YuvCoefficients{e.y_offset,         e.c_offset,         q16(255.0 * e.y_gain), q16(255.0 * e.r_v),
                         q16(255.0 * e.g_u), q16(255.0 * e.g_v), q16(255.0 * e.b_u)};
}

FloatYuvCoefficients make_float_yuv_coefficients(ColorInfo resolved, int bit_depth) {
  const ExactCoefficients e = exact_coefficients(resolved, bit_depth);
  return FloatYuvCoefficients{static_cast<float>(e.y_offset), static_cast<float>(e.c_offset),
                              static_cast<float>(e.y_gain),   static_cast<float>(e.r_v),
                              static_cast<float>(e.g_u),      static_cast<float>(e.g_v),
                              static_cast<float>(e.b_u)};
}

RgbImage allocate_rgb(const VideoFrame& frame, bool bgr) {
  if (!frame.buffer || frame.buffer->kind() != MemoryKind::kHost) {
    throw ArgumentError("convert_to_rgb: the CPU converter needs a frame in host memory");
  }
  RgbImage image = rgb_image_of(frame, bgr);
  image.buffer = make_host_buffer(static_cast<size_t>(3) * frame.width * frame.height);
  return image;
}

void convert_rows(const VideoFrame& frame, RgbImage& image, int row_begin, int row_end) {
  convert_rows(frame, image, row_begin, row_end, true);
}

void convert_rows(const VideoFrame& frame, RgbImage& image, int row_begin, int row_end, bool allow_simd) {
  ODVD_CHECK(image.width == frame.width && image.height == frame.height);
  ODVD_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= frame.height);
  const YuvCoefficients k = make_yuv_coefficients(resolve_color(frame.color), frame.bit_depth);
  uint8_t* out = image.buffer->data();
  const bool bgr = image.bgr;
  switch (frame.format) {
    case PixelFormat::kNv12:
    case PixelFormat::kNv16: convert_semiplanar<uint8_t>(frame, k, bgr, out, row_begin, row_end, allow_simd); break;
    case PixelFormat::kP016:
    case PixelFormat::kP216: convert_semiplanar<uint16_t>(frame, k, bgr, out, row_begin, row_end, allow_simd); break;
    case PixelFormat::kYuv444: convert_planar444<uint8_t>(frame, k, bgr, out, row_begin, row_end); break;
    case PixelFormat::kYuv444P16: convert_planar444<uint16_t>(frame, k, bgr, out, row_begin, row_end); break;
  }
}

int convert_nv12_row_simd(const uint8_t* luma, const uint8_t* uv, int width, const YuvCoefficients& k, uint8_t* out) {
#ifdef ODVD_NV12_AVX2
  if (cpu_has_avx2()) return convert_nv12_row_avx2(luma, uv, width, k, false, out);  // Note [AVX2 rows]
#endif
  (void)luma;
  (void)uv;
  (void)width;
  (void)k;
  (void)out;
  return 0;
}

RgbImage convert_to_rgb(const VideoFrame& frame, bool bgr) {
  RgbImage image = allocate_rgb(frame, bgr);
  convert_rows(frame, image, 0, frame.height);
  return image;
}

std::vector<std::string> cpu_features_used() {
#ifdef ODVD_NV12_AVX2
  if (cpu_has_avx2()) return {"avx2"};
#endif
  return {};
}

}  // namespace odvd
