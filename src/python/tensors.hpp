// Training batches in Python (odvd/tensor.hpp): the keyword arguments DecodeToTensor,
// DecodeFromGOPToTensor and DecodeBatchToTensor share, the caller's `out=` tensor, and
// DecodedBatch, the object returned when there is no `out`. Translation only.
//
// Note [Batch arguments]
//   * size=(height, width); crop=(x, y, width, height) in source pixels, taken first.
//   * mean / std: a number or three (output channel order). They are on the 0..1 scale of
//     float outputs unless a value exceeds 1, in which case all of them are taken on the
//     0..255 scale (ImageNet's 123.675, 58.395...): both give the same normalised values.
//   * out=: anything exporting DLPack (torch, numpy, cupy, JAX) or, failing that,
//     __cuda_array_interface__ / __array_interface__; C-contiguous, of the call's shape,
//     dtype and device. It is returned, written.
//   * stream=: an int CUstream handle (0: the legacy default stream), a torch.cuda.Stream
//     (its .cuda_stream), or an object with __cuda_stream__.
//
// Needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "odvd/tensor.hpp"
#include "python/dlpack.hpp"

namespace odvd::python {

namespace py = pybind11;

// The shared keyword arguments, as the Python objects passed.
struct BatchArgs {
  py::object size, crop, layout, dtype, mean, std, as_bgr, interpolation, antialias, out, stream;
};

// A caller's `out` tensor, held for the call; releases what DLPack lent on destruction.
class OutTensor {
 public:
  OutTensor() = default;
  ~OutTensor();
  OutTensor(const OutTensor&) = delete;
  OutTensor& operator=(const OutTensor&) = delete;
  OutTensor(OutTensor&& other) noexcept;
  OutTensor& operator=(OutTensor&& other) noexcept;

  TensorTarget target;                 // no buffer when no `out` was given
  DLManagedTensor* managed = nullptr;  // the consumed DLPack tensor, or null
};

// A parsed request: options, the out tensor (if any) and the stream.
struct BatchRequest {
  TensorOptions options;
  OutTensor out;
  void* stream = nullptr;
  std::vector<int64_t> batch_dims;  // (N,) or (V, F)
};

// Parses `args` for a call of `batch_dims` entries on device `ordinal` (-1: CPU).
BatchRequest batch_request(const BatchArgs& args, std::vector<int64_t> batch_dims, int ordinal);

// The call's result: `args.out` itself, written, or a DecodedBatch of `written`.
py::object batch_result(const BatchArgs& args, const BatchRequest& request, const TensorTarget& written);

// `summary` followed by the documentation of the shared keyword arguments.
std::string batch_doc(const std::string& summary);

void bind_tensors(py::module_& m);

}  // namespace odvd::python

// The keyword arguments of every *ToTensor method, in pybind11's def(): after the
// positional ones. A macro because pybind11 takes them as separate arguments of def().
#define ODVD_BATCH_KWARGS                                                                                       \
  py::kw_only(), py::arg("size") = py::none(), py::arg("crop") = py::none(), py::arg("layout") = "NCHW",        \
                 py::arg("dtype") = "uint8", py::arg("mean") = py::none(), py::arg("std") = py::none(),         \
                 py::arg("as_bgr") = false, py::arg("interpolation") = "bilinear", py::arg("antialias") = true, \
                 py::arg("out") = py::none(), py::arg("stream") = py::none()

// The matching parameters of the bound lambda, collected into a BatchArgs named `args`.
#define ODVD_BATCH_PARAMS                                                                                       \
  const py::object &size, const py::object &crop, const py::object &layout, const py::object &dtype,            \
      const py::object &mean, const py::object &std, const py::object &as_bgr, const py::object &interpolation, \
      const py::object &antialias, const py::object &out, const py::object &stream
#define ODVD_BATCH_ARGS                                                                 \
  ::odvd::python::BatchArgs {                                                           \
    size, crop, layout, dtype, mean, std, as_bgr, interpolation, antialias, out, stream \
  }
