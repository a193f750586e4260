#include "decode/forward_reader.hpp"

#include <exception>
#include <numeric>
#include <utility>
#include <vector>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "util/profile.hpp"

namespace odvd {

// Note [Decode ahead]
//   A stream's pictures depend on each other, so a session decodes one picture at a time
//   and reading N cameras forward keeps at most N sessions busy: 6 cameras on an H100's 7
//   NVDEC engines read at ~10.3k frames/s, while 12 independent streams reach ~12.5k at
//   99% NVML (bench/probe_streams.py, bench/RESULTS.md §12). GOPs are independent decode
//   units (the random-access path decodes any GOP from its key, bit-exactly), so a
//   camera can keep two sessions busy: while its streaming session decodes GOP g frame
//   by frame for the reader's calls, a second session decodes GOP g+1 whole, in the
//   background, into frames held here. The reader's calls for GOP g+1 then take those
//   frames without decoding; when it moves on to GOP g+2 the streaming session restarts
//   at that GOP's key, and GOP g+3 goes ahead.
//   * When: a read that moves forward (a later frame, in the same or the next GOP — the
//     sequential pattern of Note [Continuing a GOP]) starts the next GOP ahead, unless it
//     is already there. A reader that jumps about starts nothing, so random access costs
//     nothing extra.
//   * Memory: one GOP's decoded frames per open file (its frame count times a frame's
//     bytes, estimated from the stream's size, bit depth and chroma format) plus the
//     second session; a GOP larger than the budget (`ahead_bytes`, the reader's
//     decode_ahead_mib) is not decoded ahead and the file reads as before. Frames are
//     freed as they are handed out, and earlier ones with them (a forward reader will
//     not ask for them again; if it does, the streaming session decodes them).
//   * Errors: the background decode's error is never the reader's. A GOP whose decode
//     failed is dropped and the streaming session decodes the frame instead, giving
//     exactly the frames or the error a reader without decode-ahead gives (a damaged
//     packet late in the GOP does not fail a read of an earlier frame).
//   * Work counters: the background session's packets count when its task is joined.
ForwardReader::ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes)
    : engine_(engine), index_(std::move(index)), ahead_bytes_(ahead_bytes) {
  const StreamInfo& s = index_->stream;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(s.av_pixel_format));
  // Luma plus two chroma planes subsampled as the stream's format says (4:2:0 when unknown).
  const int sub = desc != nullptr ? desc->log2_chroma_w + desc->log2_chroma_h : 2;
  const double samples = static_cast<double>(s.width) * s.height * (1.0 + 2.0 / (1 << sub));
  frame_bytes_ = static_cast<size_t>(samples) * (s.bit_depth > 8 ? 2 : 1);
}

ForwardReader::~ForwardReader() {
  if (ahead_task_.valid()) ahead_task_.wait();  // the task uses ahead_; never outlive it
}

void ForwardReader::read(int id, FrameMap& out) {
  const FrameIndex& frames = index_->frames;
  const int gop = frames.gop_of_frame(id);
  const bool forward = last_id_ >= 0 && id > last_id_ && gop <= frames.gop_of_frame(last_id_) + 1;
  last_id_ = id;
  if (take_ahead(gop, id, out)) return;
  if (!main_) main_ = engine_.make_session(index_, /*always_stream=*/true);
  const SessionStats before = main_->stats();
  try {
    main_->decode_gop(gop, {id}, out);
  } catch (...) {
    engine_.add_stats(stats_between(before, main_->stats()));
    throw;
  }
  engine_.add_stats(stats_between(before, main_->stats()));
  if (forward) start_ahead(gop + 1);
}

bool ForwardReader::take_ahead(int gop, int id, FrameMap& out) {
  if (gop != ahead_gop_) return false;
  join_ahead();
  auto it = ahead_frames_.find(id);
  if (it == ahead_frames_.end()) return false;  // failed, or handed out already
  out[id] = std::move(it->second);
  ahead_frames_.erase(ahead_frames_.begin(), std::next(it));
  WorkStats work;
  work.ahead_frames = 1;
  engine_.add_stats(work);
  return true;
}

void ForwardReader::start_ahead(int gop) {
  const FrameIndex& frames = index_->frames;
  if (ahead_bytes_ == 0 || gop >= frames.gop_count() || gop == ahead_gop_) return;
  const GopInfo& info = frames.gop(gop);
  if (static_cast<double>(info.frame_count) * static_cast<double>(frame_bytes_) > static_cast<double>(ahead_bytes_)) {
    return;
  }
  drop_ahead();
  if (!ahead_) ahead_ = engine_.make_session(index_, /*always_stream=*/false);
  std::vector<int> ids(static_cast<size_t>(info.frame_count));
  std::iota(ids.begin(), ids.end(), info.first_frame_id);
  ahead_gop_ = gop;
  // The task owns what it uses: the session (shared) and the ids; `this` may be gone
  // only after the destructor has waited for it.
  ahead_task_ = std::async(std::launch::async, [session = ahead_, gop, ids = std::move(ids)] {
    ODVD_PROFILE_SCOPE("reader.decode_ahead");
    FrameMap decoded;
    session->decode_gop(gop, ids, decoded);
    return decoded;
  });
}

void ForwardReader::join_ahead() {
  if (!ahead_task_.valid()) return;
  bool whole = true;
  try {
    ahead_frames_ = ahead_task_.get();
  } catch (...) {
    ahead_frames_.clear();  // Note [Decode ahead]: the streaming session decodes instead
    whole = false;
  }
  // The task is over: its session's counters are stable now.
  WorkStats work = stats_between(ahead_counted_, ahead_->stats());
  (whole ? work.ahead_gops : work.ahead_failed) = 1;
  engine_.add_stats(work);
  ahead_counted_ = ahead_->stats();
}

void ForwardReader::drop_ahead() {
  join_ahead();
  ahead_frames_.clear();
  ahead_gop_ = -1;
}

}  // namespace odvd
