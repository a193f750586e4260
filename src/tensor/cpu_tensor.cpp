#include "tensor/cpu_tensor.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "odvd/error.hpp"

namespace odvd {
namespace {

struct Band {
  const TensorPlan& plan;
  const TensorFrameJob& job;
  int y0;  // output rows [y0, y1)
  int y1;
};

// The output rows of a band, Note [CPU tensor rows].
template <typename Out, bool kNchw, bool kQuantized>
void write_band(const Band& band, Out* slot) {
  const TensorPlan& plan = band.plan;
  const TensorFrameJob& job = band.job;
  const int width = plan.width();
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
  std::vector<Rgbf> source(static_cast<size_t>(x_hi - x_lo));
  std::vector<Rgbf> filtered(static_cast<size_t>(y_hi - y_lo) * width);
  for (int sy = y_lo; sy < y_hi; ++sy) {
    for (int x = x_lo; x < x_hi; ++x) source[x - x_lo] = source_rgb<kQuantized>(job, job.crop_x + x, job.crop_y + sy);
    Rgbf* row = filtered.data() + static_cast<size_t>(sy - y_lo) * width;
    for (int ox = 0; ox < width; ++ox) {
      const float* w = tx.weights + static_cast<size_t>(ox) * tx.max_taps;
      const Rgbf* s = source.data() + (tx.first[ox] - x_lo);
      Rgbf acc{0.0F, 0.0F, 0.0F};
      for (int k = 0; k < tx.count[ox]; ++k) accumulate(acc, w[k], s[k]);
      row[ox] = acc;
    }
  }
  for (int oy = band.y0; oy < band.y1; ++oy) {
    const float* w = ty.weights + static_cast<size_t>(oy) * ty.max_taps;
    const Rgbf* rows = filtered.data() + static_cast<size_t>(ty.first[oy] - y_lo) * width;
    for (int ox = 0; ox < width; ++ox) {
      Rgbf acc{0.0F, 0.0F, 0.0F};
      for (int k = 0; k < ty.count[oy]; ++k) accumulate(acc, w[k], rows[static_cast<size_t>(k) * width + ox]);
      store_pixel<Out, kNchw>(slot, width, plan.height(), ox, oy, acc, plan.finish);
    }
  }
}

template <typename Out, bool kNchw>
void write_band_of(const Band& band, uint8_t* base) {
  Out* slot = reinterpret_cast<Out*>(base) + band.job.out_offset;
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

void write_tensor_on_cpu(const TensorPlan& plan, const TensorTarget& target, ThreadPool& pool) {
  ODVD_CHECK(target.buffer && target.buffer->kind() == MemoryKind::kHost);
  ODVD_CHECK(target.count == static_cast<int64_t>(plan.jobs.size()));
  ODVD_CHECK(target.height == plan.height() && target.width == plan.width());
  ODVD_CHECK(static_cast<int64_t>(target.buffer->size()) >= target.bytes());
  uint8_t* base = target.buffer->data();
  const size_t entries = plan.jobs.size();
  const size_t workers = pool.size() + 1;
  const size_t bands = entries == 0 ? 1 : std::max<size_t>(1, (2 * workers + entries - 1) / entries);
  const auto rows = static_cast<size_t>(plan.height());
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
