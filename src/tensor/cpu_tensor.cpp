#include "tensor/cpu_tensor.hpp"

#include <algorithm>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "color/color_convert.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

struct Band {
  const TensorPlan& plan;
  const TensorFrameJob& job;
  int y0;  // output rows [y0, y1)
  int y1;
};

// Source row sy, columns [x_lo, x_hi) of the crop, as the RGB bytes DecodeN12ToRGB gives
// (8-bit NV12 through its vector rows).
template <SourceKind kKind>
void convert_row_bytes(const TensorFrameJob& job, int sy, int x_lo, int x_hi, uint8_t* out) {
  const int y = job.crop_y + sy;
  int x = job.crop_x + x_lo;
  const int end = job.crop_x + x_hi;
  if constexpr (kKind == SourceKind::kSemiplanar8) {
    if (x % 2 == 0 && job.chroma_row_shift == 1) {
      const uint8_t* luma = job.planes[0] + static_cast<size_t>(y) * job.pitches[0] + x;
      const uint8_t* uv = job.planes[1] + static_cast<size_t>(y >> 1) * job.pitches[1] + x;
      const int done = convert_nv12_row_simd(luma, uv, end - x, job.q16, out);
      out += 3 * done;
      x += done;
    }
  }
  for (; x < end; ++x) {
    int32_t Y = 0;
    int32_t U = 0;
    int32_t V = 0;
    fetch_yuv_as<kKind>(job, x, y, Y, U, V);
    yuv_to_rgb_pixel(job.q16, Y, U, V, false, out);
    out += 3;
  }
}

// Source row sy, columns [x_lo, x_hi) of the crop, as interleaved R, G, B floats: for uint8
// outputs the RGB bytes, widened; for float outputs converted in floating point.
template <SourceKind kKind, bool kQuantized>
void convert_row(const TensorFrameJob& job, int sy, int x_lo, int x_hi, float* out) {
  if constexpr (kQuantized) {
    uint8_t bytes[3 * 256];
    for (int x = x_lo; x < x_hi; x += 256) {
      const int n = std::min(256, x_hi - x);
      convert_row_bytes<kKind>(job, sy, x, x + n, bytes);
      for (int i = 0; i < 3 * n; ++i) out[i] = bytes[i];
      out += 3 * n;
    }
  } else {
    // yuv_to_rgbf's arithmetic, a row at a time (Note [CPU float rows]).
    const int y = job.crop_y + sy;
    const FloatYuvCoefficients& k = job.fk;
    int32_t Ys[256];
    int32_t Us[256];
    int32_t Vs[256];
    float rgb[3][256];
    for (int x0 = job.crop_x + x_lo; x0 < job.crop_x + x_hi; x0 += 256) {
      const int n = std::min(256, job.crop_x + x_hi - x0);
      for (int i = 0; i < n; ++i) fetch_yuv_as<kKind>(job, x0 + i, y, Ys[i], Us[i], Vs[i]);
      for (int i = 0; i < n; ++i) {
        const float yy = k.y_gain * (static_cast<float>(Ys[i]) - k.y_offset);
        const float u = static_cast<float>(Us[i]) - k.c_offset;
        const float v = static_cast<float>(Vs[i]) - k.c_offset;
        rgb[0][i] = clamp01(yy + k.r_v * v);
        rgb[1][i] = clamp01(yy - k.g_u * u - k.g_v * v);
        rgb[2][i] = clamp01(yy + k.b_u * u);
      }
      for (int i = 0; i < n; ++i) {
        out[0] = rgb[0][i];
        out[1] = rgb[1][i];
        out[2] = rgb[2][i];
        out += 3;
      }
    }
  }
}

// Note [CPU float rows]
//   Float outputs convert each source pixel in floating point (no byte step). Pixel by
//   pixel, with the samples fetched between the arithmetic, the compiler keeps it scalar:
//   ~10 ms of a core per 1600x900 frame, most of a float DecodeToTensor's time on the CPU
//   back end. So a row goes in three loops of up to 256 pixels: fetch the samples, compute
//   R, G and B into planes (a loop of independent lanes that the compiler vectorises:
//   the same operations in the same order as yuv_to_rgbf, so the same floats), interleave.

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ODVD_TENSOR_F16C 1
// 8 floats at a time with the F16C instruction, rounding to nearest even. Returns how many
// of `n` it converted (a multiple of 8).
__attribute__((target("avx,f16c"))) int halves_f16c(const float* values, int n, uint16_t* out) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  return i;
}

