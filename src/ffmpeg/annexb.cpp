#include "ffmpeg/annexb.hpp"

#include "ffmpeg/av_error.hpp"
#include "odvd/error.hpp"

namespace odvd {

AnnexBConverter::AnnexBConverter(const AVCodecParameters* par, Codec codec, bool length_prefixed) {
  const bool nal_codec = codec == Codec::kH264 || codec == Codec::kHevc;
  if (nal_codec && length_prefixed) {
    const char* name = codec == Codec::kH264 ? "h264_mp4toannexb" : "hevc_mp4toannexb";
    const AVBitStreamFilter* filter = av_bsf_get_by_name(name);
    if (filter == nullptr) throw MediaError(std::string("FFmpeg lacks the ") + name + " bitstream filter");
    AVBSFContext* raw = nullptr;
    av::check(av_bsf_alloc(filter, &raw), "allocating the Annex-B filter");
    bsf_.reset(raw);
    av::check(avcodec_parameters_copy(bsf_->par_in, par), "configuring the Annex-B filter");
    av::check(av_bsf_init(bsf_.get()), "initialising the Annex-B filter");
    const AVCodecParameters* out = bsf_->par_out;
    parameter_sets_.assign(out->extradata, out->extradata + out->extradata_size);
  } else if ((nal_codec || headers_in_band(codec)) && par->extradata_size > 0) {
    parameter_sets_.assign(par->extradata, par->extradata + par->extradata_size);
  }
}

// MPEG-1/2 sequence headers and MPEG-4 Part 2 VOS/VOL headers are start-code delimited
// and may repeat in band, so the container's extradata can go in front of any GOP. Without
// them a GOP other than the first cannot be decoded on its own (a GOP bundle, or a decoder
// that never saw the first GOP: issue #15's MPEG-4 MP4 whose bundle decoded or not,
// depending on what the reused decoder had parsed before).
bool AnnexBConverter::headers_in_band(Codec codec) {
  return codec == Codec::kMpeg1 || codec == Codec::kMpeg2 || codec == Codec::kMpeg4;
}

void AnnexBConverter::convert(AVPacket* pkt) {
  if (!bsf_) return;
  av::check(av_bsf_send_packet(bsf_.get(), pkt), "converting a packet to Annex-B");
  // The mp4toannexb filters return exactly one packet per packet sent.
  av::check(av_bsf_receive_packet(bsf_.get(), pkt), "converting a packet to Annex-B");
}

void AnnexBConverter::reset() {
  if (bsf_) av_bsf_flush(bsf_.get());
}

}  // namespace odvd
