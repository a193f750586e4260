#include "ffmpeg/picture_order.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "ffmpeg/av_error.hpp"
#include "ffmpeg/nal_units.hpp"
#include "odvd/error.hpp"

namespace odvd {

PictureOrder::PictureOrder(Codec codec, int av_codec_id, const std::string& path) : codec_(codec) {
  if (codec != Codec::kH264 && codec != Codec::kHevc) {
    throw MediaError(quoted(path) + ": the " + codec_name(codec) +
                     " stream has no timestamps; streams without timestamps are supported for H.264 and HEVC "
                     "(remux it into a container: ffmpeg -i IN -c copy OUT.mkv)");
  }
  parser_.reset(av_parser_init(av_codec_id));
  context_.reset(avcodec_alloc_context3(nullptr));
  if (!parser_ || !context_) throw MediaError(quoted(path) + ": FFmpeg lacks the parser for " + codec_name(codec));
  parser_->flags |= PARSER_FLAG_COMPLETE_FRAMES;  // each packet is one whole access unit
}

void PictureOrder::add(const AVPacket* pkt) {
  const size_t size = pkt->size > 0 ? static_cast<size_t>(pkt->size) : 0;
  // A new coded video sequence restarts POC (Note [Untimed streams]).
  if (inspect_packet(codec_, NalLayout{}, pkt->data, size).idr || sequence_ < 0) ++sequence_;
  // The parser may read up to AV_INPUT_BUFFER_PADDING_SIZE bytes past the end.
  padded_.assign(size + AV_INPUT_BUFFER_PADDING_SIZE, 0);
  if (size > 0) std::memcpy(padded_.data(), pkt->data, size);
  uint8_t* unit = nullptr;
  int unit_size = 0;
  parser_->output_picture_number = keys_.empty() ? 0 : static_cast<int>(keys_.back().second);
  av_parser_parse2(parser_.get(), context_.get(), &unit, &unit_size, padded_.data(), static_cast<int>(size),
                   AV_NOPTS_VALUE, AV_NOPTS_VALUE, pkt->pos);
  keys_.emplace_back(sequence_, parser_->output_picture_number);
}

void PictureOrder::assign(std::vector<ScannedPacket>& packets) const {
  ODVD_CHECK(packets.size() == keys_.size());
  std::vector<size_t> order(packets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys_[a] < keys_[b]; });
  for (size_t rank = 0; rank < order.size(); ++rank) packets[order[rank]].pts = static_cast<int64_t>(rank);
  for (size_t d = 0; d < packets.size(); ++d) packets[d].dts = static_cast<int64_t>(d);
}

}  // namespace odvd
