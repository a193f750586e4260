// Completing a GOP record's stream description (gop_bundle.hpp): what legacy bundles and
// packet lists do not record.
//
// Thread-safety: a pure function on the caller's record; call from any thread.
#pragma once

#include "gop/gop_bundle.hpp"

namespace odvd {

// Fills what a record may lack (legacy bundles, packet lists): the FFmpeg codec id from
// the codec, and pixel format, bit depth and chroma format from the sequence header in
// the first packet. Fields already known are kept.
void complete_stream_description(GopRecord& record);

}  // namespace odvd
