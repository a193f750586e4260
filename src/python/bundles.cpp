// PyNvGopDecoder's GOP bundle methods and the bundle module functions (SPEC §2, §4).
// Translation only: byte buffers in and out as numpy uint8 arrays, GIL release; the
// format lives in gop/gop_bundle.hpp, decoding in odvd::GopDecoder.
#include <pybind11/numpy.h>

#include <algorithm>
#include <limits>

#include "gop/bundle_files.hpp"
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

// Records of every bundle in `arrays`, concatenated in order, verified (checksums
// included) without the GIL.
std::vector<GopRecord> parse_all(const py::object& arrays_arg) {
  const py::sequence arrays = sequence(arrays_arg, "numpy_datas", "a list of GOP bundles (numpy uint8 arrays)");
  std::vector<std::string> names;
  std::vector<ByteView> views;
  for (size_t i = 0; i < py::len(arrays); ++i) {
    names.push_back("GOP bundle " + std::to_string(i));
    views.emplace_back(arrays[i], names.back());
  }
  std::vector<std::pair<const uint8_t*, size_t>> bundles;
  for (const ByteView& v : views) bundles.emplace_back(v.data(), v.size());
  py::gil_scoped_release release;
  return parse_bundles(bundles, names);
}

template <typename Frames>
py::list decode_records(PyGopDecoder& self, std::vector<GopRecord> records, const py::object& paths,
                        const std::vector<int>& ids, const bool* bgr) {
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
  return frames_to_list(std::move(frames));
}

py::object decode_records_tensor(PyGopDecoder& self, std::vector<GopRecord> records, const py::object& paths,
                                 const std::vector<int>& ids, const BatchArgs& args) {
  std::vector<std::string> labels = path_list(paths, "filepaths");
  BatchRequest request = batch_request(args, {static_cast<int64_t>(ids.size())}, self.decoder().options().device);
  TensorTarget written;
  {
    py::gil_scoped_release release;
    written = self.decoder().decode_records_tensor(std::move(records), labels, ids, request.options, request.out.target,
                                                   request.stream);
  }
  self.emit_warnings();
  return batch_result(args, request, written);
}

// Reads bundle files; each is validated (and a legacy one converted to our format).
std::vector<Bytes> load_files(const py::object& file_paths) {
  const std::vector<std::string> files = path_list(file_paths, "file_paths");
  if (files.empty()) throw ArgumentError("file_paths is empty");
  py::gil_scoped_release release;
  return load_bundle_files(files);
}

// Records for entry i from the bundle file bundle_files[i] (records_of_bundle_files).
std::vector<GopRecord> records_of_files(const py::object& bundle_files_arg) {
  const std::vector<std::string> entries = path_list(bundle_files_arg, "bundle_files");
  py::gil_scoped_release release;
  return records_of_bundle_files(entries);
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
  self.decoder().set_packet_list_codecs(int_list(codec_ids_arg, "codec_ids", -1, 1000, " (cudaVideoCodec numbers)"));
  return 0;
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
  std::vector<std::vector<std::vector<uint8_t>>> packets;
  for (size_t i = 0; i < py::len(datas); ++i) {
    const std::string where = "entry " + std::to_string(i);
    const py::sequence arrays =
        sequence(datas[i], "numpy_datas[" + std::to_string(i) + "]", "a list of packets (numpy uint8 arrays)");
    std::vector<std::vector<uint8_t>> entry;
    for (size_t k = 0; k < py::len(arrays); ++k) {
      const ByteView view(arrays[k], where + ": packet " + std::to_string(k));
      entry.emplace_back(view.data(), view.data() + view.size());
    }
    packets.push_back(std::move(entry));
  }
  std::vector<RgbImage> images;
  {
    py::gil_scoped_release release;
    images = self.decoder().decode_packet_lists_rgb(std::move(packets), packet_idxs, widths, heights, ids, bgr);
  }
  self.emit_warnings();
  return frames_to_list(std::move(images));
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
          "DecodeFromGOPToTensor",
          [](PyGopDecoder& self, const py::handle& data, const py::object& paths, const py::object& ids,
             ODVD_BATCH_PARAMS) {
            return decode_records_tensor(self, parse(ByteView(data, "bundle"), "bundle"), paths, frame_ids(ids),
                                         ODVD_BATCH_ARGS);
          },
          py::arg("bundle"), py::arg("filepaths"), py::arg("frame_ids"), ODVD_BATCH_KWARGS,
          batch_doc("Decode entry i's frame from record i of the GOP bundle into one batched tensor "
                    "(DecodeToTensor's, without opening the files).")
              .c_str())
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
