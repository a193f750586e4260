// The planner: turns one call's (path, frame id) entries into per-file, per-GOP work.
//
// Every GOP needed by the call appears once, with all the frame ids the call wants from
// it, so it is read once and decoded once up to its furthest requested frame (SPEC §2).
// Files appear in order of first mention; GOPs of a file in file order.
//
// Validation happens here, before any decoding: an id out of range is an ArgumentError
// naming the entry, the file, the id and the valid range; an id that exists in the
// container but was cut off (truncated file) is a MediaError saying so.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ffmpeg/video_index.hpp"

namespace odvd {

struct GopWork {
  int gop = 0;
  std::vector<int> frame_ids;  // unique, ascending
};

struct FileWork {
  std::string path;
  std::shared_ptr<const VideoIndex> index;
  std::vector<GopWork> gops;
};

struct DecodePlan {
  std::vector<FileWork> files;
  std::vector<int> entry_file;  // entry i is served by files[entry_file[i]]; -1: no file
  // Why entry i cannot be decoded at all (its file cannot be opened or scanned: entry_file
  // is -1; its frame was cut off), when the plan was made to tolerate that; else empty.
  std::vector<std::string> entry_error;
};

using IndexLookup = std::function<std::shared_ptr<const VideoIndex>(const std::string& path)>;

// Checks that both lists have the same length and that there are at most `max_entries`
// entries (ArgumentError naming `limit_name`, the constructor argument, otherwise).
void check_entry_lists(size_t num_paths, size_t num_ids, size_t max_entries, const char* limit_name = "maxfiles");

// Checks that `id` is a frame of the file: ArgumentError naming the entry, the file and
// the valid range, or MediaError when the id exists in the container but was cut off.
void check_frame_id(const VideoIndex& index, size_t entry, int id);

// `tolerate_media_errors`: a file that cannot be opened or scanned, or a frame cut off,
// fails its entries (DecodePlan::entry_error) instead of throwing MediaError (Note [Damage
// policy]); argument errors always throw.
DecodePlan make_plan(const std::vector<std::string>& paths, const std::vector<int>& frame_ids,
                     const IndexLookup& index_of, bool tolerate_media_errors = false);

// One decode task of a call: GOPs of one file decoded in order on one session (Note [GOP
// lanes] in planner.cpp). Lane 0 of a file is its usual session; lanes >= 1 are sessions
// of their own on the same file.
struct Lane {
  size_t file = 0;
  int lane = 0;
  std::vector<size_t> gops;  // indices into plan.files[file].gops, ascending
};

// Pictures decoded to produce a GOP's wanted frames: from its key to the last wanted
// frame in decode order (the measure lanes are balanced by).
int gop_work(const FileWork& file, const GopWork& gop);

// Spreads the plan's GOPs over at most max(`sessions`, number of files) lanes: every
// file one lane, spare sessions to the files with the most work per lane (each lane at
// least one GOP), a file's GOPs to its lanes longest first onto the least loaded.
// Lanes come file by file, lane 0 first.
std::vector<Lane> plan_lanes(const DecodePlan& plan, size_t sessions);

}  // namespace odvd
