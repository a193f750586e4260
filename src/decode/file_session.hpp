// FileSession: the warm per-file state of a decoder — a GopReader on the open file and
// a decoder backend configured for its stream — and the decode of one GOP's worth of
// requested frames.
//
// Thread-safety: none; a session is used by one task at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

#include "gop/gop_reader.hpp"
#include "odvd/decoder_backend.hpp"

namespace odvd {

// Makes the decoder backend for a file: the CPU or the NVDEC one. `annexb_extradata`
// is non-empty when the container stores avcC/hvcC (packets then arrive as Annex-B).
using BackendFactory = std::function<std::unique_ptr<DecoderBackend>(const VideoIndex& index,
                                                                     const std::vector<uint8_t>& annexb_extradata)>;

class FileSession {
 public:
  FileSession(std::shared_ptr<const VideoIndex> index, const BackendFactory& make_backend);

  const VideoIndex& index() const { return reader_.index(); }
  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }

  // Decodes GOP `gop` far enough to produce every frame in `frame_ids` (all in that
  // GOP) and stores them in `out` by frame id. Throws MediaError naming the file and
  // frames on failure (the backend is reset, so the session stays usable).
  void decode_gop(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out);

 private:
  void run_backend(const std::vector<EncodedPacket>& packets, std::map<int, VideoFrame>& out);
  void reject_frames_after_damage(int gop, const std::vector<int>& decoded,
                                  const std::unordered_set<int64_t>& output_pts, const std::vector<int>& frame_ids,
                                  std::map<int, VideoFrame>& out);

  std::shared_ptr<const VideoIndex> index_;
  GopReader reader_;
  std::unique_ptr<DecoderBackend> backend_;
};

}  // namespace odvd
