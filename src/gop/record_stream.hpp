// Completing a GOP record's stream description (gop_bundle.hpp): what legacy bundles and
// packet lists do not record.
//
// Thread-safety: a pure function on the caller's record; call from any thread.
#pragma once

#include "gop/gop_bundle.hpp"

namespace odvd {

// Fills what a record may lack (legacy bundles, packet lists) and what only this FFmpeg
// knows: the FFmpeg codec id of a named codec (always: the writer's FFmpeg may number
// codecs differently), and pixel format, bit depth and chroma format from the sequence
// header in the first packet. Other fields already known are kept.
void complete_stream_description(GopRecord& record);

}  // namespace odvd
