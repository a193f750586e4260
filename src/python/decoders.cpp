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
#include "odvd/option_limits.hpp"
#include "odvd/sample_reader.hpp"
#include "python/py_gop_decoder.hpp"
#include "util/profile.hpp"

namespace odvd::python {
namespace {

std::vector<StreamInfo> get_fast_init_info(const py::object& paths, const py::object& video_stream_arg) {
  const std::vector<std::string> files = path_list(paths, "filepaths");
  if (files.empty()) throw ArgumentError("GetFastInitInfo: filepaths is empty");
  const int video_stream = int32(video_stream_arg, "video_stream");
  check_video_stream(video_stream);
  std::vector<StreamInfo> out;
  py::gil_scoped_release release;
  for (const std::string& f : files) out.push_back(probe_stream(f, video_stream));
  return out;
}

std::vector<StreamInfo> get_video_streams(const py::object& path) {
  const std::string file = one_path(path, "filepath");
  py::gil_scoped_release release;
  return video_streams_of(file);
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

// "iGpu=0 (NVDEC, fallback='cpu')" / "iGpu=-1 (CPU)", for reprs.
static std::string device_words(int device, Fallback fallback) {
  if (device < 0) return "iGpu=" + std::to_string(device) + " (CPU)";
  return "iGpu=" + std::to_string(device) + " (NVDEC, fallback='" + (fallback == Fallback::kCpu ? "cpu" : "raise") +
         "')";
}

void bind_gop_decoder(py::module_& m) {
  using Infos = std::vector<StreamInfo>;
  py::class_<PyGopDecoder> cls(m, "PyNvGopDecoder", "Random access to frames of many video files");
  // worker_threads, decoder_threads, parallel_calls and session_cache_mib are our
  // extensions (keyword-only): threads decoding files in parallel and libavcodec threads
  // per file (0 = automatic), calls that may decode at once from different threads (Note
  // [Parallel calls]) and the decoder memory kept warm between calls (GopDecoderOptions).
  using L = OptionLimits;
  cls.def(py::init([](const py::object& maxfiles, const py::object& gpu, const py::object& suppress,
                      const py::object& workers, const py::object& threads, const py::object& calls,
                      const py::object& cache_mib, const py::object& on_error, const py::object& video_stream,
                      const py::object& digests, const py::object& fallback) {
            return std::make_unique<PyGopDecoder>(
                integer(maxfiles, "maxfiles", 1, L::kMaxEntries), int32(gpu, "iGpu"),
                flag(suppress, "suppressNoColorRangeWarning"),
                integer(workers, "worker_threads", 0, L::kMaxWorkerThreads, " (0: automatic)"),
                integer(threads, "decoder_threads", 0, L::kMaxDecoderThreads, " (0: automatic)"),
                integer(calls, "parallel_calls", 1, L::kMaxParallelCalls),
                integer(cache_mib, "session_cache_mib", 0, L::kMaxSessionCacheMib), text(on_error, "on_error"),
                int32(video_stream, "video_stream"), content_digests(digests), text(fallback, "fallback"));
          }),
          py::arg("maxfiles"), py::arg("iGpu") = 0, py::arg("suppressNoColorRangeWarning") = false, py::kw_only(),
          py::arg("worker_threads") = 0, py::arg("decoder_threads") = 0, py::arg("parallel_calls") = 1,
          py::arg("session_cache_mib") = GopDecoderOptions::kDefaultSessionCacheMib, py::arg("on_error") = "raise",
          py::arg("video_stream") = -1, py::arg("content_digests") = py::none(), py::arg("fallback") = "cpu")
      .def("Decode", &PyGopDecoder::decode, py::arg("filepaths"), py::arg("frame_ids"),
           py::arg("fastStreamInfos") = Infos{}, "Decode one frame per entry to YUV (DecodedFrameExt)")
      .def("DecodeN12ToRGB", &PyGopDecoder::decode_rgb, py::arg("filepaths"), py::arg("frame_ids"),
           py::arg("as_bgr") = false, py::arg("fastStreamInfos") = Infos{},
           "Decode one frame per entry to packed RGB/BGR (RGBFrame)")
      .def(
          "DecodeToTensor",
          [](PyGopDecoder& self, const py::object& paths, const py::object& ids, ODVD_BATCH_PARAMS) {
            return self.decode_tensor(paths, ids, ODVD_BATCH_ARGS);
          },
          py::arg("filepaths"), py::arg("frame_ids"), ODVD_BATCH_KWARGS,
          batch_doc("Decode one frame per entry into one batched tensor (N, 3, H, W), or (N, H, W, 3) "
                    "with layout='NHWC'.")
              .c_str())
      .def("GetLastReport", &PyGopDecoder::last_report,
           "One dict per entry of the last decoding call that failed or got another frame (on_error): "
           "entry, file, requested, returned (None: no frame), reason; empty after a clean call")
      .def("release_decoder", &PyGopDecoder::release_decoder, "Drop warm decoder sessions")
      .def("release_device_memory", &PyGopDecoder::release_device_memory, "Free pooled device memory")
      .def("_stats", &PyGopDecoder::stats,
           "Work counters since construction: packets_sent, gop_starts, continuations; device memory now: "
           "device_live_bytes, device_cached_bytes; sessions kept warm now: warm_sessions, warm_session_bytes; "
           "decoders made for calls from GOP data: record_decoders_made; NVDEC sessions created: nvdec_sessions_made "
           "(diagnostics)");
  cls.def("__repr__", [](PyGopDecoder& self) {
    const GopDecoderOptions& o = self.decoder().options();
    return "<PyNvGopDecoder maxfiles=" + std::to_string(o.max_files) + " " + device_words(o.device, o.fallback) +
           " on_error='" + on_error_name(o.on_error) + "' worker_threads=" + std::to_string(o.worker_threads) +
           " decoder_threads=" + std::to_string(o.decoder_threads) +
           " parallel_calls=" + std::to_string(o.parallel_calls) +
           " session_cache_mib=" + std::to_string(o.session_cache_mib) + ">";
  });
  bind_bundle_methods(cls);
}

class PySampleReader {
 public:
  PySampleReader(int num_of_set, int num_of_file, int gpu, bool suppress_warning, int worker_threads,
                 int decoder_threads, int decode_ahead_mib, const std::string& on_error, int video_stream,
                 ContentDigests digests, const std::string& fallback) {
    SampleReaderOptions options;
    options.num_of_set = num_of_set;
    options.num_of_file = num_of_file;
    options.device = gpu;
    options.suppress_no_color_range_warning = suppress_warning;
    options.worker_threads = worker_threads;
    options.decoder_threads = decoder_threads;
    options.decode_ahead_mib = decode_ahead_mib;
    options.on_error = parse_on_error(on_error);
    options.video_stream = video_stream;
    options.content_digests = std::move(digests);
    options.fallback = parse_fallback(fallback);
    reader_ = std::make_unique<SampleReader>(options);
  }

  // Runs `work` on the reader without the GIL, then reports warnings; frames come back as
  // a list (lists of lists for batches) with None where the damage policy left none.
  template <typename Work>
  py::list call(Work&& work) {
    decltype(work(*reader_)) result;
    {
      py::gil_scoped_release release;
      result = work(*reader_);
    }
    warn_all(reader_->take_warnings());
    return to_list(std::move(result));
  }

  void call_void(void (SampleReader::*method)()) {
    py::gil_scoped_release release;
    (reader_.get()->*method)();
  }

  SampleReader& reader() { return *reader_; }

 private:
  template <typename T>
  static py::list to_list(std::vector<T>&& items) {
    return frames_to_list(std::move(items));
  }
  template <typename T>
  static py::list to_list(std::vector<std::vector<T>>&& lists) {
    py::list out;
    for (auto& list : lists) out.append(frames_to_list(std::move(list)));
    return out;
  }

  std::unique_ptr<SampleReader> reader_;
};

void bind_sample_reader(py::module_& m) {
  using Lists = std::vector<std::vector<int>>;
  py::class_<PySampleReader>(m, "PyNvSampleReader", "Stream access: reading files forward, frame after frame")
      .def(py::init([](const py::object& sets, const py::object& files, const py::object& gpu,
                       const py::object& suppress, const py::object& workers, const py::object& threads,
                       const py::object& ahead, const py::object& on_error, const py::object& video_stream,
                       const py::object& digests, const py::object& fallback) {
             using L = OptionLimits;
             return std::make_unique<PySampleReader>(
                 integer(sets, "num_of_set", 1, L::kMaxFilesPerSlot), integer(files, "num_of_file", 1, L::kMaxEntries),
                 int32(gpu, "iGpu"), flag(suppress, "suppressNoColorRangeWarning"),
                 integer(workers, "worker_threads", 0, L::kMaxWorkerThreads, " (0: automatic)"),
                 integer(threads, "decoder_threads", 0, L::kMaxDecoderThreads, " (0: automatic)"),
                 int32(ahead, "decode_ahead_mib"), text(on_error, "on_error"), int32(video_stream, "video_stream"),
                 content_digests(digests), text(fallback, "fallback"));
           }),
           py::arg("num_of_set"), py::arg("num_of_file"), py::arg("iGpu") = 0,
           py::arg("suppressNoColorRangeWarning") = false, py::kw_only(), py::arg("worker_threads") = 0,
           py::arg("decoder_threads") = 0, py::arg("decode_ahead_mib") = -1, py::arg("on_error") = "raise",
           py::arg("video_stream") = -1, py::arg("content_digests") = py::none(), py::arg("fallback") = "cpu")
      .def("__repr__",
           [](PySampleReader& self) {
             const SampleReaderOptions& o = self.reader().options();
             return "<PyNvSampleReader num_of_set=" + std::to_string(o.num_of_set) +
                    " num_of_file=" + std::to_string(o.num_of_file) + " " + device_words(o.device, o.fallback) +
                    " on_error='" + on_error_name(o.on_error) + "' worker_threads=" + std::to_string(o.worker_threads) +
                    " decoder_threads=" + std::to_string(o.decoder_threads) + ">";
           })
      .def(
          "Decode",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const std::vector<int> ids = frame_ids(ids_arg);
            return self.call([&](SampleReader& r) { return r.decode(files, ids); });
          },
          py::arg("filepaths"), py::arg("frame_ids"), "Entry i reads frame_ids[i] of filepaths[i] on slot i (YUV)")
      .def(
          "DecodeN12ToRGB",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg, const py::object& as_bgr) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const std::vector<int> ids = frame_ids(ids_arg);
            const bool bgr = flag(as_bgr, "as_bgr");
            return self.call([&](SampleReader& r) { return r.decode_rgb(files, ids, bgr); });
          },
          py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Entry i reads frame_ids[i] of filepaths[i] on slot i (RGB/BGR)")
      .def(
          "DecodeN12ToRGBAsync",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg, const py::object& as_bgr) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const std::vector<int> ids = frame_ids(ids_arg);
            const bool bgr = flag(as_bgr, "as_bgr");
            py::gil_scoped_release release;
            self.reader().decode_rgb_async(files, ids, bgr);
          },
          py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Start DecodeN12ToRGB in the background (one request in flight; an unclaimed result is discarded)")
      .def(
          "DecodeN12ToRGBAsyncGetBuffer",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg, const py::object& as_bgr) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const std::vector<int> ids = frame_ids(ids_arg);
            const bool bgr = flag(as_bgr, "as_bgr");
            return self.call([&](SampleReader& r) { return r.async_result(files, ids, bgr); });
          },
          py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Wait for the pending request (same arguments) and return its frames, or raise its error")
      .def(
          "DecodeBatch",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const Lists lists = frame_id_lists(ids_arg);
            return self.call([&](SampleReader& r) { return r.decode_batch(files, lists); });
          },
          py::arg("filepaths"), py::arg("frame_ids"),
          "File v (slot v) reads the frames frame_ids[v] in order; one list of YUV frames per file")
      .def(
          "DecodeBatchRGB",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg, const py::object& as_bgr) {
            const std::vector<std::string> files = path_list(paths, "filepaths");
            const Lists lists = frame_id_lists(ids_arg);
            const bool bgr = flag(as_bgr, "as_bgr");
            return self.call([&](SampleReader& r) { return r.decode_batch_rgb(files, lists, bgr); });
          },
          py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "File v (slot v) reads the frames frame_ids[v] in order; one list of RGB/BGR frames per file")
      .def(
          "DecodeBatchToTensor",
          [](PySampleReader& self, const py::object& paths, const py::object& ids_arg, ODVD_BATCH_PARAMS) {
            const std::vector<std::string> files = path_list(paths, "files");
            const Lists lists = frame_id_lists(ids_arg, "frame_id_lists");
            const BatchArgs args = ODVD_BATCH_ARGS;
            const int64_t frames = lists.empty() ? 0 : static_cast<int64_t>(lists[0].size());
            BatchRequest request =
                batch_request(args, {static_cast<int64_t>(lists.size()), frames}, self.reader().options().device);
            TensorTarget written;
            {
              py::gil_scoped_release release;
              written =
                  self.reader().decode_batch_tensor(files, lists, request.options, request.out.target, request.stream);
            }
            warn_all(self.reader().take_warnings());
            return batch_result(args, request, written);
          },
          py::arg("files"), py::arg("frame_id_lists"), ODVD_BATCH_KWARGS,
          batch_doc("File v (slot v) reads the frames frame_id_lists[v] in order (every list of one length F), "
                    "into one batched tensor (V, F, 3, H, W), or (V, F, H, W, 3) with layout='NHWC'.")
              .c_str())
      .def(
          "GetLastReport", [](PySampleReader& self) { return report_to_list(self.reader().last_report()); },
          "One dict per frame of the last call that failed or got another frame (on_error): entry (the file's "
          "position), file, requested, returned (None: no frame), reason; empty after a clean call")
      .def(
          "clearAllReaders", [](PySampleReader& self) { self.call_void(&SampleReader::clear_all_readers); },
          "Close every file of every slot")
      .def(
          "release_decoder", [](PySampleReader& self) { self.call_void(&SampleReader::release_decoder); },
          "Close every file and free idle decoders")
      .def(
          "release_device_memory", [](PySampleReader& self) { self.call_void(&SampleReader::release_device_memory); },
          "Free pooled device memory no frame uses")
      .def(
          "_stats",
          [](PySampleReader& self) {
            const SampleReader::Stats s = self.reader().stats();
            py::dict d;
            d["packets_sent"] = s.packets_sent;
            d["gop_starts"] = s.gop_starts;
            d["continuations"] = s.continuations;
            d["ahead_gops"] = s.ahead_gops;
            d["ahead_frames"] = s.ahead_frames;
            d["ahead_failed"] = s.ahead_failed;
            d["ahead_peak_bytes"] = s.ahead_peak_bytes;
            d["device_live_bytes"] = s.device_live_bytes;
            d["device_cached_bytes"] = s.device_cached_bytes;
            return d;
          },
          "Work counters since construction (diagnostics)");
}

