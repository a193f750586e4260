// Demuxer: one open media file and its selected video stream.
//
// Owns the AVFormatContext. Other streams are set to AVDISCARD_ALL so the container
// layer skips their payloads. Errors (cannot open, no video stream, read failure) raise
// MediaError naming the file and FFmpeg's reason.
//
// Thread-safety: none; one thread at a time (libavformat's rule).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ffmpeg/av_handles.hpp"
#include "odvd/types.hpp"

namespace odvd {

class Demuxer {
 public:
  // Opens `path`. With probe_streams, runs avformat_find_stream_info (needed once per
  // file to learn pixel format and colour metadata) and picks the video stream: the
  // `video_stream`-th one (as ffmpeg's 0:v:K counts them), or with -1 the one
  // av_find_best_stream picks; otherwise uses `stream_index`, as recorded by an earlier
  // probing open.
  Demuxer(const std::string& path, bool probe_streams, int stream_index = -1, int video_stream = -1);

  const std::string& path() const { return path_; }
  AVFormatContext* context() const { return ctx_.get(); }
  AVStream* stream() const { return ctx_->streams[stream_index_]; }
  int stream_index() const { return stream_index_; }
  const char* format_name() const;

  // Reads the next packet of the selected stream into pkt (the caller unrefs it).
  // Returns false at end of file. A packet the container could only partly read is
  // returned with AV_PKT_FLAG_CORRUPT set.
  bool read(AVPacket* pkt);

  // Positions the demuxer at or before the packet with decode timestamp `dts`.
  void seek(int64_t dts);
  void seek_to_start();
  // Positions the demuxer at byte `pos` (a packet's start, as read before).
  void seek_to_byte(int64_t pos);

  // What the demuxer knows about the selected stream, or about stream `index`.
  StreamInfo stream_info() const;
  StreamInfo stream_info(int index) const;
  // Stream indices of the file's video streams, in order (K-th = ffmpeg's 0:v:K).
  std::vector<int> video_streams() const;
  // K of the selected stream among them (what video_stream=-1 resolved to, too).
  int video_stream_number() const;

 private:
  std::string path_;
  av::FormatContextPtr ctx_;
  int stream_index_ = -1;
};

}  // namespace odvd
