#include "python/tensors.hpp"

#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "odvd/error.hpp"
#include "odvd/gop_decoder.hpp"
#include "python/arguments.hpp"
#include "python/array_export.hpp"

namespace odvd::python {
namespace {

// CU_STREAM_LEGACY: the legacy default stream, as DLPack's stream=1 and stream=0 mean it.
void* const kLegacyStream = reinterpret_cast<void*>(uintptr_t{1});

[[noreturn]] void type_error(const std::string& name, const std::string& expected, const py::handle& got) {
  throw py::type_error(name + " must be " + expected + ", got " + describe(got));
}

// A sequence of exactly `n` ints, each in lo..hi.
std::vector<int> int_tuple(const py::handle& obj, const std::string& name, size_t n, const std::string& expected,
                           long long lo, long long hi) {
  if (PyUnicode_Check(obj.ptr()) || !PySequence_Check(obj.ptr()) || py::len(obj) != n) {
    type_error(name, expected, obj);
  }
  return int_list(obj, name, lo, hi);
}

// A number or a sequence of three numbers (per channel).
std::array<float, 3> per_channel(const py::handle& obj, const std::string& name) {
  auto number = [&](const py::handle& v, const std::string& what) {
    if (PyBool_Check(v.ptr()) || !(PyFloat_Check(v.ptr()) || PyLong_Check(v.ptr()) || py::hasattr(v, "__float__"))) {
      type_error(what, "a number", v);
    }
    return v.cast<double>();
  };
  if (!PySequence_Check(obj.ptr()) || PyUnicode_Check(obj.ptr())) {
    const auto v = static_cast<float>(number(obj, name));
    return {v, v, v};
  }
  if (py::len(obj) != 3) type_error(name, "a number or 3 numbers (one per channel)", obj);
  std::array<float, 3> out{};
  for (size_t c = 0; c < 3; ++c) {
    out[c] = static_cast<float>(number(obj[py::int_(c)], name + "[" + std::to_string(c) + "]"));
  }
  return out;
}

TensorDtype parse_dtype(const py::handle& obj) {
  // A str, a torch dtype (str(torch.float16) is 'torch.float16') or a numpy type.
  std::string name;
  if (PyUnicode_Check(obj.ptr())) {
    name = obj.cast<std::string>();
  } else if (py::hasattr(obj, "__name__")) {
    name = py::str(obj.attr("__name__")).cast<std::string>();
  } else {
    name = py::str(obj).cast<std::string>();
  }
  if (name.rfind("torch.", 0) == 0) name = name.substr(6);
  for (TensorDtype d : {TensorDtype::kUint8, TensorDtype::kFloat16, TensorDtype::kBFloat16, TensorDtype::kFloat32}) {
    if (name == tensor_dtype_name(d)) return d;
  }
  if (name == "half") return TensorDtype::kFloat16;
  if (name == "float") return TensorDtype::kFloat32;
  throw ArgumentError("dtype must be 'uint8', 'float16', 'bfloat16' or 'float32' (or the torch dtype), got " +
                      describe(obj));
}

TensorLayout parse_layout(const py::handle& obj) {
  const std::string s = text(obj, "layout");
  if (s == "NCHW") return TensorLayout::kNchw;
  if (s == "NHWC") return TensorLayout::kNhwc;
  throw ArgumentError("layout must be 'NCHW' or 'NHWC', got '" + s + "'");
}

Interpolation parse_interpolation(const py::handle& obj) {
  const std::string s = text(obj, "interpolation");
  for (Interpolation i : {Interpolation::kBilinear, Interpolation::kNearest, Interpolation::kArea}) {
    if (s == interpolation_name(i)) return i;
  }
  throw ArgumentError("interpolation must be 'bilinear', 'nearest' or 'area', got '" + s + "'");
}

// mean / std onto the 0..1 scale (Note [Batch arguments]).
void parse_normalisation(const BatchArgs& a, TensorOptions& o) {
  if (a.mean.is_none() && a.std.is_none()) return;
  o.normalize = true;
  std::array<float, 3> mean{0.0F, 0.0F, 0.0F};
  std::array<float, 3> std{1.0F, 1.0F, 1.0F};
  if (!a.mean.is_none()) mean = per_channel(a.mean, "mean");
  if (!a.std.is_none()) std = per_channel(a.std, "std");
  bool scale_255 = false;
  for (int c = 0; c < 3; ++c) scale_255 = scale_255 || mean[c] > 1.0F || std[c] > 1.0F;
  for (int c = 0; c < 3; ++c) {
    o.mean[c] = scale_255 ? mean[c] / 255.0F : mean[c];
    o.std[c] = scale_255 ? std[c] / 255.0F : std[c];
  }
}

TensorOptions parse_options(const BatchArgs& a) {
  TensorOptions o;
  if (!a.size.is_none()) {
    const std::vector<int> s = int_tuple(a.size, "size", 2, "(height, width)", 1, 32768);
    o.height = s[0];
    o.width = s[1];
  }
  if (!a.crop.is_none()) {
    const std::vector<int> c = int_tuple(a.crop, "crop", 4, "(x, y, width, height)", 0, 1 << 30);
    o.crop = CropRect{c[0], c[1], c[2], c[3]};
    if (o.crop.width == 0 || o.crop.height == 0) {
      throw ArgumentError("crop width and height must be >= 1 (got " + describe(a.crop) + ")");
    }
  }
  o.layout = parse_layout(a.layout);
  o.dtype = parse_dtype(a.dtype);
  parse_normalisation(a, o);
  o.bgr = flag(a.as_bgr, "as_bgr");
  o.interpolation = parse_interpolation(a.interpolation);
  o.antialias = flag(a.antialias, "antialias");
  o.validate();
  return o;
}

void* parse_stream(const py::object& obj) {
  if (obj.is_none()) return nullptr;
  py::object handle = obj;
  if (py::hasattr(obj, "cuda_stream")) {
    handle = obj.attr("cuda_stream");  // torch.cuda.Stream, cupy streams
  } else if (py::hasattr(obj, "__cuda_stream__")) {
    handle = py::tuple(obj.attr("__cuda_stream__")())[1];  // (version, handle)
  }
  if (PyBool_Check(handle.ptr()) || !PyLong_Check(handle.ptr())) {
    type_error("stream", "a CUDA stream (an int handle, a torch.cuda.Stream or an object with __cuda_stream__)", obj);
  }
  const auto value = handle.cast<long long>();
  if (value < 0) throw ArgumentError("stream must be a CUDA stream handle >= 0, got " + std::to_string(value));
  return value == 0 ? kLegacyStream : reinterpret_cast<void*>(static_cast<uintptr_t>(value));
}

// ---- out= ----

// What an out tensor says about itself, whichever protocol it spoke.
struct Described {
  uint8_t* data = nullptr;
  MemoryKind kind = MemoryKind::kHost;
  int device = -1;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // elements; empty: C-contiguous
  char element = 'u';
  int itemsize = 1;
  bool readonly = false;
  void* ready_on = nullptr;
};

Described from_dlpack(const py::object& out, void* stream, DLManagedTensor*& managed) {
  const py::tuple device = out.attr("__dlpack_device__")();
  const int type = device[0].cast<int>();
  if (type != kOdvdDLCPU && type != kOdvdDLCUDA) {
    throw ArgumentError("out must be in host or CUDA device memory (DLPack device type 1 or 2), got device type " +
                        std::to_string(type));
  }
  Described d;
  py::object capsule;
  try {
    if (type == kOdvdDLCUDA) {
      // The producer orders its pending work on the memory before the stream we write on.
      d.ready_on = stream != nullptr ? stream : kLegacyStream;
      capsule = out.attr("__dlpack__")(py::arg("stream") = reinterpret_cast<uintptr_t>(d.ready_on));
    } else {
      capsule = out.attr("__dlpack__")();
    }
  } catch (py::error_already_set& e) {
    // numpy refuses to export read-only arrays this way, for one: say it is about `out`.
    if (!e.matches(PyExc_BufferError)) throw;
    throw ArgumentError(std::string("out cannot be written through DLPack: ") + e.what());
  }
  if (!PyCapsule_IsValid(capsule.ptr(), "dltensor")) {
    throw ArgumentError("out.__dlpack__() did not return a DLPack capsule (got " + describe(capsule) + ")");
  }
  managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");  // ours now: released by OutTensor
  const DLTensor& t = managed->dl_tensor;
  d.data = static_cast<uint8_t*>(t.data) + t.byte_offset;
  d.kind = t.device.device_type == kOdvdDLCUDA ? MemoryKind::kCuda : MemoryKind::kHost;
  d.device = d.kind == MemoryKind::kCuda ? t.device.device_id : -1;
  d.shape.assign(t.shape, t.shape + t.ndim);
  if (t.strides != nullptr) d.strides.assign(t.strides, t.strides + t.ndim);
  d.itemsize = t.dtype.bits / 8;
  d.element = t.dtype.code == kOdvdDLFloat ? 'f' : (t.dtype.code == kOdvdDLBfloat ? 'b' : 'u');
  if (t.dtype.lanes != 1 || t.dtype.bits % 8 != 0 || t.dtype.code > kOdvdDLBfloat || t.dtype.code == 0) {
    d.element = '?';
  }
  return d;
}

// __cuda_array_interface__ / __array_interface__ (version 3 fields).
Described from_interface(const py::dict& i, MemoryKind kind, int device) {
  Described d;
  d.kind = kind;
  d.device = device;
  const py::tuple data = i["data"];
  d.data = reinterpret_cast<uint8_t*>(data[0].cast<uintptr_t>());
  d.readonly = data[1].cast<bool>();
  for (const auto& v : py::tuple(i["shape"])) d.shape.push_back(v.cast<int64_t>());
  const std::string type = i["typestr"].cast<std::string>();
  // "|u1", "<f2", "<f4": byte order, kind, item size in bytes; anything else is refused later.
  const bool known = type.size() == 3 && (type[1] == 'u' || type[1] == 'f') && type[2] >= '1' && type[2] <= '8';
  d.element = known ? type[1] : '?';
  d.itemsize = known ? type[2] - '0' : 0;
  if (i.contains("strides") && !i["strides"].is_none()) {
    for (const auto& v : py::tuple(i["strides"])) d.strides.push_back(v.cast<int64_t>() / std::max(d.itemsize, 1));
  }
  if (kind == MemoryKind::kCuda && i.contains("stream") && !i["stream"].is_none()) {
    d.ready_on = reinterpret_cast<void*>(i["stream"].cast<uintptr_t>());
  }
  return d;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Checks `d` against the call and fills `target`.
void check_out(const Described& d, const BatchRequest& r, TensorTarget& target) {
  const TensorOptions& o = r.options;
  const size_t lead = r.batch_dims.size();
  const bool nchw = o.layout == TensorLayout::kNchw;
  const std::string expected = shape_text(r.batch_dims) + " + " + (nchw ? "(3, H, W)" : "(H, W, 3)");
  if (d.shape.size() != lead + 3 || !std::equal(r.batch_dims.begin(), r.batch_dims.end(), d.shape.begin()) ||
      d.shape[nchw ? lead : lead + 2] != 3) {
    throw ArgumentError("out has shape " + shape_text(d.shape) + ", this call needs " + expected + " (layout='" +
                        tensor_layout_name(o.layout) + "')");
  }
  const int64_t h = d.shape[nchw ? lead + 1 : lead];
  const int64_t w = d.shape[nchw ? lead + 2 : lead + 1];
  if (o.height != 0 && (h != o.height || w != o.width)) {
    throw ArgumentError("out holds " + std::to_string(h) + "x" + std::to_string(w) + " images, size=(" +
                        std::to_string(o.height) + ", " + std::to_string(o.width) + ") asks for another size");
  }
  if (h < 1 || w < 1 || h > 32768 || w > 32768) throw ArgumentError("out's images must be 1..32768 on each side");
  const char want = o.dtype == TensorDtype::kBFloat16 ? 'b' : (o.dtype == TensorDtype::kUint8 ? 'u' : 'f');
  if (d.element != want || d.itemsize != tensor_dtype_size(o.dtype)) {
    ArrayView got;
    got.kind = d.element == '?' ? 'u' : d.element;
    got.itemsize = d.itemsize;
    throw ArgumentError(std::string("out has dtype ") + (d.element == '?' ? "unsupported" : dtype_name(got)) +
                        ", the call writes " + tensor_dtype_name(o.dtype) + " (dtype='" + tensor_dtype_name(o.dtype) +
                        "')");
  }
  if (!d.strides.empty()) {
    int64_t expect = 1;
    for (size_t k = d.shape.size(); k-- > 0;) {
      if (d.shape[k] > 1 && d.strides[k] != expect) {
        throw ArgumentError("out must be C-contiguous (its strides are " + shape_text(d.strides) +
                            " elements); e.g. pass a slice along its first dimension, or .contiguous()");
      }
      expect *= d.shape[k];
    }
  }
  if (d.readonly) throw ArgumentError("out is read-only");
  target.count = 1;
  for (int64_t b : r.batch_dims) target.count *= b;
  target.height = static_cast<int>(h);
  target.width = static_cast<int>(w);
  target.layout = o.layout;
  target.dtype = o.dtype;
  target.ready_on = d.ready_on;
  target.buffer = wrap_foreign_memory(d.data, static_cast<size_t>(target.bytes()), d.kind, d.device);
}

OutTensor import_out(const py::object& out, BatchRequest& r) {
  OutTensor t;
  Described d;
  if (py::hasattr(out, "__dlpack__") && py::hasattr(out, "__dlpack_device__")) {
    d = from_dlpack(out, r.stream, t.managed);
  } else if (py::hasattr(out, "__cuda_array_interface__") || py::hasattr(out, "__array_interface__")) {
    const bool cuda = py::hasattr(out, "__cuda_array_interface__");
    const char* name = cuda ? "__cuda_array_interface__" : "__array_interface__";
    try {
      // The CUDA interface names no device: batch_request takes the memory to be the decoder's.
      d = from_interface(out.attr(name), cuda ? MemoryKind::kCuda : MemoryKind::kHost, -1);
    } catch (const py::error_already_set& e) {
      throw ArgumentError(std::string("out.") + name + " is not a version-3 array interface: " + e.what());
    } catch (const py::cast_error& e) {
      throw ArgumentError(std::string("out.") + name + " is not a version-3 array interface: " + e.what());
    }
  } else {
    type_error("out", "a tensor (an object with __dlpack__, __cuda_array_interface__ or __array_interface__)", out);
  }
  check_out(d, r, t.target);
  return t;
}

// ---- DecodedBatch ----

struct DecodedBatch {
  TensorTarget target;
  std::vector<int64_t> batch_dims;
  void* pending_on = nullptr;  // the stream= of the call that wrote it, or null

  ArrayView view() const {
    ArrayView v;
    v.owner = target.buffer;
    v.data = target.buffer->data();
    v.itemsize = tensor_dtype_size(target.dtype);
    v.kind = target.dtype == TensorDtype::kBFloat16 ? 'b' : (target.dtype == TensorDtype::kUint8 ? 'u' : 'f');
    v.pending_on = pending_on;
    v.shape = batch_dims;
    const bool nchw = target.layout == TensorLayout::kNchw;
    for (int64_t s : nchw ? std::vector<int64_t>{3, target.height, target.width}
                          : std::vector<int64_t>{target.height, target.width, 3}) {
      v.shape.push_back(s);
    }
    v.byte_strides.assign(v.shape.size(), 0);
    int64_t stride = v.itemsize;
    for (size_t k = v.shape.size(); k-- > 0;) {
      v.byte_strides[k] = stride;
      stride *= v.shape[k];
    }
    return v;
  }
  bool on_gpu() const { return target.buffer->kind() == MemoryKind::kCuda; }
  std::string device() const { return on_gpu() ? "cuda:" + std::to_string(target.buffer->device()) : "cpu"; }
};

py::object batch_dlpack(const DecodedBatch& b, const py::kwargs& kwargs) {
  const ArrayView v = b.view();
  void* consumer = nullptr;
  if (b.on_gpu()) {
    consumer = kLegacyStream;
    if (kwargs.contains("stream") && !kwargs["stream"].is_none()) {
      const auto s = kwargs["stream"].cast<intptr_t>();
      if (s == 0) throw py::value_error("__dlpack__: stream=0 is ambiguous for CUDA (use 1 for the legacy default)");
      consumer = s == -1 ? nullptr : reinterpret_cast<void*>(s);
    }
    // A batch written on a caller's stream: the consumer's stream waits for it.
    if (b.pending_on != nullptr && consumer != nullptr) {
      order_cuda_streams(b.target.buffer->device(), consumer, b.pending_on);
    }
  }
  if (kwargs.contains("copy") && !kwargs["copy"].is_none() && kwargs["copy"].cast<bool>()) {
    throw py::buffer_error("__dlpack__: copy=True is not supported; batches are exported without copying");
  }
  return to_dlpack(v, consumer);
}

}  // namespace

OutTensor::~OutTensor() {
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
}

OutTensor& OutTensor::operator=(OutTensor&& other) noexcept {
  if (this != &other) {
    if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
    target = std::move(other.target);
    managed = std::exchange(other.managed, nullptr);
  }
  return *this;
}

OutTensor::OutTensor(OutTensor&& other) noexcept
    : target(std::move(other.target)), managed(std::exchange(other.managed, nullptr)) {}

BatchRequest batch_request(const BatchArgs& args, std::vector<int64_t> batch_dims, int ordinal) {
  BatchRequest r;
  r.options = parse_options(args);
  r.stream = parse_stream(args.stream);
  r.batch_dims = std::move(batch_dims);
  if (!args.out.is_none()) {
    r.out = import_out(args.out, r);
    // __cuda_array_interface__ names no device: take the decoder's (see import_out).
    if (r.out.target.buffer->kind() == MemoryKind::kCuda && r.out.target.buffer->device() < 0) {
      r.out.target.buffer = wrap_foreign_memory(r.out.target.buffer->data(), r.out.target.buffer->size(),
                                                MemoryKind::kCuda, std::max(ordinal, 0));
    }
  }
  return r;
}

py::object batch_result(const BatchArgs& args, const BatchRequest& request, const TensorTarget& written) {
  if (!args.out.is_none()) return args.out;
  DecodedBatch b;
  b.target = written;
  b.batch_dims = request.batch_dims;
  b.pending_on = request.stream;
  return py::cast(std::move(b));
}

std::string batch_doc(const std::string& summary) {
  return summary + R"(

Frames are decoded, cropped, resized, normalised and cast in one pass from the decoded
YUV (no full-size RGB in between), on the decoder's device: a GPU decoder writes CUDA
memory, iGpu=-1 host memory. Returns a DecodedBatch (torch.from_dlpack(batch) and
numpy.asarray(batch) take it without a copy), or `out`, written.

Keyword arguments:
  size=(height, width)   output size; None: the crop's (or frames') size, which must then
                         be the same for every entry (with out=, out's size)
  crop=(x, y, width, height)  source pixels taken before resizing; None: the whole frame
  layout='NCHW'|'NHWC'   channel-first (N, 3, H, W) or channel-last (N, H, W, 3)
  dtype='uint8'|'float16'|'bfloat16'|'float32' (or the torch dtype). uint8: the RGB bytes
                         DecodeN12ToRGB gives, resized and rounded; floats: 0..1, computed
                         from the samples at their own bit depth (10-bit stays 10-bit)
  mean, std              per channel (a number or 3, output channel order), float dtypes
                         only: (value - mean) / std. On the 0..1 scale, or on the 0..255
                         scale when any value exceeds 1 (e.g. ImageNet's 123.675)
  as_bgr=False           channels B, G, R instead of R, G, B
  interpolation='bilinear'|'nearest'|'area'  bilinear as torch interpolate(align_corners=
                         False); nearest as 'nearest-exact'; area averages the footprint
  antialias=True         bilinear downscaling widens the filter as interpolate(antialias=True)
  out=None               a C-contiguous tensor of the call's shape, dtype and device
                         (DLPack, __cuda_array_interface__ or __array_interface__), e.g. a
                         slice of a larger batch; written and returned
  stream=None            GPU: a CUDA stream (int handle, torch.cuda.Stream); the work is
                         ordered on it and the call returns without waiting for it. None:
                         the batch is complete when the call returns
An entry without a frame (on_error='skip') gets zeros; GetLastReport() names it.)";
}

void bind_tensors(py::module_& m) {
  py::class_<DecodedBatch> cls(m, "DecodedBatch", py::buffer_protocol(),
                               "A batch of decoded frames as one tensor (DecodeToTensor & co.); owns its memory. "
                               "torch.from_dlpack(batch) or numpy.asarray(batch) take it without a copy");
  cls.def_buffer([](DecodedBatch& b) { return to_buffer_info(b.view()); })
      .def_property_readonly(
          "shape", [](const DecodedBatch& b) { return py::tuple(py::cast(b.view().shape)); },
          "(N, 3, H, W) for NCHW, (N, H, W, 3) for NHWC; DecodeBatchToTensor: (V, F, ...)")
      .def_property_readonly(
          "strides", [](const DecodedBatch& b) { return py::tuple(py::cast(b.view().byte_strides)); },
          "In bytes (C-contiguous)")
      .def_property_readonly(
          "dtype", [](const DecodedBatch& b) { return std::string(tensor_dtype_name(b.target.dtype)); },
          "'uint8', 'float16', 'bfloat16' or 'float32'")
      .def_property_readonly("layout",
                             [](const DecodedBatch& b) { return std::string(tensor_layout_name(b.target.layout)); })
      .def_property_readonly("device", &DecodedBatch::device, "'cpu' or 'cuda:N'")
      .def_property_readonly("nbytes", [](const DecodedBatch& b) { return b.target.bytes(); })
      .def_property_readonly("data",
                             [](const DecodedBatch& b) { return reinterpret_cast<uintptr_t>(b.target.buffer->data()); })
      .def_property_readonly("__array_interface__", [](const DecodedBatch& b) { return array_interface(b.view()); })
      .def_property_readonly("__cuda_array_interface__",
                             [](const DecodedBatch& b) { return cuda_array_interface(b.view()); })
      .def("__dlpack__", &batch_dlpack)
      .def("__dlpack_device__", [](const DecodedBatch& b) { return dlpack_device(b.view()); })
      .def("__repr__", [](const DecodedBatch& b) {
        std::string shape;
        for (int64_t s : b.view().shape) shape += (shape.empty() ? "" : ", ") + std::to_string(s);
        return "<DecodedBatch (" + shape + ") " + tensor_dtype_name(b.target.dtype) + " " +
               tensor_layout_name(b.target.layout) + " on " + b.device() + ">";
      });
}

}  // namespace odvd::python