// F16C from CPUID (leaf 1, ECX bit 29): clang's __builtin_cpu_supports does not know "f16c";
// "avx" also says that the OS saves the YMM registers.
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  }();
  return has;
}
#endif

// Output row oy from its interleaved R, G, B floats: normalised, cast, in the layout's
// places (the arithmetic of store_pixel, a channel at a time).
template <typename Out, bool kNchw>
void store_row(Out* slot, int width, int height, int oy, const float* rgb, const TensorFinish& f) {
  const int64_t plane = static_cast<int64_t>(width) * height;
  Out* row = kNchw ? slot + static_cast<int64_t>(oy) * width : slot + 3 * static_cast<int64_t>(oy) * width;
  for (int c = 0; c < 3; ++c) {
    const int from = c == 1 ? 1 : ((c == 0) == (f.bgr != 0) ? 2 : 0);
    const float scale = f.scale[c];
    const float bias = f.bias[c];
    Out* dst = kNchw ? row + c * plane : row + c;
    const int step = kNchw ? 1 : 3;
    int ox = 0;
    if constexpr (std::is_same_v<Out, Half16> && kNchw) {
      float values[256];
      for (; width - ox >= 8; ox += 256) {
        const int n = std::min(256, width - ox);
        for (int i = 0; i < n; ++i) values[i] = rgb[3 * (ox + i) + from] * scale + bias;
        floats_to_halves(values, n, reinterpret_cast<uint16_t*>(dst + ox));
      }
      ox = std::min(ox, width);
    }
    for (; ox < width; ++ox) dst[ox * step] = OutputCast<Out>::cast(rgb[3 * ox + from] * scale + bias);
  }
}

using ByteRowConverter = void (*)(const TensorFrameJob&, int, int, int, uint8_t*);

ByteRowConverter byte_row_converter(SourceKind kind) {
  switch (kind) {
    case SourceKind::kSemiplanar8: return convert_row_bytes<SourceKind::kSemiplanar8>;
    case SourceKind::kSemiplanar16: return convert_row_bytes<SourceKind::kSemiplanar16>;
    case SourceKind::kPlanar8: return convert_row_bytes<SourceKind::kPlanar8>;
    case SourceKind::kPlanar16: return convert_row_bytes<SourceKind::kPlanar16>;
  }
  return convert_row_bytes<SourceKind::kSemiplanar8>;
}

// uint8 without a resize: the RGB bytes themselves, in the layout's places (no float step;
// the same values as the general path, whose weights are all 1).
template <bool kNchw>
void copy_band_bytes(const Band& band, uint8_t* slot) {
  const TensorPlan& plan = band.plan;
  const int width = plan.width();
  const int64_t plane = static_cast<int64_t>(width) * plan.height();
  const ByteRowConverter convert = byte_row_converter(band.job.kind);
  std::vector<uint8_t> row(static_cast<size_t>(3) * width);
  const int first = plan.finish.bgr ? 2 : 0;
  for (int oy = band.y0; oy < band.y1; ++oy) {
    if (!kNchw) {
      // The converters give R, G, B; BGR swaps the first and third byte of each pixel.
      uint8_t* out = slot + static_cast<int64_t>(oy) * 3 * width;
      convert(band.job, oy, 0, width, out);
      if (first != 0) {
        for (int x = 0; x < width; ++x) std::swap(out[3 * x], out[3 * x + 2]);
      }
      continue;
    }
    convert(band.job, oy, 0, width, row.data());
    uint8_t* r = slot + static_cast<int64_t>(oy) * width;
    uint8_t* g = r + plane;
    uint8_t* b = g + plane;
    for (int x = 0; x < width; ++x) {
      r[x] = row[3 * x + first];
      g[x] = row[3 * x + 1];
      b[x] = row[3 * x + 2 - first];
    }
  }
}

template <bool kQuantized>
using RowConverter = void (*)(const TensorFrameJob&, int, int, int, float*);

