// The pieces of training batches that have exact answers (odvd/tensor.hpp): the float16
// and bfloat16 casts (every value, every tie), the resize filters' tap tables (Note
// [Resize filters]), the plan's refusals, and the CPU loops on frames whose answer is
// known. tests/python/test_tensor.py checks whole batches against a float64 reference.
#include <gtest/gtest.h>

#include <cmath>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <cstring>
#include <string>
#include <vector>

#include "odvd/error.hpp"
#include "tensor/cpu_tensor.hpp"
#include "tensor/resize_filter.hpp"
#include "tensor/tensor_math.hpp"
#include "tensor/tensor_plan.hpp"

namespace odvd {
namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// The exact value of a finite half pattern.
double half_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const double mant = h & 0x3ff;
  const double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(mant + 1024, exp - 25);
  return (h & 0x8000) ? -v : v;
}

TEST(TensorCasts, FloatToHalfIsExactAndRoundsTiesToEven) {
  for (uint32_t h = 0; h < 0x7c00; ++h) {  // every finite positive half
    const auto f = static_cast<float>(half_value(static_cast<uint16_t>(h)));
    ASSERT_EQ(float_to_half_bits(f), h) << f;
    ASSERT_EQ(float_to_half_bits(-f), h | 0x8000U) << f;
    if (h + 1 < 0x7c00) {
      // The midpoint to the next half (exact in float) goes to the even one.
      const auto mid =
          static_cast<float>((half_value(static_cast<uint16_t>(h)) + half_value(static_cast<uint16_t>(h + 1))) / 2);
      ASSERT_EQ(float_to_half_bits(mid), (h & 1U) ? h + 1 : h) << mid;
      ASSERT_EQ(float_to_half_bits(std::nextafter(mid, 1e9F)), h + 1) << mid;
      ASSERT_EQ(float_to_half_bits(std::nextafter(mid, 0.0F)), h) << mid;
    }
  }
  EXPECT_EQ(float_to_half_bits(65520.0F), 0x7c00U);  // the tie above 65504 overflows
  EXPECT_EQ(float_to_half_bits(65519.0F), 0x7bffU);
  EXPECT_EQ(float_to_half_bits(INFINITY), 0x7c00U);
  EXPECT_EQ(float_to_half_bits(-INFINITY), 0xfc00U);
  EXPECT_EQ(float_to_half_bits(NAN) & 0x7c00U, 0x7c00U);
  EXPECT_NE(float_to_half_bits(NAN) & 0x3ffU, 0U);
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0F, -25)), 0U);  // tie between 0 and the smallest: even
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.5F, -25)), 1U);
}

TEST(TensorCasts, VectorHalvesEqualTheScalarOnes) {
  // Every float16 value, every midpoint and its neighbours, out-of-range values and
  // zeros, through floats_to_halves (F16C where the CPU has it) and float_to_half_bits.
  std::vector<float> values;
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const auto f = static_cast<float>(half_value(static_cast<uint16_t>(h)));
    const auto mid =
        static_cast<float>((half_value(static_cast<uint16_t>(h)) + half_value(static_cast<uint16_t>(h + 1))) / 2);
    for (float v : {f, -f, mid, -mid, std::nextafter(mid, 1e9F), std::nextafter(mid, 0.0F)}) values.push_back(v);
  }
  for (float v : {65519.0F, 65520.0F, 1e9F, -1e9F, INFINITY, -INFINITY, 0.0F, -0.0F, 1e-30F}) values.push_back(v);
#if defined(__x86_64__)
  // The vector path is the one compared whenever the CPU has it (a lost #define once turned
  // it off without any test noticing). F16C: CPUID leaf 1, ECX bit 29.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C);
  EXPECT_EQ(floats_to_halves_vectorised(), f16c);
#endif
  std::vector<uint16_t> got(values.size());
  floats_to_halves(values.data(), static_cast<int>(values.size()), got.data());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(got[i], float_to_half_bits(values[i])) << values[i];
}

