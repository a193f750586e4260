#include "cpu/cpu_backend.hpp"

#include <cstring>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/av_error.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

// Where libavcodec's planar output goes in our layouts.
struct LayoutChoice {
  PixelFormat format;
  int bit_depth;
  bool semiplanar;  // 4:2:0 / 4:2:2 -> NV12/P016 / NV16/P216 (interleave U and V)
};

bool choose_layout(AVPixelFormat fmt, LayoutChoice& out) {
  switch (fmt) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P: out = {PixelFormat::kNv12, 8, true}; return true;
    case AV_PIX_FMT_YUV420P10LE: out = {PixelFormat::kP016, 10, true}; return true;
    case AV_PIX_FMT_YUV420P12LE: out = {PixelFormat::kP016, 12, true}; return true;
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUVJ444P: out = {PixelFormat::kYuv444, 8, false}; return true;
    case AV_PIX_FMT_YUV444P10LE: out = {PixelFormat::kYuv444P16, 10, false}; return true;
    case AV_PIX_FMT_YUV444P12LE: out = {PixelFormat::kYuv444P16, 12, false}; return true;
    case AV_PIX_FMT_YUV422P:
    case AV_PIX_FMT_YUVJ422P: out = {PixelFormat::kNv16, 8, true}; return true;
    case AV_PIX_FMT_YUV422P10LE: out = {PixelFormat::kP216, 10, true}; return true;
    case AV_PIX_FMT_YUV422P12LE: out = {PixelFormat::kP216, 12, true}; return true;
    default: return false;
  }
}

// The colour description the bitstream gives (the container's overrides it: GopStream).
// Only full range is taken: NVDEC cannot tell "limited" from "not signalled", and both
// back ends must describe a frame alike (either way limited range is what is assumed).
ColorInfo color_of(const AVFrame* f) {
  ColorInfo c;
  const auto fmt = static_cast<AVPixelFormat>(f->format);
  if (f->color_range == AVCOL_RANGE_JPEG || fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P ||
      fmt == AV_PIX_FMT_YUVJ444P) {
    c.range = ColorRange::kFull;
  }
  c.matrix = static_cast<ColorMatrix>(static_cast<int>(f->colorspace));
  return c;
}

// Copies `rows` rows of `count` samples; 16-bit samples are moved to the high bits.
void copy_plane(const uint8_t* src, int src_pitch, uint8_t* dst, int dst_pitch, int count, int rows, int bit_depth) {
  if (bit_depth == 8) {
    for (int y = 0; y < rows; ++y) std::memcpy(dst + y * dst_pitch, src + y * src_pitch, count);
    return;
  }
  const int shift = 16 - bit_depth;
  for (int y = 0; y < rows; ++y) {
    const auto* s = reinterpret_cast<const uint16_t*>(src + y * src_pitch);
    auto* d = reinterpret_cast<uint16_t*>(dst + y * dst_pitch);
    for (int x = 0; x < count; ++x) d[x] = static_cast<uint16_t>(s[x] << shift);
  }
}

// Interleaves planar U and V rows into one UV plane.
void interleave_chroma(const AVFrame* src, uint8_t* dst, int dst_pitch, int count, int rows, int bit_depth) {
  const int shift = bit_depth == 8 ? 0 : 16 - bit_depth;
  for (int y = 0; y < rows; ++y) {
    const uint8_t* u = src->data[1] + y * src->linesize[1];
    const uint8_t* v = src->data[2] + y * src->linesize[2];
    uint8_t* d = dst + y * dst_pitch;
    if (bit_depth == 8) {
      for (int x = 0; x < count; ++x) {
        d[2 * x] = u[x];
        d[2 * x + 1] = v[x];
      }
    } else {
      const auto* u16 = reinterpret_cast<const uint16_t*>(u);
      const auto* v16 = reinterpret_cast<const uint16_t*>(v);
      auto* d16 = reinterpret_cast<uint16_t*>(d);
      for (int x = 0; x < count; ++x) {
        d16[2 * x] = static_cast<uint16_t>(u16[x] << shift);
        d16[2 * x + 1] = static_cast<uint16_t>(v16[x] << shift);
      }
    }
  }
}

// Note [Cleared pictures]: a damaged slice can leave part of a picture undecoded, and
// libavcodec's HEVC decoder neither conceals nor reports it: the area keeps whatever the
// pooled buffer held, i.e. pixels of a picture decoded earlier on the context. Which
// picture that was depends on what else the call asked for (pictures nobody wants are
// passed over), so the same frame came out differently in two calls (found by the video
// fuzzer, tests/fuzz/video_corpus/hevc_mkv_stale_pool_pixels.mkv). Every buffer is
// cleared when the decoder takes it, so an undecoded area is always zero and a frame
// depends only on the packets that reach it. (~0.2 ms per 1600x900 picture, against
// milliseconds of decoding.)
int get_cleared_buffer(AVCodecContext* ctx, AVFrame* frame, int flags) {
  const int status = avcodec_default_get_buffer2(ctx, frame, flags);
  if (status < 0) return status;
  for (AVBufferRef* buf : frame->buf) {
    if (buf != nullptr) std::memset(buf->data, 0, buf->size);
  }
  return status;
}

}  // namespace

