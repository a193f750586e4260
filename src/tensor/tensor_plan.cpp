#include "tensor/tensor_plan.hpp"

#include <cstring>
#include <map>
#include <tuple>

#include "color/color_convert.hpp"
#include "odvd/error.hpp"
#include "tensor/resize_filter.hpp"

namespace odvd {
namespace {

std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string crop_text(const CropRect& c) {
  return "crop=(" + std::to_string(c.x) + ", " + std::to_string(c.y) + ", " + std::to_string(c.width) + ", " +
         std::to_string(c.height) + ")";
}

// The source rectangle entry `i` reads: the crop, or the whole frame.
CropRect source_rect(const VideoFrame& f, const TensorOptions& o, const std::string& label) {
  if (o.crop.whole()) return CropRect{0, 0, f.width, f.height};
  const CropRect& c = o.crop;
  if (int64_t{c.x} + c.width > f.width || int64_t{c.y} + c.height > f.height) {
    throw ArgumentError(crop_text(c) + " (x, y, width, height) does not fit the " + size_text(f.width, f.height) +
                        " frame of " + label);
  }
  return c;
}

// The output size: the options' or, if unset, the one size every source rectangle has.
void resolve_size(TensorOptions& o, const std::vector<const VideoFrame*>& picked,
                  const std::vector<std::string>& labels) {
  if (o.height > 0) return;
  int found = -1;
  for (size_t i = 0; i < picked.size(); ++i) {
    if (picked[i] == nullptr) continue;
    const CropRect r = source_rect(*picked[i], o, labels[i]);
    if (found < 0) {
      found = static_cast<int>(i);
      o.width = r.width;
      o.height = r.height;
    } else if (r.width != o.width || r.height != o.height) {
      throw ArgumentError("size=None needs every frame (or crop) to have one size, but " + labels[found] + " gives " +
                          size_text(o.width, o.height) + " and " + labels[i] + " gives " +
                          size_text(r.width, r.height) + "; pass size=(height, width)");
    }
  }
  if (found < 0) throw ArgumentError("size=None, and no entry has a frame to take the size from; pass size=");
}

// Appends an axis' table to the block (4-byte aligned), returns its offset.
int32_t append_table(std::vector<uint8_t>& block, const AxisTaps& taps) {
  const TapTableHeader header{taps.out_size, taps.max_taps};
  const size_t offset = block.size();
  const size_t bytes = sizeof header + 4 * (2 * taps.first.size() + taps.weights.size());
  ODVD_CHECK(offset + bytes < (size_t{1} << 31));
  block.resize(offset + bytes);
  uint8_t* p = block.data() + offset;
  auto put = [&p](const void* src, size_t n) {
    std::memcpy(p, src, n);
    p += n;
  };
  put(&header, sizeof header);
  put(taps.first.data(), 4 * taps.first.size());
  put(taps.count.data(), 4 * taps.count.size());
  put(taps.weights.data(), 4 * taps.weights.size());
  return static_cast<int32_t>(offset);
}

TensorFinish make_finish(const TensorOptions& o) {
  TensorFinish f{};
  for (int c = 0; c < 3; ++c) {
    f.scale[c] = o.normalize ? 1.0F / o.std[c] : 1.0F;
    f.bias[c] = o.normalize ? -o.mean[c] / o.std[c] : 0.0F;
  }
  f.bgr = o.bgr ? 1 : 0;
  return f;
}

}  // namespace

PackedPlan packed_plan_layout(const std::vector<TensorFrameJob>& jobs, const std::vector<uint8_t>& tables) {
  PackedPlan p;
  p.tables_offset = (jobs.size() * sizeof(TensorFrameJob) + 15) / 16 * 16;
  p.bytes = p.tables_offset + tables.size();
  return p;
}

void pack_plan(const std::vector<TensorFrameJob>& jobs, const std::vector<uint8_t>& tables, const PackedPlan& layout,
               uint8_t* dst) {
  const size_t jobs_bytes = jobs.size() * sizeof(TensorFrameJob);
  if (jobs_bytes != 0) std::memcpy(dst, jobs.data(), jobs_bytes);
  std::memset(dst + jobs_bytes, 0, layout.tables_offset - jobs_bytes);  // the alignment gap
  if (!tables.empty()) std::memcpy(dst + layout.tables_offset, tables.data(), tables.size());
}

void set_job_source(TensorFrameJob& job, const VideoFrame& f) {
  for (int i = 0; i < 3; ++i) {
    job.planes[i] = i < f.num_planes ? f.plane_data(i) : nullptr;
    job.pitches[i] = i < f.num_planes ? f.planes[i].pitch : 0;
  }
  const bool wide = is_16bit(f.format);
  job.kind = is_semiplanar(f.format) ? (wide ? SourceKind::kSemiplanar16 : SourceKind::kSemiplanar8)
                                     : (wide ? SourceKind::kPlanar16 : SourceKind::kPlanar8);
  job.chroma_row_shift = chroma_row_shift(f.format);
  job.shift = wide ? 16 - f.bit_depth : 0;
}

TensorPlan make_tensor_plan(const std::vector<const VideoFrame*>& picked, const std::vector<std::string>& labels,
                            const TensorOptions& options) {
  ODVD_CHECK(labels.size() == picked.size());
  TensorPlan plan;
  plan.options = options;
  plan.options.validate();
  resolve_size(plan.options, picked, labels);
  const TensorOptions& o = plan.options;
  plan.finish = make_finish(o);
  // One table per distinct (axis, source extent): frames of one geometry share them.
  std::map<std::pair<int, int>, int32_t> tables;
  auto table_for = [&](int axis, int in, int out) {
    auto [it, fresh] = tables.try_emplace({axis, in}, 0);
    if (fresh) it->second = append_table(plan.tables, make_axis_taps(in, out, o.interpolation, o.antialias));
    return it->second;
  };
  const int64_t slot = int64_t{3} * o.height * o.width;
  plan.jobs.resize(picked.size());
  for (size_t i = 0; i < picked.size(); ++i) {
    TensorFrameJob& job = plan.jobs[i];
    job = TensorFrameJob{};
    job.out_offset = static_cast<int64_t>(i) * slot;
    if (picked[i] == nullptr) continue;
    const VideoFrame& f = *picked[i];
    const CropRect r = source_rect(f, o, labels[i]);
    job.present = 1;
    set_job_source(job, f);
    const ColorInfo color = resolve_color(f.color);
    job.q16 = make_yuv_coefficients(color, f.bit_depth);
    job.fk = make_float_yuv_coefficients(color, f.bit_depth);
    job.crop_x = r.x;
    job.crop_y = r.y;
    job.taps_x = table_for(0, r.width, o.width);
    job.taps_y = table_for(1, r.height, o.height);
  }
  return plan;
}

}  // namespace odvd
