// GopReader: reads the packets a GOP decode needs from a video file, in decode order,
// as self-contained Annex-B (parameter sets in front of the first packet).
//
// Owns an open Demuxer positioned by the file's VideoIndex: packets are identified by
// their timestamps (by byte position in untimed streams: Note [Untimed streams]), and a
// read that continues where the last one ended does not seek.
//
// Thread-safety: none; one thread at a time.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "ffmpeg/annexb.hpp"
#include "ffmpeg/demuxer.hpp"
#include "ffmpeg/video_index.hpp"
#include "odvd/packet.hpp"

namespace odvd {

class GopReader {
 public:
  explicit GopReader(std::shared_ptr<const VideoIndex> index);

  const VideoIndex& index() const { return *index_; }

  // The stream's parameter sets in Annex-B form (decoder extradata for the packets read).
  const std::vector<uint8_t>& parameter_sets() const { return annexb_.parameter_sets(); }

  // Reads the packets with these decode indices (strictly ascending). The first packet
  // gets the stream's parameter sets in front unless it carries its own.
  std::vector<EncodedPacket> read(const std::vector<int>& decode_indices);

  // Makes the next read() seek to its first packet even where the demuxer is there
  // already: for a read from a GOP's key (Note [A GOP is read after a seek]).
  void seek_before_next_read() { next_index_ = -1; }

 private:
  // Leaves the demuxer so that its next packet is the one with decode index `target`.
  void position_at(int target);
  // Reads the next packet of the stream into pkt_ and returns its decode index.
  int read_next();
  int packet_read();

  std::shared_ptr<const VideoIndex> index_;
  Demuxer demuxer_;
  AnnexBConverter annexb_;
  av::PacketPtr pkt_;
  int next_index_ = 0;                       // decode index of the packet the demuxer returns next (-1: unknown)
  std::unordered_map<int64_t, int> by_pos_;  // untimed streams: byte position -> decode index
};

}  // namespace odvd
