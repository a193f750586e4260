#include "ffmpeg/video_index.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/demuxer.hpp"
#include "ffmpeg/picture_order.hpp"
#include "odvd/error.hpp"
#include "odvd/process_local.hpp"

namespace odvd {

int chroma_format_of(int av_pixel_format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av_pixel_format));
  if (desc == nullptr) return 1;
  if (desc->nb_components < 3) return 0;
  if (desc->log2_chroma_w == 1) return desc->log2_chroma_h == 1 ? 1 : 2;
  return 3;
}

namespace {

// Per-packet facts the bitstream decides (keys, non-reference pictures); see
// Note [Frame identity and GOPs] in frame_index.hpp.
class Classifier {
 public:
  Classifier(Codec codec, NalLayout layout) : codec_(codec), layout_(layout) {}

  void classify(const AVPacket* pkt, ScannedPacket& out) {
    const bool container_key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    if (codec_ != Codec::kH264 && codec_ != Codec::kHevc) {
      out.key = container_key;
      return;
    }
    PacketTraits t = inspect_packet(codec_, layout_, pkt->data, static_cast<size_t>(pkt->size));
    if (t.malformed) t = PacketTraits{};  // never a key, never skipped
    if (t.parameter_sets) note_parameter_sets(pkt);
    out.parameter_sets = static_cast<int32_t>(parameter_sets_.size()) - 1;
    if (codec_ == Codec::kH264) {
      // An I picture with a recovery-point SEI is a random-access point only when the
      // container agrees (x264's open GOP); an IDR always is.
      out.key = t.idr || (container_key && t.recovery_point);
      out.skippable = t.non_reference;
    } else {
      out.key = t.irap;
      max_temporal_id_ = std::max(max_temporal_id_, t.temporal_id);
      hevc_.push_back({t.non_reference, t.temporal_id});
    }
  }

  // The distinct in-band parameter sets met, in order.
  std::vector<std::vector<uint8_t>> take_parameter_sets() { return std::move(parameter_sets_); }

  // HEVC: a sub-layer non-reference picture is referenced by nobody only when no
  // higher temporal layer exists in the stream, which is known after the scan.
  void finish(std::vector<ScannedPacket>& packets) const {
    if (codec_ != Codec::kHevc) return;
    ODVD_CHECK(hevc_.size() == packets.size());
    for (size_t i = 0; i < packets.size(); ++i) {
      packets[i].skippable = hevc_[i].sub_layer_non_ref && hevc_[i].temporal_id == max_temporal_id_;
    }
  }

 private:
  struct HevcTraits {
    bool sub_layer_non_ref;
    int temporal_id;
  };
  void note_parameter_sets(const AVPacket* pkt) {
    std::vector<uint8_t> units = parameter_set_units(codec_, layout_, pkt->data, static_cast<size_t>(pkt->size));
    if (!units.empty() && (parameter_sets_.empty() || parameter_sets_.back() != units)) {
      parameter_sets_.push_back(std::move(units));
    }
  }

  Codec codec_;
  NalLayout layout_;
  int max_temporal_id_ = 0;
  std::vector<std::vector<uint8_t>> parameter_sets_;
  std::vector<HevcTraits> hevc_;
};

// Reads every packet of the video stream. A stream whose first packet has no timestamp
// at all (a raw elementary stream) gets timestamps from its picture order (Note [Untimed
// streams]); `untimed` says so.
std::vector<ScannedPacket> scan_packets(Demuxer& demuxer, Classifier& classifier, bool& untimed) {
  std::vector<ScannedPacket> packets;
  std::unique_ptr<PictureOrder> order;
  av::PacketPtr pkt = av::make_packet();
  while (demuxer.read(pkt.get())) {
    av::PacketUnref unref(pkt.get());
    ScannedPacket p;
    p.dts = pkt->dts;
    p.pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (packets.empty() && p.pts == AV_NOPTS_VALUE) {
      const StreamInfo info = demuxer.stream_info();
      order = std::make_unique<PictureOrder>(info.codec, info.av_codec_id, demuxer.path());
    }
    if (order) {
      if (pkt->pos < 0) {
        throw MediaError(quoted(demuxer.path()) + ": packet " + std::to_string(packets.size()) +
                         " has neither a timestamp nor a byte position");
      }
      order->add(pkt.get());
    } else if (p.pts == AV_NOPTS_VALUE) {
      throw MediaError(quoted(demuxer.path()) + ": packet " + std::to_string(packets.size()) +
                       " of the video stream has no timestamp, although the packets before it have one");
    }
    p.pos = pkt->pos;
    p.size = pkt->size;
    p.discard = (pkt->flags & AV_PKT_FLAG_DISCARD) != 0;
    p.corrupt = (pkt->flags & AV_PKT_FLAG_CORRUPT) != 0;
    classifier.classify(pkt.get(), p);
    packets.push_back(p);
  }
  classifier.finish(packets);
  untimed = order != nullptr;
  if (untimed) order->assign(packets);
  return packets;
}

// Untimed streams count time in frames of the stream's frame rate (Note [Untimed streams]).
void use_frame_time_base(StreamInfo& s, int64_t frames) {
  int num = s.avg_frame_rate_num, den = s.avg_frame_rate_den;
  if (num <= 0 || den <= 0) num = s.r_frame_rate_num, den = s.r_frame_rate_den;
  if (num <= 0 || den <= 0) num = 25, den = 1;
  s.time_base_num = den;
  s.time_base_den = num;
  s.start_time = 0;
  s.duration = frames;
}

}  // namespace

