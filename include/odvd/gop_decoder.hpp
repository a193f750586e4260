// GopDecoder: random access to any frames of any files (the engine behind Python's
// PyNvGopDecoder).
//
// A call names entries (path, frame id). The decoder plans the call (planner.hpp),
// decodes each needed GOP once, files in parallel on a thread pool, and returns one
// frame per entry in input order. Every returned frame owns its memory: entries that
// name the same frame get equal but distinct buffers.
//
// Per-file state (open demuxer and decoder) stays warm between calls for up to
// `max_files` files, least recently used dropped first. File indexes live in a
// process-wide cache (see video_index.hpp).
//
// Errors: ArgumentError for the caller's mistakes (raised before any decoding),
// MediaError for files that cannot be read or decoded. After an error the object
// stays usable.
//
// Thread-safety: calls may come from any thread; up to `parallel_calls` of them decode
// at once, others wait (Note [Parallel calls]); objects may be destroyed on any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "odvd/content_digest.hpp"
#include "odvd/damage_policy.hpp"
#include "odvd/device.hpp"
#include "odvd/frame.hpp"
#include "odvd/process_local.hpp"
#include "odvd/tensor.hpp"
#include "odvd/types.hpp"

namespace odvd {

struct GopRecord;  // gop/gop_bundle.hpp

struct GopDecoderOptions {
  // Most entries one call may carry, and the most sessions one call uses and each session
  // set keeps warm (within session_cache_mib). Must be >= 1.
  int max_files = 1;
  // -1 selects the CPU back end (libavcodec); >= 0 the CUDA device whose NVDEC decodes.
  int device = -1;
  // Do not report files that do not signal their colour range (limited range is assumed).
  bool suppress_no_color_range_warning = false;
  // Threads decoding files and converting colour; 0 = one per hardware thread.
  int worker_threads = 0;
  // libavcodec threads per file; 0 = hardware threads / min(max_files, workers), >= 1.
  int decoder_threads = 0;
  // Calls that may decode at the same time (from different threads), each on its own
  // warm sessions (Note [Parallel calls]); >= 1. More calls wait.
  int parallel_calls = 1;
  // Decode sessions stay warm between calls (open file, configured decoder, an open GOP
  // to continue) while their estimated decoder memory (warm_session_bytes: 16 frames of
  // the stream) stays within this many MiB in all, split evenly among the parallel_calls
  // session sets; the least recently used go first. A call decodes all its files
  // whatever the budget (a session out of budget is dropped after its call), so this
  // bounds what is kept, not what a call uses (up to maxfiles sessions at once). The most
  // recently used session of each set stays warm even over the budget (0: only that one). Without it, a data loader
  // reading random clips of many recordings kept maxfiles * parallel_calls sessions (~26 MB each for 1600x900 HEVC on
  // the CPU).
  int session_cache_mib = kDefaultSessionCacheMib;
  static constexpr int kDefaultSessionCacheMib = 2048;
  // What a call does with entries that cannot be decoded (Note [Damage policy]).
  OnError on_error = OnError::kRaise;
  // Which video stream of each file: -1 the one av_find_best_stream picks (the default),
  // K >= 0 the K-th video stream (ffmpeg's 0:v:K). A file without it fails its entries.
  int video_stream = -1;
  // Content digests of the files (odvd/content_digest.hpp): when set, every file is checked
  // against its recorded digest the first time it is opened (and after it changes), and a
  // file without one or with another fails its entries. Null: no check (the default).
  ContentDigests content_digests;
  // On a GPU: what happens to streams NVDEC cannot decode (odvd/device.hpp). Ignored on the CPU.
  Fallback fallback = Fallback::kCpu;

  // Throws ArgumentError describing the first invalid field.
  void validate() const;
};

class GopDecoder {
 public:
  explicit GopDecoder(const GopDecoderOptions& options);
  ~GopDecoder();
  GopDecoder(const GopDecoder&) = delete;
  GopDecoder& operator=(const GopDecoder&) = delete;

  const GopDecoderOptions& options() const;

  // Decoded YUV (NV12 / P016 / YUV444 layouts), one per entry.
  std::vector<VideoFrame> decode(const std::vector<std::string>& paths, const std::vector<int>& frame_ids);

  // Packed 8-bit RGB (or BGR), one per entry.
  std::vector<RgbImage> decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& frame_ids, bool bgr);

  // A training batch (odvd/tensor.hpp, Note [Tensor values]): entry i's frame in slot i
  // of `out`, or of a new batch in the decoder's device memory when `out` has no buffer;
  // returns the batch. `stream` (a CUstream, GPU decoders only) orders the writes on it
  // instead of completing them before the call returns. ArgumentError (before any
  // decoding) for a bad option or an `out` that does not fit the call.
  TensorTarget decode_tensor(const std::vector<std::string>& paths, const std::vector<int>& frame_ids,
                             const TensorOptions& options, TensorTarget out, void* stream);

