#include "ffmpeg/demuxer.hpp"

#include <algorithm>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/av_error.hpp"
#include "ffmpeg/codec_ids.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

int bit_depth_of(int pixel_format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(pixel_format));
  return desc ? desc->comp[0].depth : 8;
}

}  // namespace

Demuxer::Demuxer(const std::string& path, bool probe_streams, int stream_index, int video_stream) : path_(path) {
  av::init_logging();
  AVFormatContext* raw = nullptr;
  int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (ret < 0) throw MediaError("cannot open " + quoted(path) + ": " + av::error_text(ret));
  ctx_.reset(raw);
  if (probe_streams) {
    ret = avformat_find_stream_info(ctx_.get(), nullptr);
    if (ret < 0) {
      throw MediaError("cannot read stream information of " + quoted(path) + ": " + av::error_text(ret));
    }
    const std::vector<int> videos = video_streams();
    if (video_stream >= 0) {
      if (video_stream >= static_cast<int>(videos.size())) {
        throw MediaError(quoted(path) + " has " + std::to_string(videos.size()) + " video stream(s); video_stream=" +
                         std::to_string(video_stream) + " names none (valid: -1 for the best, 0.." +
                         std::to_string(static_cast<int>(videos.size()) - 1) + ")");
      }
      stream_index_ = videos[static_cast<size_t>(video_stream)];
    } else {
      ret = av_find_best_stream(ctx_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
      if (ret < 0) throw MediaError(quoted(path) + " has no video stream (" + av::error_text(ret) + ")");
      stream_index_ = ret;
    }
    // A stream FFmpeg cannot name (a damaged or unknown codec tag) could be indexed but
    // never decoded, nor recorded in a bundle: refused here, once, with what it says.
    const AVCodecParameters* par = ctx_->streams[stream_index_]->codecpar;
    if (par->codec_id == AV_CODEC_ID_NONE) {
      char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
      av_fourcc_make_string(tag, par->codec_tag);
      throw MediaError(quoted(path) + ": video stream " + std::to_string(stream_index_) +
                       " is of a codec FFmpeg does not know (codec tag '" + tag + "')");
    }
  } else {
    if (stream_index < 0 || stream_index >= static_cast<int>(ctx_->nb_streams) ||
        ctx_->streams[stream_index]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      throw MediaError(quoted(path) + " changed: video stream " + std::to_string(stream_index) + " is no longer there");
    }
    stream_index_ = stream_index;
  }
  for (unsigned i = 0; i < ctx_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index_) ctx_->streams[i]->discard = AVDISCARD_ALL;
  }
}

const char* Demuxer::format_name() const {
  return ctx_->iformat ? ctx_->iformat->name : "unknown";
}

bool Demuxer::read(AVPacket* pkt) {
  for (;;) {
    int ret = av_read_frame(ctx_.get(), pkt);
    if (ret == AVERROR_EOF) return false;
    if (ret < 0) throw MediaError("error reading " + quoted(path_) + ": " + av::error_text(ret));
    if (pkt->stream_index == stream_index_) return true;
    av_packet_unref(pkt);
  }
}

void Demuxer::seek(int64_t dts) {
  int ret = av_seek_frame(ctx_.get(), stream_index_, dts, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) seek_to_start();
}

void Demuxer::seek_to_start() {
  int ret = avformat_seek_file(ctx_.get(), -1, INT64_MIN, INT64_MIN, INT64_MIN, 0);
  if (ret < 0) ret = av_seek_frame(ctx_.get(), -1, 0, AVSEEK_FLAG_BYTE | AVSEEK_FLAG_BACKWARD);
  av::check(ret, "cannot seek to the start of " + quoted(path_));
}

void Demuxer::seek_to_byte(int64_t pos) {
  av::check(av_seek_frame(ctx_.get(), -1, pos, AVSEEK_FLAG_BYTE), "cannot seek in " + quoted(path_));
}

std::vector<int> Demuxer::video_streams() const {
  std::vector<int> out;
  for (unsigned i = 0; i < ctx_->nb_streams; ++i) {
    if (ctx_->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) out.push_back(static_cast<int>(i));
  }
  return out;
}

int Demuxer::video_stream_number() const {
  const std::vector<int> videos = video_streams();
  // The selected stream is a video stream (the constructor checked), so it is listed.
  return static_cast<int>(std::find(videos.begin(), videos.end(), stream_index_) - videos.begin());
}

StreamInfo Demuxer::stream_info() const {
  return stream_info(stream_index_);
}

StreamInfo Demuxer::stream_info(int index) const {
  const AVStream* st = ctx_->streams[index];
  const AVCodecParameters* par = st->codecpar;
  StreamInfo info;
  info.stream_index = index;
  info.codec = codec_from_av(par->codec_id);
  info.av_codec_id = par->codec_id;
  info.av_media_type = par->codec_type;
  info.av_pixel_format = par->format;
  info.width = par->width;
  info.height = par->height;
  info.bit_depth = par->format >= 0 ? bit_depth_of(par->format) : 8;
  info.time_base_num = st->time_base.num;
  info.time_base_den = st->time_base.den;
  info.r_frame_rate_num = st->r_frame_rate.num;
  info.r_frame_rate_den = st->r_frame_rate.den;
  info.avg_frame_rate_num = st->avg_frame_rate.num;
  info.avg_frame_rate_den = st->avg_frame_rate.den;
  info.duration = st->duration == AV_NOPTS_VALUE ? 0 : st->duration;
  info.start_time = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
  info.color.range = par->color_range == AVCOL_RANGE_JPEG   ? ColorRange::kFull
                     : par->color_range == AVCOL_RANGE_MPEG ? ColorRange::kLimited
                                                            : ColorRange::kUnspecified;
  if (par->format == AV_PIX_FMT_YUVJ420P || par->format == AV_PIX_FMT_YUVJ422P || par->format == AV_PIX_FMT_YUVJ444P) {
    info.color.range = ColorRange::kFull;
  }
  info.color.matrix = static_cast<ColorMatrix>(par->color_space);
  return info;
}

}  // namespace odvd
