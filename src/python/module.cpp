// The extension module on_demand_video_decoder._odvd and the one place where C++
// exceptions become Python exceptions:
//   ArgumentError -> ValueError, MediaError -> RuntimeError,
//   NotImplementedError -> NotImplementedError, internal errors -> RuntimeError.
#include <pybind11/pybind11.h>

#include "odvd/error.hpp"

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
#ifdef ODVD_VERSION
  m.attr("__version__") = ODVD_VERSION;
#endif
}
