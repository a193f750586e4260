#include "tensor/resize_filter.hpp"

#include <algorithm>
#include <cmath>

#include "odvd/error.hpp"

namespace odvd {
namespace {

// One output coordinate's taps before packing: source samples first.. with weights.
struct Taps {
  int first = 0;
  std::vector<double> weights;
};

Taps triangle_taps(int in, double scale, int o, bool antialias) {
  const bool widen = antialias && scale > 1.0;
  const double radius = widen ? scale : 1.0;
  const double center = scale * (o + 0.5);
  // The window of PyTorch's antialiased kernel: samples j with j + 0.5 within radius + 0.5
  // of the centre; truncation toward zero as C's cast does (values are > -1 when negative).
  const int lo = std::max(static_cast<int>(center - radius + 0.5), 0);
  const int hi = std::min(static_cast<int>(center + radius + 0.5), in);
  Taps t;
  t.first = lo;
  for (int j = lo; j < hi; ++j) t.weights.push_back(std::max(0.0, 1.0 - std::abs(j + 0.5 - center) / radius));
  if (t.weights.empty()) {  // cannot happen for in >= 1: the centre lies inside the axis
    t.first = std::min(static_cast<int>(center), in - 1);
    t.weights.push_back(1.0);
  }
  return t;
}

Taps nearest_taps(int in, double scale, int o) {
  return Taps{std::min(static_cast<int>(std::floor(scale * (o + 0.5))), in - 1), {1.0}};
}

Taps area_taps(int in, double scale, int o) {
  const double lo = scale * o;
  const double hi = std::min(scale * (o + 1), static_cast<double>(in));
  Taps t;
  t.first = static_cast<int>(std::floor(lo));
  for (int j = t.first; j < in && j < hi; ++j)
    t.weights.push_back(std::min(hi, j + 1.0) - std::max(lo, static_cast<double>(j)));
  return t;
}

// Drops zero weights at both ends and scales the rest to sum 1.
void trim_and_normalise(Taps& t) {
  size_t begin = 0;
  size_t end = t.weights.size();
  while (end > begin + 1 && t.weights[end - 1] <= 0.0) --end;
  while (begin + 1 < end && t.weights[begin] <= 0.0) ++begin;
  t.weights = std::vector<double>(t.weights.begin() + static_cast<std::ptrdiff_t>(begin),
                                  t.weights.begin() + static_cast<std::ptrdiff_t>(end));
  t.first += static_cast<int>(begin);
  double total = 0.0;
  for (double w : t.weights) total += w;
  ODVD_CHECK(total > 0.0);
  for (double& w : t.weights) w /= total;
}

}  // namespace

AxisTaps make_axis_taps(int in_size, int out_size, Interpolation interpolation, bool antialias) {
  ODVD_CHECK(in_size >= 1 && out_size >= 1);
  const double scale = static_cast<double>(in_size) / out_size;
  std::vector<Taps> all(static_cast<size_t>(out_size));
  AxisTaps axis;
  axis.in_size = in_size;
  axis.out_size = out_size;
  for (int o = 0; o < out_size; ++o) {
    Taps& t = all[static_cast<size_t>(o)];
    switch (interpolation) {
      case Interpolation::kBilinear: t = triangle_taps(in_size, scale, o, antialias); break;
      case Interpolation::kNearest: t = nearest_taps(in_size, scale, o); break;
      case Interpolation::kArea: t = area_taps(in_size, scale, o); break;
    }
    trim_and_normalise(t);
    ODVD_CHECK(t.first >= 0 && t.first + static_cast<int>(t.weights.size()) <= in_size);
    axis.max_taps = std::max(axis.max_taps, static_cast<int>(t.weights.size()));
  }
  axis.first.resize(all.size());
  axis.count.resize(all.size());
  axis.weights.assign(all.size() * static_cast<size_t>(axis.max_taps), 0.0F);
  for (size_t o = 0; o < all.size(); ++o) {
    axis.first[o] = all[o].first;
    axis.count[o] = static_cast<int32_t>(all[o].weights.size());
    for (size_t k = 0; k < all[o].weights.size(); ++k) {
      axis.weights[o * static_cast<size_t>(axis.max_taps) + k] = static_cast<float>(all[o].weights[k]);
    }
  }
  return axis;
}

}  // namespace odvd