template <bool kQuantized>
RowConverter<kQuantized> row_converter(SourceKind kind) {
  switch (kind) {
    case SourceKind::kSemiplanar8: return convert_row<SourceKind::kSemiplanar8, kQuantized>;
    case SourceKind::kSemiplanar16: return convert_row<SourceKind::kSemiplanar16, kQuantized>;
    case SourceKind::kPlanar8: return convert_row<SourceKind::kPlanar8, kQuantized>;
    case SourceKind::kPlanar16: return convert_row<SourceKind::kPlanar16, kQuantized>;
  }
  return convert_row<SourceKind::kSemiplanar8, kQuantized>;
}

// Whether output coordinates [0, n) of an axis read exactly their own source sample.
bool is_identity(const TapTableView& t, int lo, int hi) {
  for (int o = lo; o < hi; ++o) {
    if (t.first[o] != o || t.count[o] != 1 || t.weights[static_cast<size_t>(o) * t.max_taps] != 1.0F) return false;
  }
  return true;
}

// The output rows of a band, Note [CPU tensor rows]. Rows are interleaved R, G, B floats,
// so the vertical taps combine whole rows with one multiply-add per element.
template <typename Out, bool kNchw, bool kQuantized>
void write_band(const Band& band, Out* slot) {
  const TensorPlan& plan = band.plan;
  const TensorFrameJob& job = band.job;
  const int width = plan.width();
  const auto row_floats = static_cast<size_t>(3) * width;
  const TapTableView tx = tap_table_at(plan.tables.data(), job.taps_x);
  const TapTableView ty = tap_table_at(plan.tables.data(), job.taps_y);
  // Taps move forward along an axis: the band's source columns and rows start at its first
  // output's first tap.
  const int x_lo = tx.first[0];
  int x_hi = x_lo;
  for (int ox = 0; ox < width; ++ox) x_hi = std::max(x_hi, tx.first[ox] + tx.count[ox]);
  const int y_lo = ty.first[band.y0];
  int y_hi = y_lo;
  for (int oy = band.y0; oy < band.y1; ++oy) y_hi = std::max(y_hi, ty.first[oy] + ty.count[oy]);
  const bool same_columns = is_identity(tx, 0, width);
  const RowConverter<kQuantized> convert = row_converter<kQuantized>(job.kind);
  std::vector<float> source(same_columns ? 0 : static_cast<size_t>(3) * (x_hi - x_lo));
  std::vector<float> filtered(static_cast<size_t>(y_hi - y_lo) * row_floats);
  for (int sy = y_lo; sy < y_hi; ++sy) {
    float* row = filtered.data() + static_cast<size_t>(sy - y_lo) * row_floats;
    if (same_columns) {
      convert(job, sy, 0, width, row);
      continue;
    }
    convert(job, sy, x_lo, x_hi, source.data());
    for (int ox = 0; ox < width; ++ox) {
      const float* w = tx.weights + static_cast<size_t>(ox) * tx.max_taps;
      const float* s = source.data() + 3 * static_cast<size_t>(tx.first[ox] - x_lo);
      Rgbf acc{0.0F, 0.0F, 0.0F};
      for (int k = 0; k < tx.count[ox]; ++k) accumulate(acc, w[k], Rgbf{s[3 * k], s[3 * k + 1], s[3 * k + 2]});
      row[3 * ox] = acc.r;
      row[3 * ox + 1] = acc.g;
      row[3 * ox + 2] = acc.b;
    }
  }
  std::vector<float> acc(row_floats);
  for (int oy = band.y0; oy < band.y1; ++oy) {
    const float* w = ty.weights + static_cast<size_t>(oy) * ty.max_taps;
    const float* rows = filtered.data() + static_cast<size_t>(ty.first[oy] - y_lo) * row_floats;
    const float* result = rows;  // one tap of weight 1: the row itself
    if (ty.count[oy] != 1 || w[0] != 1.0F) {
      std::fill(acc.begin(), acc.end(), 0.0F);
      for (int k = 0; k < ty.count[oy]; ++k) {
        const float* r = rows + static_cast<size_t>(k) * row_floats;
        const float wk = w[k];
        for (size_t i = 0; i < row_floats; ++i) acc[i] += wk * r[i];
      }
      result = acc.data();
    }
    store_row<Out, kNchw>(slot, width, plan.height(), oy, result, plan.finish);
  }
}

