// The benchmarks' helpers as functions of the extension module (source builds only:
// bench/native/CMakeLists.txt).
#pragma once

#include <pybind11/pybind11.h>

namespace odvd::bench {

void bind(pybind11::module_& m);

}  // namespace odvd::bench
