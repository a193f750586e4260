// RAII owners for every libav* handle type the library uses (DESIGN.md, habit 2).
//
// Each wrapper takes ownership on the line that creates the handle and frees it with the
// matching libav* function. All are move-only unique_ptrs; none is thread-safe (a handle
// is used by one thread at a time, as libav* requires).
#pragma once

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
}

namespace odvd::av {

struct FormatContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct PacketDeleter {
  void operator()(AVPacket* pkt) const { av_packet_free(&pkt); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct BsfContextDeleter {
  void operator()(AVBSFContext* ctx) const { av_bsf_free(&ctx); }
};
struct ParserContextDeleter {
  void operator()(AVCodecParserContext* ctx) const { av_parser_close(ctx); }
};
struct CodecParametersDeleter {
  void operator()(AVCodecParameters* par) const { avcodec_parameters_free(&par); }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using BsfContextPtr = std::unique_ptr<AVBSFContext, BsfContextDeleter>;
using CodecParametersPtr = std::unique_ptr<AVCodecParameters, CodecParametersDeleter>;
using ParserContextPtr = std::unique_ptr<AVCodecParserContext, ParserContextDeleter>;

// Allocating constructors; they throw std::bad_alloc when libav* returns null.
PacketPtr make_packet();
FramePtr make_frame();
CodecParametersPtr make_codec_parameters();
CodecParametersPtr copy_codec_parameters(const AVCodecParameters* src);

// Unreferences a packet/frame when the scope ends (reuse of one allocated handle).
class PacketUnref {
 public:
  explicit PacketUnref(AVPacket* pkt) : pkt_(pkt) {}
  ~PacketUnref() { av_packet_unref(pkt_); }
  PacketUnref(const PacketUnref&) = delete;
  PacketUnref& operator=(const PacketUnref&) = delete;

 private:
  AVPacket* pkt_;
};

}  // namespace odvd::av
