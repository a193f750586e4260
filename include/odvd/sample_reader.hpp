// SampleReader: stream access — reading files forward, frame after frame (the engine
// behind Python's PyNvSampleReader).
//
// A reader has `num_of_file` slots; entry i of a call uses slot i. Each slot keeps up to
// `num_of_set` files open (demuxer, decoder, position), least recently used replaced.
// Asking a slot for a later frame of a file it holds continues decoding forward (Note
// [Continuing a GOP]); an earlier or equal frame restarts at its GOP. Slots decode in
// parallel.
//
// One asynchronous request may be in flight (decode_rgb_async); its result is claimed
// with async_result() and the same arguments. Every other call — a new request, a
// synchronous call, clear_all_readers(), release_*(), destruction — first waits for it.
//
// Errors: ArgumentError for the caller's mistakes (before any work), MediaError for files
// that cannot be read or decoded and for async misuse (no request pending, arguments that
// differ from the pending request's). After an error the reader stays usable.
//
// Thread-safety: calls are serialised internally; readers may be destroyed on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "odvd/content_digest.hpp"
#include "odvd/damage_policy.hpp"
#include "odvd/device.hpp"
#include "odvd/frame.hpp"
#include "odvd/process_local.hpp"
#include "odvd/tensor.hpp"

namespace odvd {

struct SampleReaderOptions {
  int num_of_set = 1;   // files each slot keeps open; >= 1
  int num_of_file = 1;  // slots, and the most entries one call may carry; >= 1
  // -1 selects the CPU back end (libavcodec); >= 0 the CUDA device whose NVDEC decodes.
  int device = -1;
  bool suppress_no_color_range_warning = false;
  int worker_threads = 0;   // 0 = one per hardware thread
  int decoder_threads = 0;  // libavcodec threads per file; 0 = split the machine
  // Decode-ahead (Note [Decode ahead], src/decode/forward_reader.cpp): a file read
  // forward gets its coming runs of GOPs decoded on sessions of their own in the
  // background, the frames decoded and not yet read held within this many MiB per open
  // file (plus one chunk, ForwardReader::kChunkFrames frames). 0 = off; -1 = the
  // default: kDefaultDecodeAheadMib on NVDEC, off on the CPU back end (whose cores the
  // streaming decode already uses).
  int decode_ahead_mib = -1;
  // What a call does with entries that cannot be decoded (Note [Damage policy]).
  OnError on_error = OnError::kRaise;
  // Which video stream of each file (GopDecoderOptions::video_stream).
  int video_stream = -1;
  // Content digests checked when a file is opened (GopDecoderOptions::content_digests).
  ContentDigests content_digests;
  // On a GPU: what happens to streams NVDEC cannot decode (GopDecoderOptions::fallback).
  Fallback fallback = Fallback::kCpu;
  static constexpr int kDefaultDecodeAheadMib = 256;
  static constexpr int kMaxDecodeAheadMib = 1 << 16;

  // Throws ArgumentError describing the first invalid field.
  void validate() const;
  // The budget in bytes that decode_ahead_mib resolves to.
  size_t ahead_bytes() const;
};

class SampleReader {
 public:
  explicit SampleReader(const SampleReaderOptions& options);
  ~SampleReader();  // waits for a pending asynchronous request
  SampleReader(const SampleReader&) = delete;
  SampleReader& operator=(const SampleReader&) = delete;

  std::vector<VideoFrame> decode(const std::vector<std::string>& paths, const std::vector<int>& frame_ids);
  std::vector<RgbImage> decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& frame_ids, bool bgr);

  // Several frames per file in one call: file v (slot v) gives frames frame_ids[v], in
  // that order; the same frames as one call per frame would give.
  std::vector<std::vector<VideoFrame>> decode_batch(const std::vector<std::string>& paths,
                                                    const std::vector<std::vector<int>>& frame_ids);
  std::vector<std::vector<RgbImage>> decode_batch_rgb(const std::vector<std::string>& paths,
                                                      const std::vector<std::vector<int>>& frame_ids, bool bgr);
  // The frames of decode_batch as one training batch (odvd/tensor.hpp): file v's k-th
  // frame in slot v * F + k, every list F long (ArgumentError otherwise); `out` and
  // `stream` as GopDecoder::decode_tensor.
  TensorTarget decode_batch_tensor(const std::vector<std::string>& paths, const std::vector<std::vector<int>>& lists,
                                   const TensorOptions& options, TensorTarget out, void* stream);

  // Starts decode_rgb in the background (arguments are checked first, synchronously).
  void decode_rgb_async(const std::vector<std::string>& paths, const std::vector<int>& frame_ids, bool bgr);
  // Waits for the pending request and returns its frames, or rethrows its error.
  std::vector<RgbImage> async_result(const std::vector<std::string>& paths, const std::vector<int>& frame_ids,
                                     bool bgr);

  // Closes every file of every slot.
  void clear_all_readers();
  void release_decoder();
  void release_device_memory();

  std::vector<std::string> take_warnings();

  // The options, with automatic thread counts resolved.
  const SampleReaderOptions& options() const;
  // The last call's damage report (Note [Damage policy]): one record per failed or
  // substituted frame (entry = the file's position in the call); empty after a clean
  // call. Under kSkip / kNearest a frame left without one comes back without a buffer.
  std::vector<EntryReport> last_report() const;
  struct Stats {
    int64_t packets_sent = 0;
    int64_t gop_starts = 0;
    int64_t continuations = 0;
    int64_t ahead_gops = 0;           // GOPs decoded ahead (in runs) that came back whole
    int64_t ahead_frames = 0;         // frames handed out from them
    int64_t ahead_failed = 0;         // GOPs in runs whose decode ahead failed
    int64_t ahead_peak_bytes = 0;     // the most bytes of frames one file held ahead at once
    int64_t device_live_bytes = 0;    // device memory frames hold now (pool, GPU only)
    int64_t device_cached_bytes = 0;  // device memory the pool keeps for reuse
  };
  Stats stats() const;

 private:
  struct Impl;
  // Threads, open files and decoder sessions: remade in a forked child (Note [Fork]).
  // Mutable: the const accessors may be the first call in a child.
  mutable ProcessLocal<Impl> impl_;
};

}  // namespace odvd