FileStamp stat_video_file(const std::string& path) {
  // The system reads a path up to its first NUL: 'a.mp4\0junk' would open 'a.mp4'.
  if (path.find('\0') != std::string::npos) throw ArgumentError(quoted(path) + ": a path cannot hold a NUL byte");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw MediaError("cannot open " + quoted(path) + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw MediaError("cannot open " + quoted(path) + ": it is a directory");
  if (!S_ISREG(st.st_mode)) throw MediaError("cannot open " + quoted(path) + ": not a regular file");
  if (st.st_size == 0) throw MediaError("cannot open " + quoted(path) + ": the file is empty");
  FileStamp stamp;
  stamp.size = static_cast<uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

std::shared_ptr<const VideoIndex> scan_video(const std::string& path, const FileStamp& stamp, int video_stream) {
  Demuxer demuxer(path, /*probe_streams=*/true, -1, video_stream);
  auto index = std::make_shared<VideoIndex>();
  index->path = path;
  index->video_stream = video_stream;
  index->video_stream_number = demuxer.video_stream_number();
  index->stamp = stamp;
  index->container = demuxer.format_name();
  index->stream = demuxer.stream_info();
  const AVCodecParameters* par = demuxer.stream()->codecpar;
  index->codecpar = std::shared_ptr<const AVCodecParameters>(av::copy_codec_parameters(par));
  index->nal_layout = detect_nal_layout(index->stream.codec, par->extradata, static_cast<size_t>(par->extradata_size));
  index->declared_frames = demuxer.stream()->nb_frames;
  if (index->stream.width <= 0 || index->stream.height <= 0) {
    throw MediaError(quoted(path) + ": the video stream has no valid picture size");
  }
  // Packets read ahead while probing are still buffered: reading on starts at packet 0.
  Classifier classifier(index->stream.codec, index->nal_layout);
  std::vector<ScannedPacket> packets = scan_packets(demuxer, classifier, index->untimed);
  if (index->untimed) use_frame_time_base(index->stream, static_cast<int64_t>(packets.size()));
  index->parameter_sets = classifier.take_parameter_sets();
  try {
    index->frames = FrameIndex::build(packets, /*skip_leading=*/index->stream.codec != Codec::kH264);
  } catch (const MediaError& e) {
    throw MediaError(quoted(path) + ": " + e.what());
  }
  return index;
}

std::vector<StreamInfo> list_video_streams(const std::string& path) {
  stat_video_file(path);
  Demuxer demuxer(path, /*probe_streams=*/true);
  std::vector<StreamInfo> out;
  for (int index : demuxer.video_streams()) out.push_back(demuxer.stream_info(index));
  return out;
}

IndexCache& IndexCache::global() {
  // Bounded so that scanning millions of clips does not grow memory without limit.
  // One per process (Note [Fork]): a parent thread may hold the cache's lock at the
  // instant of a fork, which would block the child forever. Never destroyed: indexes may
  // be used while the interpreter exits.
  static auto* cache = new ProcessLocal<IndexCache>(
      [] { return std::make_unique<IndexCache>(/*max_entries=*/4096, /*max_bytes=*/size_t{512} << 20); });
  return cache->get();
}

std::shared_ptr<const VideoIndex> IndexCache::get(const std::string& path, int video_stream) {
  const FileStamp stamp = stat_video_file(path);
  // A NUL cannot be part of a path: the key of another stream never equals a path.
  const std::string key = video_stream < 0 ? path : path + '\0' + std::to_string(video_stream);
  std::shared_ptr<const VideoIndex> cached = cache_.get(key);
  if (cached && cached->stamp == stamp) return cached;
  std::shared_ptr<const VideoIndex> fresh = scan_video(path, stamp, video_stream);
  size_t bytes = fresh->frames.memory_bytes() + sizeof(VideoIndex);
  for (const auto& ps : fresh->parameter_sets) bytes += ps.size();
  cache_.put(key, fresh, bytes);
  return fresh;
}

}  // namespace odvd
