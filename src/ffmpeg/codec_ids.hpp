// Our Codec and FFmpeg's AVCodecID, both ways, in the numbering of the FFmpeg this library
// is built with (AVCodecID values change between FFmpeg versions: odvd/codecs.hpp).
//
// Thread-safety: pure functions; call from any thread.
#pragma once

#include "odvd/types.hpp"

namespace odvd {

// FFmpeg's AVCodecID of `codec`, 0 (AV_CODEC_ID_NONE) for kUnknown.
int av_codec_id_of(Codec codec);
// Our Codec of an AVCodecID, kUnknown for codecs we do not name.
Codec codec_from_av(int av_codec_id);

}  // namespace odvd
