#include <cmath>
#include <string>

#include "odvd/error.hpp"
#include "odvd/tensor.hpp"

namespace odvd {
namespace {

// Output sides and crops beyond this are refused: far above any training input, and small
// enough that slot sizes and offsets stay far from overflowing 64 bits.
constexpr int kMaxSide = 32768;

void check_side(const char* what, int value, int lo) {
  if (value < lo || value > kMaxSide) {
    throw ArgumentError(std::string(what) + " must be " + std::to_string(lo) + ".." + std::to_string(kMaxSide) +
                        " (got " + std::to_string(value) + ")");
  }
}

class ForeignBuffer final : public Buffer {
 public:
  ForeignBuffer(uint8_t* data, size_t size, MemoryKind kind, int device)
      : data_(data), size_(size), kind_(kind), device_(device) {}
  uint8_t* data() override { return data_; }
  size_t size() const override { return size_; }
  MemoryKind kind() const override { return kind_; }
  int device() const override { return device_; }

 private:
  uint8_t* data_;
  size_t size_;
  MemoryKind kind_;
  int device_;
};

}  // namespace

const char* tensor_dtype_name(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::kUint8: return "uint8";
    case TensorDtype::kFloat16: return "float16";
    case TensorDtype::kBFloat16: return "bfloat16";
    case TensorDtype::kFloat32: return "float32";
  }
  return "?";
}

const char* tensor_layout_name(TensorLayout layout) {
  return layout == TensorLayout::kNchw ? "NCHW" : "NHWC";
}

const char* interpolation_name(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kBilinear: return "bilinear";
    case Interpolation::kNearest: return "nearest";
    case Interpolation::kArea: return "area";
  }
  return "?";
}

int tensor_dtype_size(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::kUint8: return 1;
    case TensorDtype::kFloat16:
    case TensorDtype::kBFloat16: return 2;
    case TensorDtype::kFloat32: return 4;
  }
  return 1;
}

void TensorOptions::validate() const {
  if (!crop.whole()) {
    if (crop.x < 0 || crop.y < 0) {
      throw ArgumentError("crop x and y must be >= 0 (got " + std::to_string(crop.x) + ", " + std::to_string(crop.y) +
                          ")");
    }
    check_side("crop width", crop.width, 1);
    check_side("crop height", crop.height, 1);
  }
  if ((height == 0) != (width == 0)) {
    throw ArgumentError("size needs both height and width (got " + std::to_string(height) + ", " +
                        std::to_string(width) + ")");
  }
  if (height != 0) {
    check_side("size height", height, 1);
    check_side("size width", width, 1);
  }
  if (normalize && dtype == TensorDtype::kUint8) {
    throw ArgumentError("mean/std need a float dtype (float16, bfloat16 or float32), not uint8");
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(mean[c])) throw ArgumentError("mean must be finite (got " + std::to_string(mean[c]) + ")");
    if (!(std[c] > 0.0F) || !std::isfinite(std[c])) {
      throw ArgumentError("std must be > 0 and finite (got " + std::to_string(std[c]) + ")");
    }
  }
}

std::shared_ptr<Buffer> wrap_foreign_memory(uint8_t* data, size_t size, MemoryKind kind, int device) {
  return std::make_shared<ForeignBuffer>(data, size, kind, device);
}

}  // namespace odvd
