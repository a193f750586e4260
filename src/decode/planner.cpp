#include "decode/planner.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "odvd/error.hpp"

namespace odvd {

void check_frame_id(const VideoIndex& index, size_t entry, int id) {
  const int count = index.frames.frame_count();
  if (id >= 0 && id < count) {
    if (!index.frames.ambiguous(id)) return;
    const int64_t pts = index.frames.packet(index.frames.packet_of_frame(id)).pts;
    throw MediaError("entry " + std::to_string(entry) + ": frame " + std::to_string(id) + " of '" + index.path +
                     "' cannot be told apart: another packet has its timestamp (pts " + std::to_string(pts) +
                     "; the file is damaged)");
  }
  const std::string prefix =
      "entry " + std::to_string(entry) + ": frame id " + std::to_string(id) + " of '" + index.path + "' ";
  if (id >= count && index.truncated() && id < index.declared_frames) {
    throw MediaError(prefix + "cannot be read: the file is truncated (the container declares " +
                     std::to_string(index.declared_frames) + " frames, " + std::to_string(count) + " are present)");
  }
  throw ArgumentError(prefix + "is out of range (valid ids: 0.." + std::to_string(count - 1) + ")");
}

void check_entry_lists(size_t num_paths, size_t num_ids, size_t max_entries, const char* limit_name) {
  if (num_paths != num_ids) {
    throw ArgumentError("filepaths and frame_ids must have the same length (got " + std::to_string(num_paths) +
                        " and " + std::to_string(num_ids) + ")");
  }
  if (num_paths > max_entries) {
    throw ArgumentError("too many entries: " + std::to_string(num_paths) + " given, this decoder was created for " +
                        "at most " + std::to_string(max_entries) + " (" + limit_name + ")");
  }
}

DecodePlan make_plan(const std::vector<std::string>& paths, const std::vector<int>& frame_ids,
                     const IndexLookup& index_of, bool tolerate_media_errors) {
  for (size_t i = 0; i < paths.size(); ++i) {
    if (paths[i].empty()) throw ArgumentError("entry " + std::to_string(i) + ": the file path is empty");
  }
  DecodePlan plan;
  plan.entry_error.assign(paths.size(), std::string());
  std::unordered_map<std::string, int> file_of_path;
  std::unordered_map<std::string, std::string> failed_path;   // path -> why it cannot be opened
  std::vector<std::map<int, std::vector<int>>> gops_of_file;  // gop -> ids
  plan.entry_file.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    auto failed = failed_path.find(paths[i]);
    if (failed != failed_path.end()) {
      plan.entry_file.push_back(-1);
      plan.entry_error[i] = failed->second;
      continue;
    }
    auto [it, inserted] = file_of_path.emplace(paths[i], static_cast<int>(plan.files.size()));
    if (inserted) {
      std::shared_ptr<const VideoIndex> index;
      try {
        index = index_of(paths[i]);
      } catch (const MediaError& e) {
        if (!tolerate_media_errors) throw;
        file_of_path.erase(it);
        failed_path.emplace(paths[i], e.what());
        plan.entry_file.push_back(-1);
        plan.entry_error[i] = e.what();
        continue;
      }
      plan.files.push_back(FileWork{paths[i], std::move(index), {}});
      gops_of_file.emplace_back();
    }
    plan.entry_file.push_back(it->second);
  }
  // Validate every id before any work is planned.
  for (size_t i = 0; i < paths.size(); ++i) {
    if (plan.entry_file[i] < 0) continue;
    const FileWork& file = plan.files[plan.entry_file[i]];
    try {
      check_frame_id(*file.index, i, frame_ids[i]);
    } catch (const MediaError& e) {
      if (!tolerate_media_errors) throw;
      plan.entry_error[i] = e.what();  // the file stays: its nearest frame may be wanted
      continue;
    }
    gops_of_file[plan.entry_file[i]][file.index->frames.gop_of_frame(frame_ids[i])].push_back(frame_ids[i]);
  }
  for (size_t f = 0; f < plan.files.size(); ++f) {
    for (auto& [gop, ids] : gops_of_file[f]) {
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      plan.files[f].gops.push_back(GopWork{gop, std::move(ids)});
    }
  }
  return plan;
}

}  // namespace odvd