TEST(TensorCasts, FloatToBfloat16RoundsTiesToEven) {
  for (uint32_t b = 0; b < 0x7f80; b += 7) {
    const float f = from_bits(b << 16);
    ASSERT_EQ(float_to_bfloat16_bits(f), b);
    const float mid = from_bits((b << 16) | 0x8000U);
    ASSERT_EQ(float_to_bfloat16_bits(mid), (b & 1U) ? b + 1 : b);
    ASSERT_EQ(float_to_bfloat16_bits(from_bits((b << 16) | 0x8001U)), b + 1);
    ASSERT_EQ(float_to_bfloat16_bits(from_bits((b << 16) | 0x7fffU)), b);
  }
  EXPECT_EQ(float_to_bfloat16_bits(NAN) & 0x7f80U, 0x7f80U);
  EXPECT_NE(float_to_bfloat16_bits(NAN) & 0x7fU, 0U);
}

TEST(ResizeFilter, AnAxisNotResizedIsOneTapOfWeightOne) {
  for (Interpolation i : {Interpolation::kBilinear, Interpolation::kNearest, Interpolation::kArea}) {
    for (bool aa : {false, true}) {
      const AxisTaps t = make_axis_taps(37, 37, i, aa);
      ASSERT_EQ(t.max_taps, 1);
      for (int o = 0; o < 37; ++o) {
        EXPECT_EQ(t.first[o], o);
        EXPECT_EQ(t.count[o], 1);
        EXPECT_EQ(t.weights[o], 1.0F);
      }
    }
  }
}

TEST(ResizeFilter, WeightsSumToOneAndStayInside) {
  for (int in : {1, 2, 7, 100, 1600}) {
    for (int out : {1, 3, 8, 99, 448, 2000}) {
      for (Interpolation i : {Interpolation::kBilinear, Interpolation::kNearest, Interpolation::kArea}) {
        for (bool aa : {false, true}) {
          const AxisTaps t = make_axis_taps(in, out, i, aa);
          for (int o = 0; o < out; ++o) {
            ASSERT_GE(t.first[o], 0);
            ASSERT_LE(t.first[o] + t.count[o], in);
            double sum = 0;
            for (int k = 0; k < t.count[o]; ++k) sum += t.weights[o * t.max_taps + k];
            ASSERT_NEAR(sum, 1.0, 1e-6) << in << "->" << out;
          }
        }
      }
    }
  }
}

TEST(ResizeFilter, BilinearAndAreaOnKnownCases) {
  // 2x down without antialiasing: the two samples around each centre, equally.
  AxisTaps t = make_axis_taps(8, 4, Interpolation::kBilinear, false);
  EXPECT_EQ(t.first[1], 2);
  EXPECT_EQ(t.count[1], 2);
  EXPECT_FLOAT_EQ(t.weights[1 * t.max_taps], 0.5F);
  // With antialiasing the triangle is 2 samples wide each side: weights 1/8, 3/8, 3/8, 1/8.
  t = make_axis_taps(8, 4, Interpolation::kBilinear, true);
  EXPECT_EQ(t.first[1], 1);
  EXPECT_EQ(t.count[1], 4);
  EXPECT_FLOAT_EQ(t.weights[1 * t.max_taps + 0], 0.125F);
  EXPECT_FLOAT_EQ(t.weights[1 * t.max_taps + 1], 0.375F);
  // 2x up: output 1 sits at source 0.25: 3/4 of sample 0, 1/4 of sample 1; the border repeats.
  t = make_axis_taps(4, 8, Interpolation::kBilinear, true);
  EXPECT_EQ(t.first[0], 0);
  EXPECT_EQ(t.count[0], 1);
  EXPECT_FLOAT_EQ(t.weights[1 * t.max_taps], 0.75F);
  // Area 3 -> 2: output 0 covers [0, 1.5): sample 0 whole, half of sample 1.
  t = make_axis_taps(3, 2, Interpolation::kArea, true);
  EXPECT_EQ(t.count[0], 2);
  EXPECT_NEAR(t.weights[0], 2.0 / 3, 1e-7);
  EXPECT_NEAR(t.weights[1], 1.0 / 3, 1e-7);
  // Nearest 5 -> 2: centres 1.25 and 3.75.
  t = make_axis_taps(5, 2, Interpolation::kNearest, true);
  EXPECT_EQ(t.first[0], 1);
  EXPECT_EQ(t.first[1], 3);
}

