// Python types for the decoders: PyNvGopDecoder, PyNvSampleReader, FastStreamInfo and
// the module functions around them. Translation only: argument conversion, GIL release,
// warnings; decoding logic lives in odvd::GopDecoder.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "odvd/error.hpp"
#include "odvd/gop_decoder.hpp"
#include "python/py_gop_decoder.hpp"

namespace odvd::python {
namespace {

std::vector<StreamInfo> get_fast_init_info(const py::sequence& paths) {
  std::vector<std::string> files = to_paths(paths);
  if (files.empty()) throw ArgumentError("GetFastInitInfo: filepaths is empty");
  std::vector<StreamInfo> out;
  py::gil_scoped_release release;
  for (const std::string& f : files) out.push_back(probe_stream(f));
  return out;
}

void bind_stream_info(py::module_& m) {
  py::class_<StreamInfo>(m, "FastStreamInfo", "Stream parameters of a file, as GetFastInitInfo reports them")
      .def(py::init<>())
      .def_readwrite("codec_id", &StreamInfo::av_codec_id, "FFmpeg AVCodecID")
      .def_readwrite("codec_type", &StreamInfo::av_media_type, "FFmpeg AVMediaType")
      .def_readwrite("format", &StreamInfo::av_pixel_format, "FFmpeg AVPixelFormat (-1 when unknown)")
      .def_readwrite("width", &StreamInfo::width)
      .def_readwrite("height", &StreamInfo::height)
      .def_readwrite("time_base_num", &StreamInfo::time_base_num)
      .def_readwrite("time_base_den", &StreamInfo::time_base_den)
      .def_readwrite("r_frame_rate_num", &StreamInfo::r_frame_rate_num)
      .def_readwrite("r_frame_rate_den", &StreamInfo::r_frame_rate_den)
      .def_readwrite("avg_frame_rate_num", &StreamInfo::avg_frame_rate_num)
      .def_readwrite("avg_frame_rate_den", &StreamInfo::avg_frame_rate_den)
      .def_readwrite("duration", &StreamInfo::duration, "in time base units")
      .def_readwrite("start_time", &StreamInfo::start_time, "in time base units")
      .def_readwrite("stream_index", &StreamInfo::stream_index)
      .def_readwrite("bit_depth", &StreamInfo::bit_depth)
      .def("__repr__", [](const StreamInfo& s) {
        return "<FastStreamInfo codec_id=" + std::to_string(s.av_codec_id) + " " + std::to_string(s.width) + "x" +
               std::to_string(s.height) + " time_base=" + std::to_string(s.time_base_num) + "/" +
               std::to_string(s.time_base_den) + ">";
      });
}

void bind_gop_decoder(py::module_& m) {
  using Infos = std::vector<StreamInfo>;
  py::class_<PyGopDecoder> cls(m, "PyNvGopDecoder", "Random access to frames of many video files");
  // worker_threads and decoder_threads are our extensions (keyword-only, 0 = automatic):
  // threads decoding files in parallel, and libavcodec threads per file (CPU back end).
  cls.def(py::init<int, int, bool, int, int>(), py::arg("maxfiles"), py::arg("iGpu") = 0,
          py::arg("suppressNoColorRangeWarning") = false, py::kw_only(), py::arg("worker_threads") = 0,
          py::arg("decoder_threads") = 0)
      .def("Decode", &PyGopDecoder::decode, py::arg("filepaths"), py::arg("frame_ids"),
           py::arg("fastStreamInfos") = Infos{}, "Decode one frame per entry to YUV (DecodedFrameExt)")
      .def("DecodeN12ToRGB", &PyGopDecoder::decode_rgb, py::arg("filepaths"), py::arg("frame_ids"),
           py::arg("as_bgr") = false, py::arg("fastStreamInfos") = Infos{},
           "Decode one frame per entry to packed RGB/BGR (RGBFrame)")
      .def("release_decoder", &PyGopDecoder::release_decoder, "Drop warm decoder sessions")
      .def("release_device_memory", &PyGopDecoder::release_device_memory, "Free pooled device memory")
      .def("_stats", &PyGopDecoder::stats,
           "Work counters since construction: packets_sent, gop_starts, continuations (diagnostics)");
  bind_bundle_methods(cls);
}

// Stream access arrives with issue #5; until then the class exists and says so.
struct PySampleReader {};

void bind_sample_reader(py::module_& m) {
  py::class_<PySampleReader>(m, "PyNvSampleReader", "Stream access (not implemented yet)")
      .def(py::init(
               [](int, int, int, bool) -> PySampleReader* { not_yet("PyNvSampleReader", "stream access, issue #5"); }),
           py::arg("num_of_set"), py::arg("num_of_file"), py::arg("iGpu") = 0,
           py::arg("suppressNoColorRangeWarning") = false);
}

py::dict get_index_info(const py::object& path) {
  const std::string file = py::module_::import("os").attr("fspath")(path).cast<std::string>();
  VideoSummary s;
  {
    py::gil_scoped_release release;
    s = describe_video(file);
  }
  py::dict d;
  d["path"] = file;
  d["container"] = s.container;
  d["frame_count"] = s.frame_count;
  d["declared_frames"] = s.declared_frames;
  d["packet_count"] = s.packet_count;
  d["gop_first_frame_ids"] = s.gop_first_frame_ids;
  d["gop_lengths"] = s.gop_lengths;
  d["key_frame_ids"] = s.gop_first_frame_ids;
  d["codec"] = codec_name(s.stream.codec);
  d["bit_depth"] = s.stream.bit_depth;
  d["color_range"] = static_cast<int>(s.stream.color.range);
  d["color_matrix"] = static_cast<int>(s.stream.color.matrix);
  d["stream"] = s.stream;
  return d;
}

}  // namespace

void bind_decoders(py::module_& m) {
  bind_stream_info(m);
  bind_gop_decoder(m);
  bind_sample_reader(m);
  m.def("cuda_device_count", &cuda_device_count,
        "Number of CUDA devices the NVDEC back end can use (0 without a GPU, a driver, or CUDA support in this build)");
  m.def("_cuda_context_pid", &cuda_context_creator_pid,
        "Process id in which this library created a CUDA context (0: never); for tests");
  m.def("GetFastInitInfo", &get_fast_init_info, py::arg("filepaths"),
        "Stream parameters of each file (from the cached index scan)");
  m.def("GetIndexInfo", &get_index_info, py::arg("filepath"),
        "The frame index of a file: frame count (SPEC §1), GOP layout, container; a dict");
  bind_bundle_functions(m);
}

}  // namespace odvd::python
