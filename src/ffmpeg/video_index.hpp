// VideoIndex: everything the library learns about a video file from one demux-only
// scan, and the process-wide cache that keeps it (SPEC §1).
//
// The cache key is the path; an entry is valid while the file's size and mtime are
// unchanged (checked with one stat() per lookup), so a rewritten file is rescanned.
//
// Thread-safety: VideoIndex is immutable; IndexCache is safe from any thread (two
// threads missing on the same file may both scan it; the results are identical).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ffmpeg/frame_index.hpp"
#include "ffmpeg/nal_units.hpp"
#include "odvd/types.hpp"
#include "util/lru_cache.hpp"

struct AVCodecParameters;

namespace odvd {

struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

// stat()s a path that should be a readable video file. Throws MediaError when it is
// missing, not a regular file, or empty.
FileStamp stat_video_file(const std::string& path);

struct VideoIndex {
  std::string path;
  int video_stream = -1;        // as asked: the K-th video stream, or -1 for the best
  int video_stream_number = 0;  // K of the stream read (what -1 resolved to)
  FileStamp stamp;
  std::string container;  // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  StreamInfo stream;
  std::shared_ptr<const AVCodecParameters> codecpar;  // the stream's parameters after probing
  NalLayout nal_layout;
  int64_t declared_frames = 0;  // what the container claims (never trusted; diagnostics only)
  // The stream had no timestamps (a raw elementary stream): pts/dts in `frames` are
  // synthesised and packets are found by byte position (Note [Untimed streams]).
  bool untimed = false;
  // Every distinct set of parameter sets met in band, in order (Annex-B): a stream whose
  // SPS changes (a new picture size at an IDR) needs the right one in front of a key
  // that does not repeat it (IndexedPacket::parameter_sets says which).
  std::vector<std::vector<uint8_t>> parameter_sets;
  FrameIndex frames;

  // True when the container declares more frames than could be read (cut-off file).
  bool truncated() const { return declared_frames > frames.packet_count(); }
};

// Chroma format of an AVPixelFormat: 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
// (4:2:0 when FFmpeg does not know the format).
int chroma_format_of(int av_pixel_format);

// Opens and scans `path` (one probing open, then every packet of the video stream: the
// `video_stream`-th, or the best with -1). Throws MediaError naming the file on any failure.
std::shared_ptr<const VideoIndex> scan_video(const std::string& path, const FileStamp& stamp, int video_stream = -1);

// Every video stream of `path`, in order (the K-th is video_stream=K), as the demuxer
// describes it after probing.
std::vector<StreamInfo> list_video_streams(const std::string& path);

class IndexCache {
 public:
  IndexCache(size_t max_entries, size_t max_bytes) : cache_(max_entries, max_bytes) {}

  // The process-wide cache used by every decoder object.
  static IndexCache& global();

  // Returns the index of `path`'s video stream (the `video_stream`-th; -1: the best),
  // scanning it when missing or stale.
  std::shared_ptr<const VideoIndex> get(const std::string& path, int video_stream = -1);

  void clear() { cache_.clear(); }

 private:
  LruCache<std::string, const VideoIndex> cache_;
};

}  // namespace odvd
