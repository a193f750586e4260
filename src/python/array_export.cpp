#include "python/array_export.hpp"

#include "odvd/error.hpp"
#include "python/dlpack.hpp"

namespace odvd::python {
namespace {

// Owns what a DLManagedTensor points to: the shape/stride arrays and a Buffer reference.
struct DlpackContext {
  DLManagedTensor managed{};
  std::shared_ptr<Buffer> owner;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // elements
};

void delete_dlpack(DLManagedTensor* self) {
  delete static_cast<DlpackContext*>(self->manager_ctx);
}

// Capsule destructor: a capsule never consumed (still named "dltensor") owns its tensor.
void capsule_destructor(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, "dltensor")) return;  // consumed: renamed "used_dltensor"
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  if (managed && managed->deleter) managed->deleter(managed);
}

}  // namespace

std::string dtype_name(const ArrayView& view) {
  if (view.kind == 'b') return "bfloat16";
  return (view.kind == 'f' ? "float" : "uint") + std::to_string(8 * view.itemsize);
}

namespace {

// The array-interface type string; bfloat16 has none (numpy has no such type).
std::string typestr(const ArrayView& view) {
  if (view.kind == 'b') {
    throw py::attribute_error("bfloat16 has no array-interface type; use DLPack (torch.from_dlpack)");
  }
  return (view.itemsize == 1 ? "|" : "<") + std::string(1, view.kind) + std::to_string(view.itemsize);
}

uint8_t dlpack_code(const ArrayView& view) {
  return view.kind == 'f' ? kOdvdDLFloat : (view.kind == 'b' ? kOdvdDLBfloat : kOdvdDLUInt);
}

}  // namespace

py::buffer_info to_buffer_info(const ArrayView& view) {
  if (view.owner->kind() != MemoryKind::kHost) {
    throw py::buffer_error("this frame is in GPU memory (CUDA device " + std::to_string(view.owner->device()) +
                           "); use __cuda_array_interface__ or DLPack, e.g. torch.as_tensor(frame, device='cuda')");
  }
  std::vector<py::ssize_t> shape(view.shape.begin(), view.shape.end());
  std::vector<py::ssize_t> strides(view.byte_strides.begin(), view.byte_strides.end());
  if (view.kind == 'b') throw py::buffer_error("bfloat16 has no buffer-protocol format; use DLPack");
  const std::string format = view.kind == 'u' ? (view.itemsize == 1 ? "B" : "H") : (view.itemsize == 2 ? "e" : "f");
  return py::buffer_info(view.data, view.itemsize, format, static_cast<py::ssize_t>(shape.size()), shape, strides);
}

namespace {

// The fields __array_interface__ and __cuda_array_interface__ (both version 3) share.
py::dict interface_v3(const ArrayView& view) {
  py::dict d;
  d["version"] = 3;
  d["typestr"] = typestr(view);
  d["data"] = py::make_tuple(reinterpret_cast<uintptr_t>(view.data), false);
  d["shape"] = py::tuple(py::cast(view.shape));
  d["strides"] = py::tuple(py::cast(view.byte_strides));
  return d;
}

}  // namespace

py::dict array_interface(const ArrayView& view) {
  if (view.owner->kind() != MemoryKind::kHost) {
    throw py::attribute_error("__array_interface__ is only available for frames in host memory");
  }
  return interface_v3(view);
}

py::dict cuda_array_interface(const ArrayView& view) {
  if (view.owner->kind() != MemoryKind::kCuda) {
    throw py::attribute_error("__cuda_array_interface__ is only available for frames in GPU memory");
  }
  // Consumers read on a stream we cannot know: order reuse after all blocking streams.
  view.owner->note_consumer_stream(nullptr);
  py::dict d = interface_v3(view);
  // Complete when a decode call returns, unless written on a caller's stream: then the
  // consumer orders itself after that stream (version 3's convention).
  d["stream"] = view.pending_on == nullptr ? py::object(py::none())
                                           : py::object(py::int_(reinterpret_cast<uintptr_t>(view.pending_on)));
  return d;
}

py::capsule to_dlpack(const ArrayView& view, void* consumer_stream) {
  if (view.owner->kind() == MemoryKind::kCuda) view.owner->note_consumer_stream(consumer_stream);
  auto ctx = std::make_unique<DlpackContext>();
  ctx->owner = view.owner;
  ctx->shape = view.shape;
  for (int64_t s : view.byte_strides) {
    ODVD_CHECK(s % view.itemsize == 0);
    ctx->strides.push_back(s / view.itemsize);
  }
  DLTensor& t = ctx->managed.dl_tensor;
  t.data = view.data;
  const bool host = view.owner->kind() == MemoryKind::kHost;
  t.device = DLDevice{host ? kOdvdDLCPU : kOdvdDLCUDA, host ? 0 : view.owner->device()};
  t.ndim = static_cast<int32_t>(ctx->shape.size());
  t.dtype = DLDataType{dlpack_code(view), static_cast<uint8_t>(8 * view.itemsize), 1};
  t.shape = ctx->shape.data();
  t.strides = ctx->strides.data();
  t.byte_offset = 0;
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = delete_dlpack;
  DLManagedTensor* managed = &ctx.release()->managed;
  PyObject* capsule = PyCapsule_New(managed, "dltensor", capsule_destructor);
  if (capsule == nullptr) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

py::tuple dlpack_device(const ArrayView& view) {
  const bool host = view.owner->kind() == MemoryKind::kHost;
  return py::make_tuple(static_cast<int>(host ? kOdvdDLCPU : kOdvdDLCUDA), host ? 0 : view.owner->device());
}

}  // namespace odvd::python