CpuBackend::CpuBackend(const AVCodecParameters* par, const std::vector<uint8_t>& annexb_extradata, int threads,
                       std::string label)
    : label_(std::move(label)),
      par_(av::copy_codec_parameters(par)),
      extradata_(annexb_extradata),
      threads_(threads),
      pkt_(av::make_packet()),
      frame_(av::make_frame()) {
  open_context();
}

// Note [A fresh context per GOP]: reset() (every GOP decode that does not continue the
// previous one) makes a new codec context instead of avcodec_flush_buffers(). A flush
// keeps state that a damaged picture's concealment can read: the video fuzzer
// (tests/fuzz/video_corpus/hevc_mkv_cut_cluster_divergent_garbage.mkv) found HEVC damage
// that libavcodec does not notice decoding to different pixels the second time the same
// GOP was decoded on one context. A fresh context makes every GOP decode independent of
// what the decoder did before (the same bytes give the same frames, as a fresh ffmpeg
// would), and costs well under a millisecond against tens of milliseconds of decoding.
void CpuBackend::open_context() {
  const AVCodec* codec = avcodec_find_decoder(par_->codec_id);
  if (codec == nullptr) {
    throw MediaError(where() + ": no software decoder for codec '" + avcodec_get_name(par_->codec_id) + "'");
  }
  // The old context (idle) stays until the new one is open: if opening fails, the
  // backend keeps a working decoder and the error reaches the call.
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  av::check(avcodec_parameters_to_context(ctx.get(), par_.get()), where() + ": configuring the decoder");
  if (!extradata_.empty()) {
    av_freep(&ctx->extradata);
    ctx->extradata = static_cast<uint8_t*>(av_mallocz(extradata_.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (ctx->extradata == nullptr) throw std::bad_alloc();
    std::memcpy(ctx->extradata, extradata_.data(), extradata_.size());
    ctx->extradata_size = static_cast<int>(extradata_.size());
  }
  ctx->thread_count = threads_;
  // Frame threads only where their complaints can be pinned to packets (Note [Decoder
  // complaints]): with libavcodec >= 61 a complaint of a frame thread could belong to any
  // packet in flight, and damage would be guessed too early, refusing good frames.
  ctx->thread_type = av::DecoderComplaints::pins_frame_threads() ? FF_THREAD_FRAME | FF_THREAD_SLICE : FF_THREAD_SLICE;
  // Not AV_EF_EXPLODE: pictures nobody asked for may legitimately fail (H.264 open-GOP
  // leading pictures decoded from their key). Damage is judged on wanted pictures
  // (see drain_decoder) and on frames that never come out (see FileSession).
  ctx->err_recognition = AV_EF_CRCCHECK;
  // Output pictures libavcodec cannot prove "recovered": decoding from an H.264
  // recovery-point I frame (open GOP) yields correct trailing pictures that h264dec
  // would otherwise withhold. Correctness comes from the index — every reference of a
  // wanted picture is fed (Note [Frame identity and GOPs]) — and damage is still caught
  // by the per-picture error flags.
  ctx->flags |= AV_CODEC_FLAG_OUTPUT_CORRUPT;
  ctx->pkt_timebase = AVRational{1, 1};   // timestamps pass through untouched
  ctx->get_buffer2 = get_cleared_buffer;  // Note [Cleared pictures]
  complaints_.attach(ctx.get());          // Note [Decoder complaints]
  av::check(avcodec_open2(ctx.get(), codec, nullptr), where() + ": opening the decoder");
  ctx_ = std::move(ctx);
}

int32_t CpuBackend::in_flight_start() const {
  // With frame threads, an error reported now may belong to any packet another thread
  // is still decoding: one of the last thread_count packets sent.
  return recent_.empty() ? 0 : recent_.front();
}

std::string CpuBackend::where() const {
  return "'" + label_ + "'";
}

void CpuBackend::note_error(int32_t packet, const std::string& text) {
  if (last_error_.empty() && !text.empty()) {
    last_error_ = (packet >= 0 ? "packet " + std::to_string(packet) + ": " : std::string()) + text;
  }
  if (packet >= 0) {
    note_damaged_packet(packet);
  } else {
    note_damage_from(in_flight_start());
  }
}

void CpuBackend::absorb_complaints() {
  for (const av::DecoderComplaints::Complaint& c : complaints_.take()) note_error(c.packet, c.message);
}

void CpuBackend::send(const EncodedPacket& packet) {
  ODVD_CHECK(!draining_);
  av_packet_unref(pkt_.get());
  av::check(av_new_packet(pkt_.get(), static_cast<int>(packet.data.size())), where() + ": allocating a packet");
  if (!packet.data.empty()) std::memcpy(pkt_->data, packet.data.data(), packet.data.size());  // a damaged file
  pkt_->pts = packet.pts;
  pkt_->dts = packet.dts;
  if (packet.key) pkt_->flags |= AV_PKT_FLAG_KEY;
  av::DecoderComplaints::tag_packet(ctx_.get(), pkt_.get(), packet.decode_index);
  const bool frame_threads = (ctx_->active_thread_type & FF_THREAD_FRAME) != 0;
  for (;;) {
    int ret = 0;
    if (frame_threads) {
      av::DecoderComplaints::Sending sending(complaints_, recent_.empty() ? -1 : recent_.back());
      ret = avcodec_send_packet(ctx_.get(), pkt_.get());
    } else {
      ret = avcodec_send_packet(ctx_.get(), pkt_.get());
    }
    if (ret == AVERROR(EAGAIN)) {  // output must be taken first
      drain_decoder();
      continue;
    }
    recent_.push_back(packet.decode_index);
    while (recent_.size() > static_cast<size_t>(frame_threads ? std::max(1, ctx_->thread_count) : 1)) {
      recent_.pop_front();
    }
    // An error code here may come from another thread's packet: not pinned.
    if (ret < 0) note_error(-1, "packet " + std::to_string(packet.decode_index) + ": " + av::error_text(ret));
    absorb_complaints();
    return;
  }
}

void CpuBackend::send_end_of_stream() {
  if (draining_) return;
  draining_ = true;
  int ret = avcodec_send_packet(ctx_.get(), nullptr);
  if (ret < 0) {
    note_error(-1, av::error_text(ret));
  } else {
    while (drain_decoder()) {
    }
  }
  absorb_complaints();
}

bool CpuBackend::drain_decoder() {
  for (;;) {
    int ret = avcodec_receive_frame(ctx_.get(), frame_.get());
    if (ret == AVERROR(EAGAIN)) return true;
    if (ret == AVERROR_EOF) return false;
    if (ret < 0) {
      note_error(-1, av::error_text(ret));
      return false;  // the decoder is unusable until reset()
    }
    const int64_t pts = frame_->pts != AV_NOPTS_VALUE ? frame_->pts : frame_->best_effort_timestamp;
    // The flags are reliable when set (not always set: Note [Decoder complaints]).
    if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
      note_error(av::DecoderComplaints::packet_of(frame_.get()),
                 "the picture with pts " + std::to_string(pts) + " was decoded with errors");
    } else if (wanted(pts)) {
      ready_.push_back(to_video_frame(frame_.get()));
    }
    av_frame_unref(frame_.get());
  }
}

bool CpuBackend::receive(VideoFrame& frame) {
  if (ready_.empty() && !draining_) drain_decoder();
  if (ready_.empty()) return false;
  frame = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

void CpuBackend::reset() {
  open_context();      // not a flush: Note [A fresh context per GOP]
  complaints_.take();  // whatever the abandoned decode said
  ready_.clear();
  draining_ = false;
  last_error_.clear();
  recent_.clear();
  clear_damage();
}

VideoFrame CpuBackend::to_video_frame(const AVFrame* src) const {
  LayoutChoice layout{};
  const auto fmt = static_cast<AVPixelFormat>(src->format);
  if (!choose_layout(fmt, layout)) {
    const char* name = av_get_pix_fmt_name(fmt);
    throw MediaError(where() + ": unsupported pixel format '" + (name ? name : "unknown") +
                     "' (supported: 4:2:0, 4:2:2 and 4:4:4 at 8, 10 and 12 bits)");
  }
  VideoFrame out = allocate_host_frame(layout.format, src->width, src->height, layout.bit_depth);
  out.pts = src->pts != AV_NOPTS_VALUE ? src->pts : src->best_effort_timestamp;
  out.color = color_of(src);
  copy_plane(src->data[0], src->linesize[0], out.plane_data(0), out.planes[0].pitch, src->width, src->height,
             layout.bit_depth);
  if (layout.semiplanar) {
    interleave_chroma(src, out.plane_data(1), out.planes[1].pitch, (src->width + 1) / 2, out.planes[1].height,
                      layout.bit_depth);
  } else {
    for (int i = 1; i < 3; ++i) {
      copy_plane(src->data[i], src->linesize[i], out.plane_data(i), out.planes[i].pitch, src->width, src->height,
                 layout.bit_depth);
    }
  }
  return out;
}

}  // namespace odvd
