// The shared pixel math (Note [Colour conversion]) and the CPU converter.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "color/color_convert.hpp"

namespace odvd {
namespace {

std::array<uint8_t, 3> px(const YuvCoefficients& k, int y, int u, int v, bool bgr = false) {
  std::array<uint8_t, 3> out{};
  yuv_to_rgb_pixel(k, y, u, v, bgr, out.data());
  return out;
}

// Floating-point reference of the same definition.
std::array<int, 3> reference(ColorInfo c, int depth, int y, int u, int v) {
  const double kr = c.matrix == ColorMatrix::kBt709 ? 0.2126 : (c.matrix == ColorMatrix::kBt2020Ncl ? 0.2627 : 0.299);
  const double kb = c.matrix == ColorMatrix::kBt709 ? 0.0722 : (c.matrix == ColorMatrix::kBt2020Ncl ? 0.0593 : 0.114);
  const double s = 1 << (depth - 8);
  const bool full = c.range == ColorRange::kFull;
  const double yn = full ? y / ((1 << depth) - 1.0) : (y - 16 * s) / (219 * s);
  const double un = full ? (u - (1 << (depth - 1))) / ((1 << depth) - 1.0) : (u - 128 * s) / (224 * s);
  const double vn = full ? (v - (1 << (depth - 1))) / ((1 << depth) - 1.0) : (v - 128 * s) / (224 * s);
  const double kg = 1 - kr - kb;
  double rgb[3] = {yn + 2 * (1 - kr) * vn, yn - 2 * kb * (1 - kb) / kg * un - 2 * kr * (1 - kr) / kg * vn,
                   yn + 2 * (1 - kb) * un};
  std::array<int, 3> out{};
  for (int i = 0; i < 3; ++i) out[i] = static_cast<int>(std::lround(std::fmin(255, std::fmax(0, rgb[i] * 255))));
  return out;
}

TEST(Color, DefaultsAreLimitedRangeBt601) {
  ColorInfo c = resolve_color(ColorInfo{});
  EXPECT_EQ(c.range, ColorRange::kLimited);
  EXPECT_EQ(c.matrix, ColorMatrix::kSmpte170m);
  EXPECT_EQ(resolve_color(ColorInfo{ColorRange::kFull, ColorMatrix::kBt709}).matrix, ColorMatrix::kBt709);
}

TEST(Color, LimitedRangeBlackWhiteAndPrimaries) {
  YuvCoefficients k = make_yuv_coefficients(resolve_color({}), 8);
  EXPECT_EQ(px(k, 16, 128, 128), (std::array<uint8_t, 3>{0, 0, 0}));
  EXPECT_EQ(px(k, 235, 128, 128), (std::array<uint8_t, 3>{255, 255, 255}));
  EXPECT_EQ(px(k, 126, 128, 128), (std::array<uint8_t, 3>{128, 128, 128}));
  // BT.601 pure red (Y 81, U 90, V 240) is close to (255, 0, 0).
  auto red = px(k, 81, 90, 240);
  EXPECT_GE(red[0], 253);
  EXPECT_LE(red[1], 2);
  EXPECT_LE(red[2], 2);
  EXPECT_EQ(px(k, 81, 90, 240, true)[2], red[0]);  // BGR swaps the outer channels
}

TEST(Color, MatchesFloatingPointDefinitionWithinOne) {
  const ColorInfo cases[] = {{ColorRange::kLimited, ColorMatrix::kSmpte170m},
                             {ColorRange::kLimited, ColorMatrix::kBt709},
                             {ColorRange::kFull, ColorMatrix::kBt709},
                             {ColorRange::kLimited, ColorMatrix::kBt2020Ncl}};
  for (const ColorInfo& c : cases) {
    for (int depth : {8, 10}) {
      YuvCoefficients k = make_yuv_coefficients(c, depth);
      const int max = (1 << depth) - 1;
      for (int y = 0; y <= max; y += 7) {
        for (int u = 0; u <= max; u += 37) {
          for (int v = 0; v <= max; v += 41) {
            auto got = px(k, y, u, v);
            auto want = reference(c, depth, y, u, v);
            for (int i = 0; i < 3; ++i) ASSERT_LE(std::abs(got[i] - want[i]), 1) << y << " " << u << " " << v;
          }
        }
      }
    }
  }
}

TEST(Color, TenBitOfEightBitValuesGivesTheSameRgb) {
  YuvCoefficients k8 = make_yuv_coefficients(resolve_color({}), 8);
  YuvCoefficients k10 = make_yuv_coefficients(resolve_color({}), 10);
  int differing = 0;
  for (int y = 16; y <= 235; y += 3) {
    for (int c = 16; c <= 240; c += 8) {
      auto a = px(k8, y, c, 255 - c);
      auto b = px(k10, y << 2, c << 2, (255 - c) << 2);
      for (int i = 0; i < 3; ++i) differing += std::abs(a[i] - b[i]) > 1;
    }
  }
  EXPECT_EQ(differing, 0);
}

TEST(Color, ConvertsNv12AndP016Frames) {
  for (PixelFormat fmt : {PixelFormat::kNv12, PixelFormat::kP016}) {
    const int depth = fmt == PixelFormat::kNv12 ? 8 : 10;
    VideoFrame f = allocate_host_frame(fmt, 5, 3, depth);     // odd sizes
    const int shift = fmt == PixelFormat::kNv12 ? 0 : 6 + 2;  // 10-bit sample of the 8-bit value, high-aligned
    auto put = [&](int plane, int x, int y, int value) {
      uint8_t* row = f.plane_data(plane) + y * f.planes[plane].pitch;
      if (fmt == PixelFormat::kNv12) {
        row[x] = static_cast<uint8_t>(value);
      } else {
        reinterpret_cast<uint16_t*>(row)[x] = static_cast<uint16_t>(value << shift);
      }
    };
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 5; ++x) put(0, x, y, 16 + 40 * x);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) {
        put(1, 2 * x, y, 128);
        put(1, 2 * x + 1, y, 128);
      }
    RgbImage rgb = convert_to_rgb(f, false);
    ASSERT_EQ(rgb.width, 5);
    ASSERT_EQ(rgb.height, 3);
    YuvCoefficients k8 = make_yuv_coefficients(resolve_color({}), 8);
    for (int x = 0; x < 5; ++x) {
      auto want = px(k8, 16 + 40 * x, 128, 128);
      const uint8_t* got = rgb.buffer->data() + 2 * rgb.stride() + 3 * x;
      for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], 1) << pixel_format_name(fmt) << " x=" << x;
    }
  }
}

