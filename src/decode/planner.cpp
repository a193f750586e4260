#include "decode/planner.hpp"

#include <algorithm>
#include <map>
#include <numeric>
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

// Note [GOP lanes]
//   A file's GOPs used to decode one after another on the file's one session, so a call
//   asking several GOPs of few files (4 random frames of each of 6 cameras: up to 24 GOPs,
//   6 sessions) kept only as many NVDEC sessions busy as it had files, and the engines
//   idled (bench/RESULTS.md: multi4 at 56% NVML, where a peer opening one decoder per
//   entry reached 85%). Distinct GOPs share nothing but the file, so they may decode at
//   once on sessions of their own; frames of one GOP still share its decode.
//   The call may use as many sessions as its decoder keeps per call (maxfiles): each
//   file has lane 0 (the session it always had, so a lone GOP and sequential patterns
//   meet their warm state), and the spare sessions go one at a time to the file whose
//   lanes have the most work each, while it has more GOPs than lanes. Inside a file the
//   GOPs go longest first to the least loaded lane (work = pictures from the key to the
//   last wanted frame), then each lane decodes its GOPs in file order. Nothing here
//   depends on the device: on the CPU back end lanes are parallel libavcodec decodes.

int gop_work(const FileWork& file, const GopWork& gop) {
  const FrameIndex& frames = file.index->frames;
  int last = frames.gop(gop.gop).key_packet;
  for (int id : gop.frame_ids) last = std::max(last, frames.packet_of_frame(id));
  return last - frames.gop(gop.gop).key_packet + 1;
}

std::vector<Lane> plan_lanes(const DecodePlan& plan, size_t sessions) {
  const size_t files = plan.files.size();
  std::vector<std::vector<int>> work(files);  // per file, per GOP
  std::vector<int64_t> total(files, 0);
  std::vector<size_t> lanes(files, 1);
  for (size_t f = 0; f < files; ++f) {
    for (const GopWork& g : plan.files[f].gops) {
      work[f].push_back(gop_work(plan.files[f], g));
      total[f] += work[f].back();
    }
    if (work[f].empty()) lanes[f] = 0;  // every entry of the file failed before decoding
  }
  size_t used = std::accumulate(lanes.begin(), lanes.end(), size_t{0});
  while (used < sessions) {
    // The file with the most work per lane that can still split (a ratio compare).
    size_t best = files;
    for (size_t f = 0; f < files; ++f) {
      if (lanes[f] == 0 || lanes[f] >= work[f].size()) continue;
      if (best == files || total[f] * static_cast<int64_t>(lanes[best]) > total[best] * static_cast<int64_t>(lanes[f]))
        best = f;
    }
    if (best == files) break;
    ++lanes[best];
    ++used;
  }
  std::vector<Lane> out;
  for (size_t f = 0; f < files; ++f) {
    if (lanes[f] == 0) continue;
    std::vector<size_t> order(work[f].size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return work[f][a] > work[f][b]; });
    const size_t first = out.size();
    std::vector<int64_t> load(lanes[f], 0);
    for (size_t k = 0; k < lanes[f]; ++k) out.push_back(Lane{f, static_cast<int>(k), {}});
    for (size_t g : order) {
      const size_t k = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      load[k] += work[f][g];
      out[first + k].gops.push_back(g);
    }
    for (size_t k = 0; k < lanes[f]; ++k) std::sort(out[first + k].gops.begin(), out[first + k].gops.end());
  }
  return out;
}

}  // namespace odvd
