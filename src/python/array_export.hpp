// Exporting frame memory to Python consumers without a copy: for host memory the
// buffer protocol, __array_interface__ (v3) and DLPack (kDLCPU); for device memory
// __cuda_array_interface__ (v3) and DLPack (kDLCUDA).
//
// Note [Frame lifetime] (see odvd/frame.hpp): every export keeps the frame's Buffer
// alive — the buffer protocol and __array_interface__ through the exporting Python
// object (numpy keeps it as the array's base), DLPack through a shared_ptr stored in
// the DLManagedTensor, released by its deleter.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "odvd/frame.hpp"

namespace odvd::python {

namespace py = pybind11;

struct ArrayView {
  std::shared_ptr<Buffer> owner;
  uint8_t* data = nullptr;
  std::vector<int64_t> shape;
  std::vector<int64_t> byte_strides;
  int itemsize = 1;  // bytes per element: 1, 2 or 4
  char kind = 'u';   // 'u' unsigned integer, 'f' IEEE float, 'b' bfloat16
  // GPU memory whose writes are still queued on this CUstream (a batch written with
  // stream=); nullptr when complete.
  void* pending_on = nullptr;
};

py::buffer_info to_buffer_info(const ArrayView& view);
py::dict array_interface(const ArrayView& view);
py::dict cuda_array_interface(const ArrayView& view);
// `consumer_stream`: the CUstream the consumer reads on (nullptr: unknown); see
// Buffer::note_consumer_stream.
py::capsule to_dlpack(const ArrayView& view, void* consumer_stream);
py::tuple dlpack_device(const ArrayView& view);
std::string dtype_name(const ArrayView& view);

}  // namespace odvd::python
