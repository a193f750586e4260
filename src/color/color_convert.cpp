#include "color/color_convert.hpp"

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

// 4:2:0 semi-planar rows: one chroma pair serves two pixels of a row.
template <typename T>
void convert_semiplanar(const VideoFrame& f, const YuvCoefficients& k, bool bgr, uint8_t* out, int y0, int y1) {
  const int shift = sizeof(T) == 2 ? 16 - f.bit_depth : 0;
  for (int y = y0; y < y1; ++y) {
    const T* luma = reinterpret_cast<const T*>(f.plane_data(0) + static_cast<size_t>(y) * f.planes[0].pitch);
    const T* uv = reinterpret_cast<const T*>(f.plane_data(1) + static_cast<size_t>(y >> 1) * f.planes[1].pitch);
    uint8_t* row = out + static_cast<size_t>(y) * 3 * f.width;
    for (int x = 0; x < f.width; x += 2) {
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

YuvCoefficients make_yuv_coefficients(ColorInfo resolved, int bit_depth) {
  ODVD_CHECK(bit_depth >= 8 && bit_depth <= 12);
  const LumaWeights w = weights_of(resolved.matrix);
  const double kg = 1.0 - w.kr - w.kb;
  const int scale = 1 << (bit_depth - 8);
  const bool full = resolved.range == ColorRange::kFull;
  const double y_range = full ? (1 << bit_depth) - 1 : 219.0 * scale;
  const double c_range = full ? (1 << bit_depth) - 1 : 224.0 * scale;
  YuvCoefficients k{};
  k.y_offset = full ? 0 : 16 * scale;
  k.c_offset = 1 << (bit_depth - 1);
  k.y_gain = q16(255.0 / y_range);
  k.r_v = q16(255.0 * 2.0 * (1.0 - w.kr) / c_range);
  k.b_u = q16(255.0 * 2.0 * (1.0 - w.kb) / c_range);
  k.g_u = q16(255.0 * 2.0 * w.kb * (1.0 - w.kb) / kg / c_range);
  k.g_v = q16(255.0 * 2.0 * w.kr * (1.0 - w.kr) / kg / c_range);
  return k;
}

RgbImage allocate_rgb(const VideoFrame& frame, bool bgr) {
  if (!frame.buffer || frame.buffer->kind() != MemoryKind::kHost) {
    throw ArgumentError("convert_to_rgb: the CPU converter needs a frame in host memory");
  }
  RgbImage image;
  image.width = frame.width;
  image.height = frame.height;
  image.bgr = bgr;
  image.pts = frame.pts;
  image.buffer = make_host_buffer(static_cast<size_t>(3) * frame.width * frame.height);
  return image;
}

void convert_rows(const VideoFrame& frame, RgbImage& image, int row_begin, int row_end) {
  ODVD_CHECK(image.width == frame.width && image.height == frame.height);
  ODVD_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= frame.height);
  const YuvCoefficients k = make_yuv_coefficients(resolve_color(frame.color), frame.bit_depth);
  uint8_t* out = image.buffer->data();
  const bool bgr = image.bgr;
  switch (frame.format) {
    case PixelFormat::kNv12: convert_semiplanar<uint8_t>(frame, k, bgr, out, row_begin, row_end); break;
    case PixelFormat::kP016: convert_semiplanar<uint16_t>(frame, k, bgr, out, row_begin, row_end); break;
    case PixelFormat::kYuv444: convert_planar444<uint8_t>(frame, k, bgr, out, row_begin, row_end); break;
    case PixelFormat::kYuv444P16: convert_planar444<uint16_t>(frame, k, bgr, out, row_begin, row_end); break;
  }
}

RgbImage convert_to_rgb(const VideoFrame& frame, bool bgr) {
  RgbImage image = allocate_rgb(frame, bgr);
  convert_rows(frame, image, 0, frame.height);
  return image;
}

}  // namespace odvd
