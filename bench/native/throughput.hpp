// The decoder's own limit: how many pictures per second a back end decodes when nothing
// else happens — every packet of the files sent, no picture mapped, copied or converted
// (issue #6, "the limit"). Benchmarks report their workloads as a fraction of it.
//
// Thread-safety: a free function; call from any thread.
#pragma once

#include <string>
#include <vector>

namespace odvd {

struct ThroughputResult {
  int streams = 0;       // decoder sessions run in parallel
  int64_t pictures = 0;  // pictures decoded (packets sent) in the timed window
  double seconds = 0.0;  // the timed window
  double pictures_per_s = 0.0;
};

// Runs `streams` sessions in parallel (session s decodes paths[s % paths.size()], its
// packets read into memory before timing starts), each sending its whole file as one
// stream, over and over, for about `seconds`. `device`: -1 = CPU back end, else the CUDA
// device. Throws MediaError for unreadable files or devices.
ThroughputResult measure_decode_throughput(const std::vector<std::string>& paths, int device, int streams,
                                           double seconds);

// The same files on bare cuvid (Note [The raw limit], nvdec/nvdec_raw_limit.hpp): `streams`
// threads, each a parser and an NVDEC session that only submits pictures. NVDEC only
// (`device` >= 0); ArgumentError otherwise or in a build without NVDEC. `per_gop`: each
// GOP decoded as a stream of its own, as random access decodes; `streams` threads drive
// `sessions_per_thread` sessions each (ThroughputResult::streams counts sessions); each
// session waits for its pictures `in_flight` behind (0: never).
ThroughputResult measure_raw_decode_throughput(const std::vector<std::string>& paths, int device, int streams,
                                               double seconds, bool per_gop, int sessions_per_thread,
                                               int in_flight = 0);

}  // namespace odvd
