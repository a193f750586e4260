// Python types for decoded frames: DecodedFrameExt (YUV), RGBFrame, and CAIMemoryView
// (one plane). Translation only: geometry comes from odvd/frame.hpp, exports from
// array_export.hpp.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "odvd/frame.hpp"
#include "python/array_export.hpp"

namespace odvd::python {
namespace {

// The whole YUV picture as one 2-D array: rows of every plane stacked (all planes share
// one pitch; see allocate_host_frame).
ArrayView whole_frame_view(const VideoFrame& f) {
  ArrayView v;
  v.owner = f.buffer;
  v.data = f.buffer->data() + f.planes[0].offset;
  v.itemsize = f.planes[0].bytes_per_sample;
  int64_t rows = 0;
  for (int i = 0; i < f.num_planes; ++i) rows += f.planes[i].height;
  v.shape = {rows, f.planes[0].pitch / v.itemsize};
  v.byte_strides = {f.planes[0].pitch, v.itemsize};
  return v;
}

// One plane as (rows, samples, components): luma (H, W, 1), interleaved UV (H/2, W/2, 2).
ArrayView plane_view(const VideoFrame& f, int i) {
  const Plane& p = f.planes[i];
  const bool interleaved = f.num_planes == 2 && i == 1;
  const int components = interleaved ? 2 : 1;
  ArrayView v;
  v.owner = f.buffer;
  v.data = f.buffer->data() + p.offset;
  v.itemsize = p.bytes_per_sample;
  v.shape = {p.height, p.width / components, components};
  v.byte_strides = {p.pitch, components * p.bytes_per_sample, p.bytes_per_sample};
  return v;
}

std::vector<ArrayView> plane_views(const VideoFrame& f) {
  std::vector<ArrayView> planes;
  for (int i = 0; i < f.num_planes; ++i) planes.push_back(plane_view(f, i));
  return planes;
}

ArrayView rgb_view(const RgbImage& img) {
  ArrayView v;
  v.owner = img.buffer;
  v.data = img.buffer->data();
  v.itemsize = 1;
  v.shape = {img.height, img.width, 3};
  v.byte_strides = {img.stride(), 3, 1};
  return v;
}

// The consumer stream of a DLPack request, as a CUstream (nullptr: unknown).
// DLPack's CUDA convention: None or 1 = the legacy default stream, 2 = the per-thread
// default stream, -1 = no synchronisation wanted, anything else a stream handle.
void* consumer_stream(const ArrayView& view, const py::kwargs& kwargs) {
  if (view.owner->kind() != MemoryKind::kCuda) return nullptr;
  if (!kwargs.contains("stream") || kwargs["stream"].is_none()) return reinterpret_cast<void*>(uintptr_t{1});
  const auto s = kwargs["stream"].cast<intptr_t>();
  if (s == 0) throw py::value_error("__dlpack__: stream=0 is ambiguous for CUDA (use 1 for the legacy default)");
  if (s == -1) return nullptr;
  return reinterpret_cast<void*>(s);
}

py::object dlpack_of(const ArrayView& view, const py::kwargs& kwargs) {
  // Frames are complete when a decode call returns, so no consumer stream has anything
  // to wait for; the stream is remembered so the memory is not reused under the
  // consumer's feet. `max_version`, `dl_device` and `copy` are accepted as the DLPack
  // protocol passes them.
  if (kwargs.contains("dl_device") && !kwargs["dl_device"].is_none()) {
    py::tuple wanted = kwargs["dl_device"];
    if (!wanted.equal(dlpack_device(view))) throw py::buffer_error("__dlpack__: cannot export to another device");
  }
  if (kwargs.contains("copy") && !kwargs["copy"].is_none() && kwargs["copy"].cast<bool>()) {
    throw py::buffer_error("__dlpack__: copy=True is not supported; frames are exported without copying");
  }
  return to_dlpack(view, consumer_stream(view, kwargs));
}

// Adds the array protocols shared by every frame-like class.
template <typename Class, typename ViewFn>
void add_array_protocols(Class& cls, ViewFn view_of) {
  cls.def_property_readonly("__array_interface__",
                            [view_of](const typename Class::type& o) { return array_interface(view_of(o)); });
  cls.def_property_readonly("__cuda_array_interface__",
                            [view_of](const typename Class::type& o) { return cuda_array_interface(view_of(o)); });
  cls.def("__dlpack__",
          [view_of](const typename Class::type& o, const py::kwargs& kwargs) { return dlpack_of(view_of(o), kwargs); });
  cls.def("__dlpack_device__", [view_of](const typename Class::type& o) { return dlpack_device(view_of(o)); });
}

}  // namespace

void bind_frames(py::module_& m) {
  py::enum_<PixelFormat>(m, "PixelFormat", "Layout of a decoded YUV frame")
      .value("NV12", PixelFormat::kNv12)
      .value("P016", PixelFormat::kP016)
      .value("YUV444", PixelFormat::kYuv444)
      .value("YUV444_16Bit", PixelFormat::kYuv444P16)
      .value("NV16", PixelFormat::kNv16)
      .value("P216", PixelFormat::kP216);
  py::enum_<ColorRange>(m, "ColorRange", "Signalled colour range of a stream")
      .value("UNSPECIFIED", ColorRange::kUnspecified)
      .value("MPEG", ColorRange::kLimited)
      .value("JPEG", ColorRange::kFull);

  py::class_<ArrayView> view(m, "CAIMemoryView", py::buffer_protocol(),
                             "One plane of a decoded frame, exportable without a copy");
  view.def_buffer([](ArrayView& v) { return to_buffer_info(v); })
      .def_property_readonly("shape", [](const ArrayView& v) { return py::tuple(py::cast(v.shape)); })
      .def_property_readonly("strides", [](const ArrayView& v) { return py::tuple(py::cast(v.byte_strides)); })
      .def_property_readonly("dtype", &dtype_name)
      .def_property_readonly("data", [](const ArrayView& v) { return reinterpret_cast<uintptr_t>(v.data); })
      .def("__repr__", [](const ArrayView& v) {
        std::string shape;
        for (size_t i = 0; i < v.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(v.shape[i]);
        const bool gpu = v.owner && v.owner->kind() == MemoryKind::kCuda;
        return "<CAIMemoryView (" + shape + ") " + dtype_name(v) + " on " +
               (gpu ? "cuda:" + std::to_string(v.owner->device()) : std::string("cpu")) + ">";
      });
  add_array_protocols(view, [](const ArrayView& v) { return v; });

  py::class_<VideoFrame> yuv(m, "DecodedFrameExt", py::buffer_protocol(),
                             "A decoded YUV frame (NV12, P016 or 4:4:4); owns its memory");
  yuv.def_buffer([](VideoFrame& f) { return to_buffer_info(whole_frame_view(f)); })
      .def("cuda", &plane_views, "One view per plane (in host memory on the CPU back end)")
      .def("nvcv_image", &plane_views, "Same as cuda()")
      .def(
          "GetPtrToPlane",
          [](const VideoFrame& f, int i) {
            if (i < 0 || i >= f.num_planes) {
              throw py::value_error("plane index " + std::to_string(i) + " out of range (frame has " +
                                    std::to_string(f.num_planes) + " planes)");
            }
            return reinterpret_cast<uintptr_t>(f.plane_data(i));
          },
          py::arg("planeIdx"))
      .def("framesize", [](const VideoFrame& f) { return f.byte_size(); })
      .def_property_readonly("shape",
                             [](const VideoFrame& f) { return py::tuple(py::cast(whole_frame_view(f).shape)); })
      .def_property_readonly("strides",
                             [](const VideoFrame& f) { return py::tuple(py::cast(whole_frame_view(f).byte_strides)); })
      .def_property_readonly("dtype", [](const VideoFrame& f) { return dtype_name(whole_frame_view(f)); })
      .def_property_readonly("format", [](const VideoFrame& f) { return f.format; })
      .def_property_readonly("width", [](const VideoFrame& f) { return f.width; })
      .def_property_readonly("height", [](const VideoFrame& f) { return f.height; })
      .def_property_readonly("bit_depth", [](const VideoFrame& f) { return f.bit_depth; })
      .def_property_readonly("color_range", [](const VideoFrame& f) { return f.color.range; })
      .def_property_readonly("timestamp", [](const VideoFrame& f) { return f.pts; })
      .def_property_readonly(
          "backend", [](const VideoFrame& f) { return std::string(f.decoded_by); },
          "The engine that decoded the frame: 'nvdec' or 'cpu' (a GPU decoder's fallback="
          "'cpu' decodes streams NVDEC refuses on the CPU, and uploads their frames)")
      .def("__repr__", [](const VideoFrame& f) {
        const bool gpu = f.buffer && f.buffer->kind() == MemoryKind::kCuda;
        return "<DecodedFrameExt " + std::string(pixel_format_name(f.format)) + " " + std::to_string(f.width) + "x" +
               std::to_string(f.height) + " pts=" + std::to_string(f.pts) + " decoded by " + f.decoded_by + " on " +
               (gpu ? "cuda:" + std::to_string(f.buffer->device()) : std::string("cpu")) + ">";
      });
  add_array_protocols(yuv, whole_frame_view);

  py::class_<RgbImage> rgb(m, "RGBFrame", py::buffer_protocol(),
                           "A decoded frame as packed (H, W, 3) uint8 RGB or BGR; owns its memory");
  rgb.def_buffer([](RgbImage& img) { return to_buffer_info(rgb_view(img)); })
      .def_property_readonly("shape", [](const RgbImage& img) { return py::make_tuple(img.height, img.width, 3); })
      .def_property_readonly("stride", [](const RgbImage& img) { return py::make_tuple(img.stride(), 3, 1); })
      .def_property_readonly("isBGR", [](const RgbImage& img) { return img.bgr; })
      .def_property_readonly("data",
                             [](const RgbImage& img) { return reinterpret_cast<uintptr_t>(img.buffer->data()); })
      .def_property_readonly("dataptr",
                             [](const RgbImage& img) { return reinterpret_cast<uintptr_t>(img.buffer->data()); })
      .def_property_readonly("timestamp", [](const RgbImage& img) { return img.pts; })
      .def_property_readonly(
          "backend", [](const RgbImage& img) { return std::string(img.decoded_by); },
          "The engine that decoded the frame this image was converted from: 'nvdec' or 'cpu'")
      .def("__repr__", [](const RgbImage& img) {
        const bool gpu = img.buffer && img.buffer->kind() == MemoryKind::kCuda;
        return "<RGBFrame " + std::string(img.bgr ? "BGR " : "RGB ") + std::to_string(img.width) + "x" +
               std::to_string(img.height) + " pts=" + std::to_string(img.pts) + " decoded by " + img.decoded_by +
               " on " + (gpu ? "cuda:" + std::to_string(img.buffer->device()) : std::string("cpu")) + ">";
      });
  add_array_protocols(rgb, rgb_view);
}

}  // namespace odvd::python