py::dict get_index_info(const py::object& path, const py::object& video_stream_arg) {
  const std::string file = one_path(path, "filepath");
  const int video_stream = int32(video_stream_arg, "video_stream");
  check_video_stream(video_stream);
  VideoSummary s;
  {
    py::gil_scoped_release release;
    s = describe_video(file, video_stream);
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
  d["frame_pts"] = s.frame_pts;
  d["time_base"] = py::make_tuple(s.stream.time_base_num, s.stream.time_base_den);
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
  m.def(
      "_profile",
      [](bool reset) {
        py::dict d;
        for (const auto& [name, e] : profile_snapshot(reset)) {
          d[py::str(name)] =
              py::make_tuple(static_cast<double>(e.total_ns) * 1e-9, e.count, static_cast<double>(e.cpu_ns) * 1e-9);
        }
        return d;
      },
      py::arg("reset") = false,
      "Time per named scope: {name: (wall seconds, count, CPU seconds of the threads that ran it)}; collected "
      "only when ODVD_PROFILE is set");
  m.def("GetFastInitInfo", &get_fast_init_info, py::arg("filepaths"), py::kw_only(), py::arg("video_stream") = -1,
        "Stream parameters of each file (from the cached index scan); video_stream as on the decoders");
  m.def("GetIndexInfo", &get_index_info, py::arg("filepath"), py::kw_only(), py::arg("video_stream") = -1,
        "The frame index of a file: frame count (SPEC §1), GOP layout, container; a dict");
  m.def(
      "content_digest",
      [](const py::object& path) {
        const std::string file = one_path(path, "filepath");
        py::gil_scoped_release release;
        return content_digest(file);
      },
      py::arg("filepath"),
      "The content digest of a whole file ('<size>-<crc32 hex>'), for content_digests= on the decoders");
  m.def("GetVideoStreams", &get_video_streams, py::arg("filepath"),
        "Every video stream of a file, in order (the K-th is video_stream=K): a FastStreamInfo each");
  bind_bundle_functions(m);
}

}  // namespace odvd::python
