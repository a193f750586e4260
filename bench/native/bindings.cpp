#include "bindings.hpp"

#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "throughput.hpp"

namespace py = pybind11;

namespace odvd::bench {

void bind(py::module_& m) {
  m.def(
      "_decode_throughput",
      [](const std::vector<std::string>& files, int gpu, int streams, double seconds, bool raw, bool per_gop,
         int sessions_per_thread, int in_flight) {
        ThroughputResult r;
        {
          py::gil_scoped_release release;
          r = raw ? measure_raw_decode_throughput(files, gpu, streams, seconds, per_gop, sessions_per_thread, in_flight)
                  : measure_decode_throughput(files, gpu, streams, seconds);
        }
        py::dict d;
        d["streams"] = r.streams;
        d["pictures"] = r.pictures;
        d["seconds"] = r.seconds;
        d["pictures_per_s"] = r.pictures_per_s;
        return d;
      },
      py::arg("filepaths"), py::arg("iGpu"), py::arg("streams"), py::arg("seconds") = 3.0, py::arg("raw") = false,
      py::arg("per_gop") = false, py::arg("sessions_per_thread") = 1, py::arg("in_flight") = 0,
      "The decoder's limit: pictures/s with `streams` sessions decoding every packet, nothing output; "
      "raw=True: bare cuvid, NVDEC only; per_gop=True: each GOP a stream of its own; raw threads (`streams`) drive "
      "sessions_per_thread sessions each, waiting for each picture in_flight behind (0: never) "
      "(benchmarks; in source builds only)");
}

}  // namespace odvd::bench