// A host NV12 frame of one colour.
VideoFrame flat_frame(int width, int height, uint8_t y, uint8_t u, uint8_t v) {
  VideoFrame f = allocate_host_frame(PixelFormat::kNv12, width, height, 8);
  std::memset(f.plane_data(0), y, static_cast<size_t>(f.planes[0].pitch) * height);
  for (int r = 0; r < f.planes[1].height; ++r) {
    uint8_t* row = f.plane_data(1) + static_cast<size_t>(r) * f.planes[1].pitch;
    for (int x = 0; x + 1 < f.planes[1].pitch; x += 2) {
      row[x] = u;
      row[x + 1] = v;
    }
  }
  return f;
}

// The tensor's elements as floats, whatever the dtype.
std::vector<float> tensor_values(const TensorTarget& t) {
  const size_t n = static_cast<size_t>(t.slot_elements()) * t.count;
  std::vector<float> v(n);
  const uint8_t* p = t.buffer->data();
  for (size_t k = 0; k < n; ++k) {
    switch (t.dtype) {
      case TensorDtype::kUint8: v[k] = p[k]; break;
      case TensorDtype::kFloat32: std::memcpy(&v[k], p + 4 * k, 4); break;
      case TensorDtype::kBFloat16: {
        uint16_t b;
        std::memcpy(&b, p + 2 * k, 2);
        v[k] = from_bits(static_cast<uint32_t>(b) << 16);
        break;
      }
      case TensorDtype::kFloat16: {
        uint16_t h;
        std::memcpy(&h, p + 2 * k, 2);
        v[k] = static_cast<float>(half_value(h));
        break;
      }
    }
  }
  return v;
}

TEST(TensorPlan, RefusesCropsOutsideAFrameAndUnequalSizes) {
  const VideoFrame a = flat_frame(64, 32, 100, 128, 128);
  const VideoFrame b = flat_frame(48, 32, 100, 128, 128);
  TensorOptions o;
  o.crop = CropRect{10, 0, 50, 32};
  try {
    make_tensor_plan({&a, &b}, {"A", "B"}, o);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "crop=(10, 0, 50, 32) (x, y, width, height) does not fit the 48x32 frame of B");
  }
  try {
    make_tensor_plan({&a, &b}, {"A", "B"}, TensorOptions{});
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("A gives 64x32 and B gives 48x32; pass size="), std::string::npos);
  }
  EXPECT_THROW(make_tensor_plan({nullptr}, {"A"}, TensorOptions{}), ArgumentError);  // no size to take
  o.crop = CropRect{};
  o.height = 5;
  o.width = 7;
  const TensorPlan plan = make_tensor_plan({&a, nullptr, &b}, {"A", "-", "B"}, o);
  EXPECT_EQ(plan.jobs.size(), 3U);
  EXPECT_EQ(plan.jobs[1].present, 0);
  EXPECT_EQ(plan.jobs[2].out_offset, 2 * 3 * 5 * 7);
}

TEST(TensorCpu, AFlatFrameGivesItsColourEverywhereInEveryDtype) {
  // Y=126 U=V=128 limited range: grey (126 - 16) * 255 / 219 = 128.08 -> 128 (uint8), 0.50228 (float).
  const VideoFrame f = flat_frame(33, 17, 126, 128, 128);
  ThreadPool pool(2);
  for (TensorDtype dtype :
       {TensorDtype::kUint8, TensorDtype::kFloat16, TensorDtype::kBFloat16, TensorDtype::kFloat32}) {
    for (TensorLayout layout : {TensorLayout::kNchw, TensorLayout::kNhwc}) {
      TensorOptions o;
      o.dtype = dtype;
      o.layout = layout;
      o.height = 9;
      o.width = 20;
      const TensorPlan plan = make_tensor_plan({&f, nullptr}, {"f", "none"}, o);
      TensorTarget t;
      t.count = 2;
      t.height = 9;
      t.width = 20;
      t.dtype = dtype;
      t.layout = layout;
      t.buffer = make_host_buffer(static_cast<size_t>(t.bytes()));
      std::memset(t.buffer->data(), 0xff, t.bytes());
      write_tensor_on_cpu(plan, t, pool);
      const size_t n = 3 * 9 * 20;
      const std::vector<float> values = tensor_values(t);
      for (size_t k = 0; k < 2 * n; ++k) {
        const float v = values[k];
        const double want = k >= n ? 0.0 : (dtype == TensorDtype::kUint8 ? 128.0 : 110.0 / 219.0);
        const double bound = dtype == TensorDtype::kBFloat16 ? 4e-3 : 1e-3;
        ASSERT_NEAR(v, want, bound) << tensor_dtype_name(dtype) << " element " << k;
      }
    }
  }
}

