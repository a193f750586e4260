// PyNvGopDecoder's GOP bundle methods and the bundle module functions (SPEC §2, §4).
// Translation only: byte buffers in and out as numpy uint8 arrays, GIL release; the
// format lives in gop/gop_bundle.hpp, decoding in odvd::GopDecoder.
#include <pybind11/numpy.h>

#include <algorithm>
#include <future>
#include <limits>
#include <set>

#include "gop/gop_bundle.hpp"
#include "odvd/codecs.hpp"
#include "python/py_gop_decoder.hpp"
#include "util/file_io.hpp"

namespace odvd::python {
namespace {

using Bytes = std::vector<uint8_t>;

// A numpy uint8 array owning `bytes` (no copy: the vector moves into the array's base).
py::array_t<uint8_t> to_numpy(Bytes&& bytes) {
  auto* owned = new Bytes(std::move(bytes));
  py::capsule base(owned, [](void* p) { delete static_cast<Bytes*>(p); });
  return py::array_t<uint8_t>({static_cast<py::ssize_t>(owned->size())}, {1}, owned->data(), base);
}

// A read-only view of a bytes-like argument (numpy uint8 array, bytes, memoryview).
class ByteView {
 public:
  ByteView(const py::handle& obj, const std::string& what) : buffer_(py::reinterpret_borrow<py::buffer>(obj)) {
    if (!PyObject_CheckBuffer(obj.ptr()) || PyUnicode_Check(obj.ptr())) {
      throw py::type_error(what + " must be a numpy uint8 array (or bytes), got " + describe(obj));
    }
    info_ = buffer_.request();
    const bool contiguous = info_.ndim <= 1 && (info_.ndim == 0 || info_.strides[0] == info_.itemsize);
    if (info_.itemsize != 1 || !contiguous) {
      throw ArgumentError(what + " must be a contiguous one-dimensional uint8 array");
    }
  }
  const uint8_t* data() const { return static_cast<const uint8_t*>(info_.ptr); }
  size_t size() const { return static_cast<size_t>(info_.size); }

