#include "ffmpeg/stream_probe.hpp"

#include <cstring>
#include <vector>

#include "ffmpeg/av_error.hpp"
#include "ffmpeg/av_handles.hpp"

namespace odvd {

ProbedStream probe_elementary_stream(int av_codec_id, const uint8_t* data, size_t size) {
  av::init_logging();  // FFmpeg's own messages stay silent unless asked for
  ProbedStream out;
  av::ParserContextPtr parser(av_parser_init(av_codec_id));
  if (!parser || size == 0 || size > static_cast<size_t>(INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)) return out;
  const AVCodec* codec = avcodec_find_decoder(static_cast<AVCodecID>(av_codec_id));
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return out;
  // The parser may read up to AV_INPUT_BUFFER_PADDING_SIZE bytes past the end.
  std::vector<uint8_t> padded(size + AV_INPUT_BUFFER_PADDING_SIZE, 0);
  std::memcpy(padded.data(), data, size);
  // PARSER_FLAG_COMPLETE_FRAMES: the packet is a whole access unit; parse it at once.
  parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
  uint8_t* unit = nullptr;
  int unit_size = 0;
  av_parser_parse2(parser.get(), ctx.get(), &unit, &unit_size, padded.data(), static_cast<int>(size), AV_NOPTS_VALUE,
                   AV_NOPTS_VALUE, 0);
  out.av_pixel_format = parser->format;
  out.width = parser->width > 0 ? parser->width : ctx->width;
  out.height = parser->height > 0 ? parser->height : ctx->height;
  return out;
}

}  // namespace odvd
