// The extension module on_demand_video_decoder._odvd and the one place where C++
// exceptions become Python exceptions:
//   ArgumentError -> ValueError, MediaError -> RuntimeError,
//   NotImplementedError -> NotImplementedError, internal errors -> RuntimeError.
#include <pybind11/pybind11.h>

#include <iomanip>
#include <locale>
#include <sstream>
#include <string>

#include "odvd/codecs.hpp"
#include "odvd/error.hpp"

#ifdef ODVD_WITH_BENCH
#include "bindings.hpp"
#endif

namespace odvd::python {
namespace py = pybind11;
void bind_frames(py::module_& m);
void bind_decoders(py::module_& m);
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
  odvd::python::bind_decoders(m);
#ifdef ODVD_WITH_BENCH
  odvd::bench::bind(m);  // source builds only (bench/native)
#endif
  m.def(
      "codec_table",
      [] {
        pybind11::list out;
        for (const odvd::CodecEntry& e : odvd::kCodecTable) {
          pybind11::dict d;
          d["codec"] = static_cast<int>(e.codec);
          d["name"] = e.name;
          d["display"] = e.display;
          d["av_codec_id"] = e.av_codec_id;
          d["nvdec"] = e.nvdec;
          out.append(d);
        }
        return out;
      },
      "The codecs the library names: codec (cudaVideoCodec number, as in GOP bundles), name, display "
      "name, av_codec_id (FFmpeg's AVCodecID) and nvdec (whether the NVDEC back end takes it)");
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
