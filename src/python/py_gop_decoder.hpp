// PyGopDecoder: the object behind Python's PyNvGopDecoder — a GopDecoder plus the
// little state the Python API keeps per object (packet-list codecs). Translation only.
//
// Thread-safety: as GopDecoder (calls serialised inside); the GIL is released while
// decoding.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "odvd/error.hpp"
#include "odvd/gop_decoder.hpp"
#include "python/arguments.hpp"
#include "python/tensors.hpp"

namespace odvd::python {

namespace py = pybind11;

// Turns the library's warnings (e.g. unsignalled colour range) into Python UserWarnings.
inline void warn_all(const std::vector<std::string>& messages) {
  for (const std::string& message : messages) {
    if (PyErr_WarnEx(PyExc_UserWarning, message.c_str(), 1) < 0) throw py::error_already_set();
  }
}

inline void check_stream_infos(const std::vector<StreamInfo>& infos, size_t entries) {
  if (!infos.empty() && infos.size() != entries) {
    throw ArgumentError("fastStreamInfos must be empty or have one item per entry (got " +
                        std::to_string(infos.size()) + " for " + std::to_string(entries) + " entries)");
  }
}

// Frames (or RGB images) as a Python list; an entry the damage policy left without a
// frame (no buffer) becomes None. Needs the GIL.
template <typename T>
py::list frames_to_list(std::vector<T>&& items) {
  py::list out;
  for (T& item : items) {
    if (item.buffer) {
      out.append(py::cast(std::move(item)));
    } else {
      out.append(py::none());
    }
  }
  return out;
}

// The last call's report as a list of dicts (entry, file, requested, returned, reason).
inline py::list report_to_list(const std::vector<EntryReport>& report) {
  py::list out;
  for (const EntryReport& r : report) {
    py::dict d;
    d["entry"] = r.entry;
    d["file"] = r.path;
    d["requested"] = r.requested;
    d["returned"] = r.returned >= 0 ? py::object(py::int_(r.returned)) : py::object(py::none());
    d["reason"] = r.reason;
    out.append(d);
  }
  return out;
}

class PyGopDecoder {
 public:
  PyGopDecoder(int max_files, int gpu, bool suppress_warning, int worker_threads, int decoder_threads,
               int parallel_calls, int session_cache_mib, const std::string& on_error, int video_stream,
               ContentDigests digests, const std::string& fallback) {
    GopDecoderOptions options;
    options.max_files = max_files;
    options.device = gpu;
    options.suppress_no_color_range_warning = suppress_warning;
    options.worker_threads = worker_threads;
    options.decoder_threads = decoder_threads;
    options.parallel_calls = parallel_calls;
    options.session_cache_mib = session_cache_mib;
    options.on_error = parse_on_error(on_error);
    options.video_stream = video_stream;
    options.content_digests = std::move(digests);
    options.fallback = parse_fallback(fallback);
    decoder_ = std::make_unique<GopDecoder>(options);
  }

  py::list decode(const py::object& paths, const py::object& frame_ids_arg, const py::object& infos_arg) {
    const std::vector<std::string> files = path_list(paths, "filepaths");
    const std::vector<int> ids = frame_ids(frame_ids_arg);
    check_stream_infos(stream_infos(infos_arg), files.size());
    std::vector<VideoFrame> frames;
    {
      py::gil_scoped_release release;
      frames = decoder_->decode(files, ids);
    }
    emit_warnings();
    return frames_to_list(std::move(frames));
  }

  py::list decode_rgb(const py::object& paths, const py::object& frame_ids_arg, const py::object& as_bgr,
                      const py::object& infos_arg) {
    const std::vector<std::string> files = path_list(paths, "filepaths");
    const std::vector<int> ids = frame_ids(frame_ids_arg);
    const bool bgr = flag(as_bgr, "as_bgr");
    check_stream_infos(stream_infos(infos_arg), files.size());
    std::vector<RgbImage> frames;
    {
      py::gil_scoped_release release;
      frames = decoder_->decode_rgb(files, ids, bgr);
    }
    emit_warnings();
    return frames_to_list(std::move(frames));
  }

  py::object decode_tensor(const py::object& paths, const py::object& frame_ids_arg, const BatchArgs& args) {
    const std::vector<std::string> files = path_list(paths, "filepaths");
    const std::vector<int> ids = frame_ids(frame_ids_arg);
    BatchRequest request = batch_request(args, {static_cast<int64_t>(ids.size())}, decoder_->options().device);
    TensorTarget written;
    {
      py::gil_scoped_release release;
      written = decoder_->decode_tensor(files, ids, request.options, request.out.target, request.stream);
    }
    emit_warnings();
    return batch_result(args, request, written);
  }

  py::list last_report() const { return report_to_list(decoder_->last_report()); }

  void release_decoder() {
    py::gil_scoped_release release;
    decoder_->release_decoder();
  }

  void release_device_memory() {
    py::gil_scoped_release release;
    decoder_->release_device_memory();
  }

  GopDecoder& decoder() { return *decoder_; }

  py::dict stats() const {
    const GopDecoder::Stats s = decoder_->stats();
    py::dict d;
    d["packets_sent"] = s.packets_sent;
    d["gop_starts"] = s.gop_starts;
    d["continuations"] = s.continuations;
    d["device_live_bytes"] = s.device_live_bytes;
    d["device_cached_bytes"] = s.device_cached_bytes;
    d["warm_sessions"] = s.warm_sessions;
    d["warm_session_bytes"] = s.warm_session_bytes;
    d["record_decoders_made"] = s.record_decoders_made;
    d["nvdec_sessions_made"] = s.nvdec_sessions_made;
    return d;
  }

  void emit_warnings() { warn_all(decoder_->take_warnings()); }

 private:
  std::unique_ptr<GopDecoder> decoder_;
};

// PyNvGopDecoder's GOP bundle methods (bundles.cpp), and the module functions.
void bind_bundle_methods(py::class_<PyGopDecoder>& cls);
void bind_bundle_functions(py::module_& m);

}  // namespace odvd::python