// A frame whose red and blue differ everywhere: luma and both chroma samples vary with x and y.
VideoFrame colour_frame(int width, int height) {
  VideoFrame f = allocate_host_frame(PixelFormat::kNv12, width, height, 8);
  for (int r = 0; r < height; ++r) {
    for (int x = 0; x < width; ++x)
      f.plane_data(0)[static_cast<size_t>(r) * f.planes[0].pitch + x] = 40 + (3 * x + r) % 150;
  }
  for (int r = 0; r < f.planes[1].height; ++r) {
    uint8_t* row = f.plane_data(1) + static_cast<size_t>(r) * f.planes[1].pitch;
    for (int x = 0; x + 1 < f.planes[1].pitch; x += 2) {
      row[x] = static_cast<uint8_t>(60 + (x + 5 * r) % 40);       // U: low (little blue)
      row[x + 1] = static_cast<uint8_t>(170 + (2 * x + r) % 60);  // V: high (much red)
    }
  }
  return f;
}

TEST(TensorCpu, BgrIsRgbWithTheFirstAndThirdChannelsSwapped) {
  // Every dtype and layout, without a resize (uint8 takes the byte path there) and with one.
  const VideoFrame f = colour_frame(38, 22);
  ThreadPool pool(2);
  for (TensorDtype dtype :
       {TensorDtype::kUint8, TensorDtype::kFloat16, TensorDtype::kBFloat16, TensorDtype::kFloat32}) {
    for (TensorLayout layout : {TensorLayout::kNchw, TensorLayout::kNhwc}) {
      for (const bool resize : {false, true}) {
        std::vector<float> out[2];
        int height = 0;
        int width = 0;
        for (const bool bgr : {false, true}) {
          TensorOptions o;
          o.dtype = dtype;
          o.layout = layout;
          o.bgr = bgr;
          if (resize) {
            o.height = 15;
            o.width = 27;
          }
          const TensorPlan plan = make_tensor_plan({&f}, {"f"}, o);
          TensorTarget t;
          t.count = 1;
          t.height = height = plan.height();
          t.width = width = plan.width();
          t.dtype = dtype;
          t.layout = layout;
          t.buffer = make_host_buffer(static_cast<size_t>(t.bytes()));
          write_tensor_on_cpu(plan, t, pool);
          out[bgr ? 1 : 0] = tensor_values(t);
        }
        const std::string what = std::string(tensor_dtype_name(dtype)) +
                                 (layout == TensorLayout::kNchw ? " NCHW" : " NHWC") + (resize ? " resized" : "");
        const size_t pixels = static_cast<size_t>(height) * width;
        size_t red_not_blue = 0;
        for (size_t i = 0; i < pixels; ++i) {
          for (int c = 0; c < 3; ++c) {
            const size_t rgb_at = layout == TensorLayout::kNchw ? c * pixels + i : 3 * i + c;
            const size_t bgr_at = layout == TensorLayout::kNchw ? (2 - c) * pixels + i : 3 * i + (2 - c);
            ASSERT_EQ(out[0][rgb_at], out[1][bgr_at]) << what << " pixel " << i << " channel " << c;
          }
          const size_t r_at = layout == TensorLayout::kNchw ? i : 3 * i;
          const size_t b_at = layout == TensorLayout::kNchw ? 2 * pixels + i : 3 * i + 2;
          red_not_blue += out[0][r_at] != out[0][b_at];
        }
        EXPECT_EQ(red_not_blue, pixels) << what
                                        << ": the frame's red and blue must differ for the test to mean anything";
      }
    }
  }
}

TEST(TensorOptions, ValidateNamesTheField) {
  TensorOptions o;
  o.height = 4;
  EXPECT_THROW(o.validate(), ArgumentError);  // a size needs both sides
  o.width = 4;
  o.validate();
  o.normalize = true;
  EXPECT_THROW(o.validate(), ArgumentError);  // uint8 is never normalised
  o.dtype = TensorDtype::kFloat32;
  o.validate();
  o.std[1] = 0.0F;
  EXPECT_THROW(o.validate(), ArgumentError);
}

}  // namespace
}  // namespace odvd
