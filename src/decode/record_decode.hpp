// Decoding from GOP records (gop_bundle.hpp) instead of files: the stream description a
// backend needs, and the GopRun that decodes a record's requested frames.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <string>
#include <vector>

#include "decode/gop_stream.hpp"
#include "ffmpeg/av_handles.hpp"
#include "gop/gop_bundle.hpp"

namespace odvd {

// Fills what a record may lack (legacy bundles, packet lists): the FFmpeg codec id from
// the codec, and pixel format, bit depth and chroma format from the sequence header in
// the first packet. Fields already known are kept.
void complete_stream_description(GopRecord& record);

// Codec parameters for a CPU decoder of the record's stream.
av::CodecParametersPtr codec_parameters_for(const GopRecord& record);

// Everything that decides whether a decoder configured for one record can decode
// another (records with equal keys share idle backends).
std::string backend_key(const GopRecord& record);

// The run decoding `frame_ids` (each presented by one of the record's packets) from
// `record`: its packets from the key up to the last wanted one, without non-reference
// pictures nobody asked for. `what` labels the source in messages.
GopRun run_for_record(const GopRecord& record, const std::string& what, const std::vector<int>& frame_ids);

}  // namespace odvd