 private:
  py::buffer buffer_;
  py::buffer_info info_;
};

std::vector<GopRecord> parse(const ByteView& view, const std::string& what) {
  py::gil_scoped_release release;
  return parse_bundle(view.data(), view.size(), what);
}

py::list first_ids_of(const std::vector<GopRecord>& records) {
  py::list out;
  for (const GopRecord& r : records) out.append(r.first_frame_id);
  return out;
}

py::list lengths_of(const std::vector<GopRecord>& records) {
  py::list out;
  for (const GopRecord& r : records) out.append(r.frame_count);
  return out;
}

std::vector<GopRecord> get_gops(PyGopDecoder& self, const py::object& paths, const py::object& ids_arg,
                                const py::object& infos) {
  const std::vector<std::string> files = path_list(paths, "filepaths");
  const std::vector<int> ids = frame_ids(ids_arg);
  check_stream_infos(stream_infos(infos), files.size());
  py::gil_scoped_release release;
  return self.decoder().get_gops(files, ids);
}

py::tuple get_gop(PyGopDecoder& self, const py::object& paths, const py::object& ids, const py::object& infos) {
  std::vector<GopRecord> records = get_gops(self, paths, ids, infos);
  Bytes bundle;
  {
    py::gil_scoped_release release;
    bundle = serialize_bundle(records);
  }
  return py::make_tuple(to_numpy(std::move(bundle)), first_ids_of(records), lengths_of(records));
}

py::list get_gop_list(PyGopDecoder& self, const py::object& paths, const py::object& ids, const py::object& infos) {
  std::vector<GopRecord> records = get_gops(self, paths, ids, infos);
  py::list out;
  for (GopRecord& r : records) {
    std::vector<GopRecord> one;
    one.push_back(std::move(r));
    Bytes bundle;
    {
      py::gil_scoped_release release;
      bundle = serialize_bundle(one);
    }
    out.append(py::make_tuple(to_numpy(std::move(bundle)), first_ids_of(one), lengths_of(one)));
  }
  return out;
}

// Runs task(i) for every i in [0, n) on up to kMaxThreads threads (this one included) and
// waits for all of them: a call has a handful of bundles, each milliseconds of reading and
// checksumming. Rethrows the error of the lowest i, as a serial loop would report it.
// Call without the GIL.
template <typename Task>
void for_each_at_once(size_t n, const Task& task) {
  constexpr size_t kMaxThreads = 8;
  const size_t threads = std::min(n, kMaxThreads);
  std::vector<std::exception_ptr> errors(n);
  auto run = [&](size_t first) {
    for (size_t i = first; i < n; i += threads) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::future<void>> pending;
  for (size_t t = 1; t < threads; ++t) pending.push_back(std::async(std::launch::async, run, t));
  if (threads > 0) run(0);
  for (std::future<void>& f : pending) f.get();  // run() catches everything itself
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// Records of every bundle in `arrays`, concatenated in order. The bundles are verified
// (checksums included) at once, without the GIL: decoding from stored bundles does this on
// every call, before any picture can be decoded (bench/RESULTS.md §11.4).
std::vector<GopRecord> parse_all(const py::object& arrays_arg) {
  const py::sequence arrays = sequence(arrays_arg, "numpy_datas", "a list of GOP bundles (numpy uint8 arrays)");
  const size_t n = py::len(arrays);
  std::vector<std::string> names;
  std::vector<ByteView> views;
  for (size_t i = 0; i < n; ++i) {
    names.push_back("GOP bundle " + std::to_string(i));
    views.emplace_back(arrays[i], names.back());
  }
  std::vector<std::vector<GopRecord>> parts(n);
  {
    py::gil_scoped_release release;
    for_each_at_once(n, [&](size_t i) { parts[i] = parse_bundle(views[i].data(), views[i].size(), names[i]); });
  }
  std::vector<GopRecord> records;
  for (std::vector<GopRecord>& part : parts) {
    for (GopRecord& r : part) records.push_back(std::move(r));
  }
  return records;
}

// `pts_shift` is taken off the returned frames' timestamps (packet lists: see
// record_from_packets).
template <typename Frames>
py::list decode_records(PyGopDecoder& self, std::vector<GopRecord> records, const py::object& paths,
                        const std::vector<int>& ids, const bool* bgr, int64_t pts_shift = 0) {
  std::vector<std::string> labels = path_list(paths, "filepaths");
  Frames frames;
  {
    py::gil_scoped_release release;
    if constexpr (std::is_same_v<Frames, std::vector<RgbImage>>) {
      frames = self.decoder().decode_records_rgb(std::move(records), labels, ids, *bgr);
    } else {
      frames = self.decoder().decode_records(std::move(records), labels, ids);
    }
  }
  self.emit_warnings();
  for (auto& frame : frames) frame.pts -= pts_shift;
  return frames_to_list(std::move(frames));
}

// The bytes of a bundle file; junk is refused from its first bytes, before the whole
// file is read (check_bundle_head).
Bytes read_bundle_file(const std::string& path) {
  const std::string what = quoted(path);
  auto head = [&](const uint8_t* h, size_t n, uint64_t size) { check_bundle_head(h, n, size, what); };
  return read_whole_file(path, uint64_t{1} << 34, head);
}

// Reads bundle files; each is validated (and a legacy one converted to our format).
std::vector<Bytes> load_files(const py::object& file_paths) {
  const std::vector<std::string> files = path_list(file_paths, "file_paths");
  if (files.empty()) throw ArgumentError("file_paths is empty");
  py::gil_scoped_release release;
  std::vector<Bytes> out(files.size());
  for_each_at_once(files.size(),
                   [&](size_t i) { out[i] = validated_bundle(read_bundle_file(files[i]), quoted(files[i])); });
  return out;
}

// Records for entry i from the bundle file bundle_files[i], every record of that file in
// order (what LoadGopsToList + DecodeFromGOPListRGB give). Each distinct file is read and
// verified (checksums included) once, and its bytes never reach Python: nothing can change
// them between the check and the decode, so unlike arrays handed in by the caller they are
// not verified again. GopStore decodes through this; the public round trip verifies every
// bundle twice and a file named by several entries once per entry.
std::vector<GopRecord> records_of_files(const py::object& bundle_files_arg) {
  const std::vector<std::string> entries = path_list(bundle_files_arg, "bundle_files");
  std::vector<std::string> files = entries;
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  py::gil_scoped_release release;
  std::vector<std::vector<GopRecord>> parsed(files.size());
  for_each_at_once(files.size(), [&](size_t i) {
    const Bytes raw = read_bundle_file(files[i]);
    parsed[i] = parse_bundle(raw.data(), raw.size(), quoted(files[i]));
  });
  std::vector<GopRecord> records;
  for (const std::string& entry : entries) {
    const size_t i = static_cast<size_t>(std::lower_bound(files.begin(), files.end(), entry) - files.begin());
    for (const GopRecord& r : parsed[i]) records.push_back(r);  // a copy: another entry may use it too
  }
  return records;
}

py::array_t<uint8_t> merge_arrays(const py::object& arrays_arg) {
  const py::sequence arrays = sequence(arrays_arg, "packet_data_arrays", "a list of GOP bundles (numpy uint8 arrays)");
  if (py::len(arrays) == 0) throw ArgumentError("packet_data_arrays is empty");
  std::vector<ByteView> views;
  for (size_t i = 0; i < py::len(arrays); ++i)
    views.emplace_back(arrays[i], "packet_data_arrays[" + std::to_string(i) + "]");
  std::vector<std::pair<const uint8_t*, size_t>> parts;
  for (const ByteView& v : views) parts.emplace_back(v.data(), v.size());
  Bytes merged;
  {
    py::gil_scoped_release release;
    merged = merge_bundles(parts);
  }
  return to_numpy(std::move(merged));
}

// The reference API's flat view of a bundle: eleven lists, one item per record.
py::tuple parse_serialized(const py::handle& array) {
  std::vector<GopRecord> records = parse(ByteView(array, "numpy_data"), "numpy_data");
  py::list ranges, codecs, widths, heights, frame_sizes, gop_lens, first_ids, payloads, payload_sizes, packet_sizes,
      frame_ids;
  for (const GopRecord& r : records) {
    ranges.append(static_cast<int>(r.color.range));
    codecs.append(static_cast<int>(r.codec));
    widths.append(r.width);
    heights.append(r.height);
    frame_sizes.append(r.frame_bytes());
    gop_lens.append(r.frame_count);
    first_ids.append(r.first_frame_id);
    Bytes payload;
    py::list sizes, ids;
    for (const BundlePacket& p : r.packets) {
      payload.insert(payload.end(), p.data.begin(), p.data.end());
      sizes.append(p.data.size());
      ids.append(p.frame_id);
    }
    payload_sizes.append(payload.size());
    payloads.append(to_numpy(std::move(payload)));
    packet_sizes.append(sizes);
    frame_ids.append(ids);
  }
  return py::make_tuple(ranges, codecs, widths, heights, frame_sizes, gop_lens, first_ids, payloads, payload_sizes,
                        packet_sizes, frame_ids);
}

// One dict per record: where it came from and what it holds (GetBundleInfo).
py::list bundle_info(const py::handle& array) {
  py::list out;
  for (const GopRecord& r : parse(ByteView(array, "numpy_data"), "numpy_data")) {
    int64_t payload = 0;
    for (const BundlePacket& p : r.packets) payload += static_cast<int64_t>(p.data.size());
    py::dict d;
    d["source"] = r.source;
    d["video_stream"] = r.video_stream;
    d["codec"] = codec_name(r.codec);
    d["codec_id"] = static_cast<int>(r.codec);
    d["width"] = r.width;
    d["height"] = r.height;
    d["bit_depth"] = r.bit_depth;
    d["chroma_format"] = r.chroma_format;
    d["first_frame_id"] = r.first_frame_id;
    d["gop_len"] = r.frame_count;
    d["packets"] = r.packets.size();
    d["payload_bytes"] = payload;
    out.append(d);
  }
  return out;
}

int packet_list_initialize(PyGopDecoder& self, const py::object& codec_ids_arg) {
  const std::vector<int> codec_ids = int_list(codec_ids_arg, "codec_ids", -1, 1000, " (cudaVideoCodec numbers)");
  std::vector<Codec> codecs;
  for (size_t i = 0; i < codec_ids.size(); ++i) {
    const Codec c = static_cast<Codec>(codec_ids[i]);
    if (codec_entry(c) == nullptr) {
      throw ArgumentError("codec_ids[" + std::to_string(i) + "] = " + std::to_string(codec_ids[i]) +
                          " is not a cudaVideoCodec number (h264=4, hevc=8, av1=11)");
    }
    codecs.push_back(c);
  }
  self.packet_list_codecs = std::move(codecs);
  return 0;
}

// One record per entry from another demuxer's packets: packet k of entry i presents
// frame packet_idxs[i][k] (-1: decoded only as a reference); the first packet is a key
// with its parameter sets in band. Timestamps are made up, distinct, >= 0 and in display
// order, because NVDEC's parser hands timestamps out in ascending order to the pictures it
// displays (a made-up order showed an open GOP's next key under its last frame's id):
// frame id gets id + `base`; a reference-only packet before any frame but the key is one
// of the key's leading pictures (displayed first: k); one after them is the next GOP's key
// or a picture of it (displayed last: after every frame).
GopRecord record_from_packets(Codec codec, const py::handle& arrays_arg, const std::vector<int>& frame_ids, int width,
                              int height, size_t entry, int64_t base) {
  const std::string where = "entry " + std::to_string(entry);
  const py::sequence arrays =
      sequence(arrays_arg, "numpy_datas[" + std::to_string(entry) + "]", "a list of packets (numpy uint8 arrays)");
  if (py::len(arrays) != frame_ids.size() || frame_ids.empty()) {
    throw ArgumentError(where + ": numpy_datas has " + std::to_string(py::len(arrays)) + " packet(s) but packet_idxs " +
                        std::to_string(frame_ids.size()) + " (they must match and not be empty)");
  }
  if (width <= 0 || height <= 0) throw ArgumentError(where + ": width and height must be positive");
  GopRecord r;
  r.codec = codec;
  r.width = width;
  r.height = height;
  const int hi = *std::max_element(frame_ids.begin(), frame_ids.end());  // not empty: checked above
  const int64_t after = base + hi + 1;                                   // past every frame's timestamp
  bool trailing = false;                                                 // a frame other than the key has been seen
  int lo = hi;
  std::set<int> seen;
  for (size_t k = 0; k < frame_ids.size(); ++k) {
    const int id = frame_ids[k];
    if (id < -1 || (id >= 0 && !seen.insert(id).second)) {
      throw ArgumentError(where + ": packet_idxs holds " + std::to_string(id) + " twice or is negative");
    }
    ByteView view(arrays[k], where + ": packet " + std::to_string(k));
    BundlePacket p;
    p.data.assign(view.data(), view.data() + view.size());
    p.frame_id = id;
    p.pts = id >= 0 ? id + base : (trailing ? after : 0) + static_cast<int64_t>(k);
    if (id >= 0 && k > 0) trailing = true;
    p.dts = static_cast<int64_t>(k);
    p.key = k == 0;
    if (id >= 0) lo = std::min(lo, id);
    r.packets.push_back(std::move(p));
  }
  if (hi < 0) throw ArgumentError(where + ": packet_idxs names no frame");
  r.first_frame_id = lo;
  r.frame_count = hi - lo + 1;
  return r;
}

py::list packet_list_rgb(PyGopDecoder& self, const py::object& datas_arg, const py::object& packet_idxs_arg,
                         const py::object& widths_arg, const py::object& heights_arg, const py::object& ids_arg,
                         const py::object& as_bgr) {
  const py::sequence datas = sequence(datas_arg, "numpy_datas", "a list (one per entry) of lists of packets");
  const std::vector<std::vector<int>> packet_idxs =
      int_lists(packet_idxs_arg, "packet_idxs", -1, std::numeric_limits<int32_t>::max(), " (-1: reference only)");
  const std::vector<int> widths = int_list(widths_arg, "widths", 1, 1 << 15);
  const std::vector<int> heights = int_list(heights_arg, "heights", 1, 1 << 15);
  const std::vector<int> ids = frame_ids(ids_arg);
  const bool bgr = flag(as_bgr, "as_bgr");
  const size_t n = ids.size();
  if (py::len(datas) != n || packet_idxs.size() != n || widths.size() != n || heights.size() != n) {
    throw ArgumentError("numpy_datas, packet_idxs, widths, heights and frame_ids must have one item per entry");
  }
  if (self.packet_list_codecs.size() != n) {
    throw MediaError("DecodeFromPacketListInitialize was called for " + std::to_string(self.packet_list_codecs.size()) +
                     " entries, this call has " + std::to_string(n) + " (call it first with one codec id per entry)");
  }
  int64_t base = 0;  // more than any entry's packet count (record_from_packets)
  for (const auto& list : packet_idxs) base = std::max<int64_t>(base, static_cast<int64_t>(list.size()));
  std::vector<GopRecord> records;
  for (size_t i = 0; i < n; ++i) {
    records.push_back(
        record_from_packets(self.packet_list_codecs[i], datas[i], packet_idxs[i], widths[i], heights[i], i, base));
  }
  py::list labels;
  for (size_t i = 0; i < n; ++i) labels.append("packet list " + std::to_string(i));
  return decode_records<std::vector<RgbImage>>(self, std::move(records), labels, ids, &bgr, base);
}

}  // namespace

void bind_bundle_methods(py::class_<PyGopDecoder>& cls) {
  using Infos = std::vector<StreamInfo>;
  cls.def("GetGOP", &get_gop, py::arg("filepaths"), py::arg("frame_ids"), py::arg("fastStreamInfos") = Infos{},
          "The GOP holding each entry's frame, as one bundle: (bundle, first_frame_ids, gop_lens)")
      .def("GetGOPList", &get_gop_list, py::arg("filepaths"), py::arg("frame_ids"),
           py::arg("fastStreamInfos") = Infos{}, "One (bundle, [first_frame_id], [gop_len]) tuple per entry")
      .def(
          "DecodeFromGOP",
          [](PyGopDecoder& self, const py::handle& data, const py::object& paths, const py::object& ids) {
            return decode_records<std::vector<VideoFrame>>(self, parse(ByteView(data, "numpy_data"), "numpy_data"),
                                                           paths, frame_ids(ids), nullptr);
          },
          py::arg("numpy_data"), py::arg("filepaths"), py::arg("frame_ids"),
          "Decode entry i's frame from record i of the bundle, to YUV")
      .def(
          "DecodeFromGOPRGB",
          [](PyGopDecoder& self, const py::handle& data, const py::object& paths, const py::object& ids,
             const py::object& as_bgr) {
            const bool bgr = flag(as_bgr, "as_bgr");
            return decode_records<std::vector<RgbImage>>(self, parse(ByteView(data, "numpy_data"), "numpy_data"), paths,
                                                         frame_ids(ids), &bgr);
          },
          py::arg("numpy_data"), py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Decode entry i's frame from record i of the bundle, to RGB/BGR")
      .def(
          "DecodeFromGOPListRGB",
          [](PyGopDecoder& self, const py::object& datas, const py::object& paths, const py::object& ids,
             const py::object& as_bgr) {
            const bool bgr = flag(as_bgr, "as_bgr");
            return decode_records<std::vector<RgbImage>>(self, parse_all(datas), paths, frame_ids(ids), &bgr);
          },
          py::arg("numpy_datas"), py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Decode entry i's frame from record i of the bundles' records taken in order, to RGB/BGR")
      .def(
          "_DecodeBundleFilesRGB",
          [](PyGopDecoder& self, const py::object& files, const py::object& paths, const py::object& ids,
             const py::object& as_bgr) {
            const bool bgr = flag(as_bgr, "as_bgr");
            return decode_records<std::vector<RgbImage>>(self, records_of_files(files), paths, frame_ids(ids), &bgr);
          },
          py::arg("bundle_files"), py::arg("filepaths"), py::arg("frame_ids"), py::arg("as_bgr") = false,
          "Internal (GopStore): decode entry i's frame from the records of bundle file i, to RGB/BGR")
      .def(
          "_DecodeBundleFiles",
          [](PyGopDecoder& self, const py::object& files, const py::object& paths, const py::object& ids) {
            return decode_records<std::vector<VideoFrame>>(self, records_of_files(files), paths, frame_ids(ids),
                                                           nullptr);
          },
          py::arg("bundle_files"), py::arg("filepaths"), py::arg("frame_ids"),
          "Internal (GopStore): decode entry i's frame from the records of bundle file i, to YUV")
      .def(
          "LoadGops",
          [](PyGopDecoder&, const py::object& files) {
            std::vector<Bytes> loaded = load_files(files);
            std::vector<std::pair<const uint8_t*, size_t>> parts;
            for (const Bytes& b : loaded) parts.emplace_back(b.data(), b.size());
            Bytes merged;
            {
              py::gil_scoped_release release;
              merged = merge_bundles(parts);
            }
            return to_numpy(std::move(merged));
          },
          py::arg("file_paths"), "Read bundle files into one bundle (their records in order)");
  auto load_list = [](PyGopDecoder&, const py::object& files) {
    py::list out;
    for (Bytes& b : load_files(files)) out.append(to_numpy(std::move(b)));
    return out;
  };
  cls.def("LoadGopsToList", load_list, py::arg("file_paths"), "Read bundle files, one array per file")
      .def("LoadGopList", load_list, py::arg("file_paths"), "Same as LoadGopsToList")
      .def(
          "MergePacketDataToOne", [](PyGopDecoder&, const py::object& arrays) { return merge_arrays(arrays); },
          py::arg("packet_data_arrays"), "One bundle holding the records of every bundle, in order")
      .def(
          "ParseSerializedPacketBundle", [](PyGopDecoder&, const py::handle& data) { return parse_serialized(data); },
          py::arg("numpy_data"),
          "(color_ranges, codec_ids, widths, heights, frame_sizes, gop_lens, first_frame_ids, packet payloads, "
          "payload sizes, packet sizes, frame ids per packet), one item per record")
      .def("DecodeFromPacketListInitialize", &packet_list_initialize, py::arg("codec_ids"),
           "Set the codec (cudaVideoCodec number) of each entry of DecodeFromPacketListRGB")
      .def("DecodeFromPacketListRGB", &packet_list_rgb, py::arg("numpy_datas"), py::arg("packet_idxs"),
           py::arg("widths"), py::arg("heights"), py::arg("frame_ids"), py::arg("as_bgr") = false,
           "Decode entry i's frame from its packets (decode order; packet_idxs: the frame each presents)");
}

void bind_bundle_functions(py::module_& m) {
  m.def("GetBundleInfo", &bundle_info, py::arg("numpy_data"),
        "One dict per record of a bundle: source, video_stream (K as in 0:v:K; -1 unknown), codec, codec_id, "
        "width, height, bit_depth, chroma_format, first_frame_id, gop_len, packets, payload_bytes");
  m.def(
      "SavePacketsToFile",
      [](const py::handle& data, const py::object& path) {
        const std::string dst = one_path(path, "dst_filepath");
        ByteView view(data, "numpy_data");
        py::gil_scoped_release release;
        parse_bundle(view.data(), view.size(), "numpy_data");  // never write what cannot be read back
        write_file_atomically(dst, view.data(), view.size());
      },
      py::arg("numpy_data"), py::arg("dst_filepath"),
      "Write a bundle to a file atomically (parent folders created; never half-written)");
}

}  // namespace odvd::python
