// substitute_nearest: the kNearest half of the damage policy (Note [Damage policy] in
// odvd/damage_policy.hpp), shared by the GOP decoder and the sample reader.
//
// For each failed frame of a file: the closest frame of its GOP that decodes clean, else
// the nearer of the neighbouring GOPs' edge frames that decodes. A whole GOP is decoded to
// learn which of its frames are clean (this is the error path: correctness over speed).
//
// Thread-safety: as FileSession (one task at a time).
#pragma once

#include <map>
#include <string>

#include "decode/file_session.hpp"

namespace odvd {

// `failed`: frame id -> why it failed (ids past the end of the file count as its last
// frame). Puts each substitute frame into `out` and returns requested -> substitute id
// (failed frames with nothing near that decodes are absent).
std::map<int, int> substitute_nearest(FileSession& session, const std::map<int, std::string>& failed,
                                      std::map<int, VideoFrame>& out);

}  // namespace odvd
