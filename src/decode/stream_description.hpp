// The StreamDescription (odvd/device.hpp) of a file's video stream, from its index, and
// of a stored GOP record.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ffmpeg/video_index.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/device.hpp"

namespace odvd {

// `annexb_extradata`: the parameter sets GopReader puts ahead of Annex-B packets when the
// container stores avcC/hvcC (empty otherwise).
StreamDescription describe_stream(const std::shared_ptr<const VideoIndex>& index,
                                  std::vector<uint8_t> annexb_extradata);

// `record` as complete_stream_description() (record_decode.hpp) leaves it; `label` names
// it in messages.
StreamDescription describe_stream(const GopRecord& record, const std::string& label);

}  // namespace odvd