  // GOP records (gop/gop_bundle.hpp): the demux half of the work, and the decode half.
  //
  // get_gops: for each entry, the record of the GOP holding frame_ids[i] of paths[i], in
  // entry order. Demux only: never initialises CUDA, so it runs in data-loader workers.
  std::vector<GopRecord> get_gops(const std::vector<std::string>& paths, const std::vector<int>& frame_ids);
  // decode_records: entry i decodes frame_ids[i] from records[i] (the file is never
  // opened; labels[i] names the entry in messages); entries with equal records and labels
  // decode their GOP once (Note [Shared records] in decode/record_decode.hpp). ArgumentError
  // when the counts differ or an id is not a frame of its record's GOP.
  std::vector<VideoFrame> decode_records(std::vector<GopRecord> records, const std::vector<std::string>& labels,
                                         const std::vector<int>& frame_ids);
  std::vector<RgbImage> decode_records_rgb(std::vector<GopRecord> records, const std::vector<std::string>& labels,
                                           const std::vector<int>& frame_ids, bool bgr);
  TensorTarget decode_records_tensor(std::vector<GopRecord> records, const std::vector<std::string>& labels,
                                     const std::vector<int>& frame_ids, const TensorOptions& options, TensorTarget out,
                                     void* stream);

  // Packets from another demuxer (the reference API's DecodeFromPacketList*):
  // set_packet_list_codecs() says each entry's codec (ArgumentError for a number that is
  // no codec), and decode_packet_lists_rgb() decodes entry i's frame_ids[i] from its packets
  // (decode order, the first a key; packet k presents frame packet_frame_ids[i][k], -1 for
  // reference-only) of a width[i] x height[i] stream. MediaError when the entry count is not
  // the one set.
  void set_packet_list_codecs(const std::vector<int>& codec_ids);
  std::vector<RgbImage> decode_packet_lists_rgb(std::vector<std::vector<std::vector<uint8_t>>> packets,
                                                const std::vector<std::vector<int>>& packet_frame_ids,
                                                const std::vector<int>& widths, const std::vector<int>& heights,
                                                const std::vector<int>& frame_ids, bool bgr);

  // Entries the damage policy covers (Note [Damage policy]): under kRaise a MediaError names
  // every failed entry; under kSkip / kNearest, an entry without a frame comes back as a
  // frame (image) without a buffer. last_report(): one record per failed or substituted
  // entry of the last decoding call (any thread's); empty after a clean call.
  std::vector<EntryReport> last_report() const;

  // Work done since construction: packets sent to decoders, GOP decodes started at a
  // key, and calls served by continuing an open GOP (Note [Continuing a GOP]).
  struct Stats {
    int64_t packets_sent = 0;
    int64_t gop_starts = 0;
    int64_t continuations = 0;
    int64_t device_live_bytes = 0;     // device memory frames hold now (pool, GPU only)
    int64_t device_cached_bytes = 0;   // device memory the pool keeps for reuse
    int64_t warm_sessions = 0;         // decode sessions kept warm now (all session sets)
    int64_t warm_session_bytes = 0;    // their charge against session_cache_mib
    int64_t record_decoders_made = 0;  // decoders made for calls from records (none idle to reuse)
    int64_t nvdec_sessions_made = 0;   // NVDEC decoder sessions created (Note [Sessions between streams])
  };
  Stats stats() const;

  // Warnings produced by the last call (e.g. unsignalled colour range), then cleared.
  std::vector<std::string> take_warnings();

  // Drops every warm decoder session. Safe at any time.
  void release_decoder();
  // Frees pooled device memory no frame references (nothing to do on the CPU back end).
  void release_device_memory();

 private:
  struct Impl;
  // Threads, open files and decoder sessions: remade in a forked child (Note [Fork]).
  // Mutable: the const accessors may be the first call in a child.
  mutable ProcessLocal<Impl> impl_;
  // Plain values, kept outside impl_: a forked child keeps them.
  mutable Mutex packet_lists_mutex_;
  std::vector<Codec> packet_list_codecs_ ODVD_GUARDED_BY(packet_lists_mutex_);
};

// Number of CUDA devices NVDEC can use; 0 without a driver or in a build without CUDA.
// Never throws.
int cuda_device_count();

// Makes work queued on CUDA stream `waiter` from now on wait for the work queued on
// `producer` so far (streams of device `ordinal`, CUstreams as void*; 1 is the legacy
// default stream). For batches written with stream= and read on another. MediaError on a
// driver error, or in a build without CUDA.
void order_cuda_streams(int ordinal, void* waiter, void* producer);

// The id of the process in which this library created a CUDA context, 0 if it never
// did (a forked child sees its parent's id unless it made one itself). Never throws.
int64_t cuda_context_creator_pid();

// Stream description of a file, from the (cached) index scan.
StreamInfo probe_stream(const std::string& path, int video_stream = -1);

// Every video stream of a file, in order (the K-th is video_stream=K).
std::vector<StreamInfo> video_streams_of(const std::string& path);

// What the index scan learned about a file (for tools and diagnostics).
struct VideoSummary {
  StreamInfo stream;
  std::string container;        // FFmpeg demuxer name
  int frame_count = 0;          // frames as defined in SPEC §1
  int64_t declared_frames = 0;  // what the container claims (0 when it does not say)
  int packet_count = 0;
  std::vector<int> gop_first_frame_ids;
  std::vector<int> gop_lengths;
  std::vector<int64_t> frame_pts;  // presentation timestamp of each frame (stream time base)
};

VideoSummary describe_video(const std::string& path, int video_stream = -1);

}  // namespace odvd
