// The extension module on_demand_video_decoder._odvd and the one place where C++
// exceptions become Python exceptions:
//   ArgumentError -> ValueError, MediaError -> RuntimeError,
//   NotImplementedError -> NotImplementedError, internal errors -> RuntimeError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <iomanip>
#include <locale>
#include <sstream>
#include <string>

#include "ffmpeg/codec_ids.hpp"
#include "odvd/codecs.hpp"
#include "odvd/diagnostics.hpp"
#include "odvd/error.hpp"

#ifdef ODVD_WITH_BENCH
#include "bindings.hpp"
#endif

namespace odvd::python {
namespace py = pybind11;
void bind_frames(py::module_& m);
void bind_decoders(py::module_& m);
void bind_tensors(py::module_& m);
}  // namespace odvd::python

PYBIND11_MODULE(_odvd, m) {
  namespace py = pybind11;
  m.doc() = "on_demand_video_decoder native core";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const odvd::ArgumentError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const odvd::MediaError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const odvd::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    }
  });
  odvd::python::bind_frames(m);
  odvd::python::bind_tensors(m);
  odvd::python::bind_decoders(m);
#ifdef ODVD_WITH_BENCH
  odvd::bench::bind(m);  // source builds only (bench/native)
#endif
  m.def(
      "build_info",
      [] {
        const odvd::BuildInfo b = odvd::build_info();
        pybind11::dict d;
        d["ffmpeg_version"] = b.ffmpeg_version;
        d["ffmpeg_configuration"] = b.ffmpeg_configuration;
        d["ffmpeg_license"] = b.ffmpeg_license;
        d["libavcodec"] = b.libavcodec;
        d["libavformat"] = b.libavformat;
        d["libavutil"] = b.libavutil;
        d["nvdec"] = b.nvdec;
        d["cpu_features"] = b.cpu_features;
        return d;
      },
      "What this build is: the FFmpeg it decodes with (version, configuration, licence, library versions), "
      "whether it has the NVDEC back end, and the vector units the CPU colour converter uses here");
  m.def("cuda_driver_version", &odvd::cuda_driver_version,
        "The CUDA version the installed NVIDIA driver supports (12080 = 12.8), 0 without one");
  m.def(
      "describe_gpus",
      [] {
        std::vector<odvd::GpuReport> reports;
        {
          pybind11::gil_scoped_release release;
          reports = odvd::describe_gpus();
        }
        pybind11::list out;
        for (const odvd::GpuReport& r : reports) {
          pybind11::dict d;
          d["ordinal"] = r.ordinal;
          d["name"] = r.name;
          d["error"] = r.error;
          pybind11::list caps;
          for (const odvd::NvdecCaps& c : r.nvdec) {
            pybind11::dict e;
            e["codec"] = odvd::codec_name(c.codec);
            e["chroma_format"] = c.chroma_format == 1 ? "4:2:0" : c.chroma_format == 2 ? "4:2:2" : "4:4:4";
            e["bit_depth"] = c.bit_depth;
            e["supported"] = c.supported;
            e["used"] = c.used;
            e["min_size"] = pybind11::make_tuple(c.min_width, c.min_height);
            e["max_size"] = pybind11::make_tuple(c.max_width, c.max_height);
            caps.append(e);
          }
          d["nvdec"] = caps;
          out.append(d);
        }
        return out;
      },
      "Each CUDA device with NVDEC's capabilities per codec, chroma format and bit depth (retains the "
      "device's primary context); [] without a GPU");
  m.def(
      "codec_table",
      [] {
        pybind11::list out;
        for (const odvd::CodecEntry& e : odvd::kCodecTable) {
          pybind11::dict d;
          d["codec"] = static_cast<int>(e.codec);
          d["name"] = e.name;
          d["display"] = e.display;
          d["av_codec_id"] = odvd::av_codec_id_of(e.codec);  // of the FFmpeg this build uses
          d["nvdec"] = e.nvdec;
          out.append(d);
        }
        return out;
      },
      "The codecs the library names: codec (cudaVideoCodec number, as in GOP bundles), name, display "
      "name, av_codec_id (the AVCodecID of the FFmpeg this build uses: it differs between FFmpeg versions) and "
      "nvdec (whether the NVDEC back end takes it)");
  // Note [iostreams in the module]: std::ostringstream once crashed inside this module on
  // the GPU machine, in libstdc++'s locale code (the library's messages avoid iostreams
  // since). This formats through iostreams and the global and classic locales, so the
  // tests (test_diagnostics.py) run it in every way the module is used: at import, on
  // many threads at once, after torch, in a forked child, in the GPU build.
  m.def("_iostream_selftest", [](int i, double d, const std::string& s) {
    std::ostringstream out;
    out << i << ' ' << d << ' ' << s;
    std::ostringstream classic;
    classic.imbue(std::locale::classic());
    classic << std::fixed << std::setprecision(2) << d;
    return out.str() + ' ' + classic.str() + ' ' + std::locale().name();
  });
#ifdef ODVD_VERSION
  m.attr("__version__") = ODVD_VERSION;
#endif
}
