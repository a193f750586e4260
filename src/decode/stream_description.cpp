#include "decode/stream_description.hpp"

#include <utility>

namespace odvd {

StreamDescription describe_stream(const std::shared_ptr<const VideoIndex>& index,
                                  std::vector<uint8_t> annexb_extradata) {
  const StreamInfo& s = index->stream;
  StreamDescription d;
  d.label = index->path;
  d.codec = s.codec;
  d.av_codec_id = s.av_codec_id;
  d.av_pixel_format = s.av_pixel_format;
  d.width = s.width;
  d.height = s.height;
  d.bit_depth = s.bit_depth;
  d.chroma_format = chroma_format_of(s.av_pixel_format);
  d.color = s.color;
  d.extradata = std::move(annexb_extradata);
  d.file_parameters = index->codecpar;
  return d;
}

StreamDescription describe_stream(const GopRecord& r, const std::string& label) {
  StreamDescription d;
  d.label = label;
  d.codec = r.codec;
  d.av_codec_id = r.av_codec_id;
  d.av_pixel_format = r.av_pixel_format;
  d.width = r.width;
  d.height = r.height;
  d.bit_depth = r.bit_depth;
  d.chroma_format = r.av_pixel_format >= 0 ? chroma_format_of(r.av_pixel_format) : r.chroma_format;
  d.color = r.color;
  d.extradata = r.parameter_sets;
  return d;
}

}  // namespace odvd
