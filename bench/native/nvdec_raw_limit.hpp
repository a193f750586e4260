// The raw NVDEC limit: pictures per second that NVDEC decodes when the host does nothing
// but parse and submit (issue #6, "the limit").
//
// Note [The raw limit]
//   measure_decode_throughput() runs this library's own back end with output switched
//   off, so it still pays per-picture work that a limit should not: decode-status polls
//   before a surface is reused, damage bookkeeping, a context push per packet. This path
//   is the bare minimum a cuvid application does: cuvid parsers and NVDEC sessions whose
//   decode callback submits the picture (cuvidDecodePicture) and whose display callback
//   does nothing, so no picture is ever mapped or copied. Each session sends
//   its file's packets (held in memory) over and over, a new parser per pass and the
//   session kept; with `per_gop`, every GOP is a pass of its own (a new parser, the GOP,
//   end of stream), the shape of random access's work. With `in_flight` > 0 a session
//   waits (polling the decode status; nothing mapped) for the picture it submitted
//   `in_flight` pictures earlier before it goes on, as a decoder whose output is used
//   must; 0 never waits. Each thread drives `sessions_per_thread` sessions, a packet to
//   each in turn. On an H100 this path decodes as fast as our back end (so our
//   per-picture work costs nothing measurable). Sessions that never wait do not fill the
//   engines: 7 kept NVML decoder utilisation at ~70%, and more sessions, on more threads
//   or interleaved, lost throughput (28: about half), while random access on 24 sessions
//   that mostly wait reached 95%, and 12 sample readers 99% (bench/RESULTS.md §11.3,
//   §12). So benchmarks take the best rate seen, this (waiting or not) or a workload's
//   (bench/suite.py). The pictures
//   counted are those submitted before the deadline; at most a few per session may
//   still be decoding when the clock stops, noise against the thousands counted.
//
// Thread-safety: a free function; call from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "cuda/cuda_driver.hpp"
#include "nvdec/nvdec_decoder.hpp"
#include "odvd/packet.hpp"

namespace odvd::cuda {

// One file's stream: what NVDEC decodes it with, and its Annex-B packets in decode order
// (each one whole picture; parameter sets in band or in `prefix`, sent before each pass).
struct RawStream {
  NvdecKey key;
  std::vector<uint8_t> prefix;
  std::vector<EncodedPacket> packets;
};

struct RawLimit {
  int64_t pictures = 0;  // submitted in the timed window
  double seconds = 0.0;
};

// Runs `threads` threads of `sessions_per_thread` sessions each for about `seconds`,
// session i decoding streams[i % size] as above, each with at most `in_flight` pictures
// not waited for (0: no limit). Throws MediaError on any driver error (naming the call).
RawLimit measure_raw_nvdec(const DeviceContext& device, const std::vector<RawStream>& streams, int threads,
                           int sessions_per_thread, double seconds, bool per_gop, int in_flight);

}  // namespace odvd::cuda
