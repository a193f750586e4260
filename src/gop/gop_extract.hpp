// GopExtractor: turns GOPs of a video file into self-contained GopRecords (the
// demux half of "demux here, decode elsewhere"; see gop_bundle.hpp).
//
// A record holds exactly the packets a decode of *every* frame of the GOP needs
// (FrameIndex::packets_to_decode), so decoding any subset from the record is the same
// work the file path would do. Demux only: never touches a decoder or CUDA.
//
// Thread-safety: none; one thread at a time.
#pragma once

#include <memory>

#include "gop/gop_bundle.hpp"
#include "gop/gop_reader.hpp"

namespace odvd {

class GopExtractor {
 public:
  explicit GopExtractor(std::shared_ptr<const VideoIndex> index) : index_(index), reader_(std::move(index)) {}

  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }

  // The record of GOP `gop` (0 <= gop < gop_count). Throws MediaError naming the file
  // when its packets cannot be read.
  GopRecord extract(int gop);

 private:
  std::shared_ptr<const VideoIndex> index_;
  GopReader reader_;
};

}  // namespace odvd
