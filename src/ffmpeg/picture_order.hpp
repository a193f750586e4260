// PictureOrder: display order for H.264/HEVC elementary streams that carry no timestamps
// (raw Annex-B files: .h264, .264, .hevc, .h265, as camera rigs and NVIDIA's samples write
// them), from the picture order count (POC) in each picture's slice header.
//
// Note [Untimed streams]
//   FFmpeg's raw demuxers give such packets neither pts nor dts. Frame ids are display
//   order (SPEC §1; ffmpeg's framemd5 numbers decoded pictures the same way), so the scan
//   synthesises timestamps: FFmpeg's own H.264/HEVC parser computes each picture's POC
//   (AVCodecParserContext::output_picture_number); POC restarts at every IDR (HEVC: IDR or
//   BLA), so display order is (coded video sequence, POC), ties kept in decode order. A
//   packet's pts becomes its rank in that order and its dts its decode index; the time
//   base becomes one frame of the stream's frame rate (25 fps when unknown). Everything
//   downstream (frame index, GOPs, decoders, bundles) then works as for any file. Packets
//   are found again by byte position instead of timestamp (GopReader). Not handled: an
//   H.264 MMCO 5 (a POC reset without an IDR; rare outside broadcast).
//
// Thread-safety: none; one scan at a time.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ffmpeg/av_handles.hpp"
#include "ffmpeg/frame_index.hpp"
#include "odvd/types.hpp"

namespace odvd {

class PictureOrder {
 public:
  // Throws MediaError naming `path` for codecs other than H.264 and HEVC.
  PictureOrder(Codec codec, int av_codec_id, const std::string& path);

  // Records the next packet in decode order (an Annex-B access unit).
  void add(const AVPacket* pkt);
  // Gives every packet recorded (same order as `packets`) its pts and dts (see the Note).
  void assign(std::vector<ScannedPacket>& packets) const;

 private:
  Codec codec_;
  av::ParserContextPtr parser_;
  av::CodecContextPtr context_;
  std::vector<uint8_t> padded_;
  int64_t sequence_ = -1;
  std::vector<std::pair<int64_t, int64_t>> keys_;  // (coded video sequence, POC) per packet
};

}  // namespace odvd