// Note [AVX2 rows]: the vector rows give the scalar loop's bytes exactly, for every width
// (vector steps, the scalar tail, odd widths), both channel orders, every range and matrix,
// and samples at the extremes (clamping both ways). Where the CPU has no AVX2 both calls
// take the scalar path and the test still holds.
TEST(Color, VectorRowsEqualScalarRows) {
  uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<uint8_t>(seed >> 24);
  };
  const ColorInfo colors[] = {{},
                              {ColorRange::kFull, ColorMatrix::kBt709},
                              {ColorRange::kLimited, ColorMatrix::kBt709},
                              {ColorRange::kFull, ColorMatrix::kBt2020Ncl}};
  for (int width : {1, 2, 7, 8, 9, 10, 11, 16, 17, 18, 33, 64, 65, 1600}) {
    const int height = 3;
    VideoFrame f = allocate_host_frame(PixelFormat::kNv12, width, height, 8);
    for (int plane = 0; plane < 2; ++plane) {
      const int rows = plane == 0 ? height : (height + 1) / 2;
      for (int y = 0; y < rows; ++y) {
        uint8_t* row = f.plane_data(plane) + y * f.planes[plane].pitch;
        for (int x = 0; x < f.planes[plane].pitch; ++x) {
          const uint8_t r = next();
          row[x] = r < 20 ? 0 : (r > 235 ? 255 : next());  // extremes often
        }
      }
    }
    for (const ColorInfo& color : colors) {
      f.color = color;
      for (bool bgr : {false, true}) {
        RgbImage vector_rows = allocate_rgb(f, bgr);
        RgbImage scalar_rows = allocate_rgb(f, bgr);
        convert_rows(f, vector_rows, 0, height, /*allow_simd=*/true);
        convert_rows(f, scalar_rows, 0, height, /*allow_simd=*/false);
        ASSERT_EQ(std::memcmp(vector_rows.buffer->data(), scalar_rows.buffer->data(),
                              static_cast<size_t>(3) * width * height),
                  0)
            << "width " << width << " bgr " << bgr;
      }
    }
  }
}

}  // namespace
}  // namespace odvd