template <typename Out, bool kNchw>
void write_band_of(const Band& band, uint8_t* base) {
  Out* slot = reinterpret_cast<Out*>(base) + band.job.out_offset;
  if constexpr (std::is_same_v<Out, uint8_t>) {
    const TapTableView tx = tap_table_at(band.plan.tables.data(), band.job.taps_x);
    const TapTableView ty = tap_table_at(band.plan.tables.data(), band.job.taps_y);
    if (is_identity(tx, 0, band.plan.width()) && is_identity(ty, band.y0, band.y1)) {
      copy_band_bytes<kNchw>(band, slot);
      return;
    }
  }
  write_band<Out, kNchw, std::is_same_v<Out, uint8_t>>(band, slot);
}

template <bool kNchw>
void dispatch_dtype(const Band& band, TensorDtype dtype, uint8_t* base) {
  switch (dtype) {
    case TensorDtype::kUint8: write_band_of<uint8_t, kNchw>(band, base); return;
    case TensorDtype::kFloat16: write_band_of<Half16, kNchw>(band, base); return;
    case TensorDtype::kBFloat16: write_band_of<BFloat16, kNchw>(band, base); return;
    case TensorDtype::kFloat32: write_band_of<float, kNchw>(band, base); return;
  }
}

}  // namespace

bool floats_to_halves_vectorised() {
#ifdef ODVD_TENSOR_F16C
  return cpu_has_f16c();
#else
  return false;
#endif
}

void floats_to_halves(const float* values, int n, uint16_t* out) {
  int i = 0;
#ifdef ODVD_TENSOR_F16C
  if (cpu_has_f16c()) i = halves_f16c(values, n, out);
#endif
  for (; i < n; ++i) out[i] = float_to_half_bits(values[i]);
}

void write_tensor_on_cpu(const TensorPlan& plan, const TensorTarget& target, ThreadPool& pool) {
  ODVD_CHECK(target.buffer && target.buffer->kind() == MemoryKind::kHost);
  ODVD_CHECK(target.count == static_cast<int64_t>(plan.jobs.size()));
  ODVD_CHECK(target.height == plan.height() && target.width == plan.width());
  ODVD_CHECK(static_cast<int64_t>(target.buffer->size()) >= target.bytes());
  uint8_t* base = target.buffer->data();
  const size_t entries = plan.jobs.size();
  const size_t workers = pool.size() + 1;
  const auto rows = static_cast<size_t>(plan.height());
  // Bands of at most kBandRows output rows keep a band's filtered rows in cache (a whole
  // frame of float rows would be tens of MB); and at least two tasks per worker.
  constexpr size_t kBandRows = 16;
  const size_t bands = std::max(
      {size_t{1}, entries == 0 ? 1 : (2 * workers + entries - 1) / entries, (rows + kBandRows - 1) / kBandRows});
  const size_t slot_bytes = static_cast<size_t>(target.slot_elements()) * tensor_dtype_size(target.dtype);
  pool.run_all(entries * bands, [&](size_t task) {
    const TensorFrameJob& job = plan.jobs[task / bands];
    const size_t b = task % bands;
    const int y0 = static_cast<int>(rows * b / bands);
    const int y1 = static_cast<int>(rows * (b + 1) / bands);
    if (y0 == y1) return;
    if (job.present == 0) {
      // A slot without a frame is zeros (Note [Tensor values]); each band clears its rows.
      const size_t per_row = slot_bytes / rows;
      uint8_t* slot = base + static_cast<size_t>(job.out_offset) * tensor_dtype_size(target.dtype);
      if (target.layout == TensorLayout::kNhwc) {
        std::memset(slot + per_row * y0, 0, per_row * (y1 - y0));
      } else {
        const size_t plane = slot_bytes / 3;
        for (int c = 0; c < 3; ++c) std::memset(slot + c * plane + plane / rows * y0, 0, plane / rows * (y1 - y0));
      }
      return;
    }
    const Band band{plan, job, y0, y1};
    if (target.layout == TensorLayout::kNchw) {
      dispatch_dtype<true>(band, target.dtype, base);
    } else {
      dispatch_dtype<false>(band, target.dtype, base);
    }
  });
}

}  // namespace odvd
