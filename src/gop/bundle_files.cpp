#include "gop/bundle_files.hpp"

#include <algorithm>

#include "odvd/error.hpp"
#include "util/file_io.hpp"
#include "util/thread_pool.hpp"

namespace odvd {
namespace {

// A call has a handful of bundles: a few threads read and check them.
constexpr size_t kBundleThreads = 8;

}  // namespace

std::vector<uint8_t> read_bundle_file(const std::string& path) {
  const std::string what = quoted(path);
  auto head = [&](const uint8_t* h, size_t n, uint64_t size) { check_bundle_head(h, n, size, what); };
  return read_whole_file(path, uint64_t{1} << 34, head);
}

std::vector<std::vector<uint8_t>> load_bundle_files(const std::vector<std::string>& files) {
  std::vector<std::vector<uint8_t>> out(files.size());
  run_parallel(kBundleThreads, files.size(),
               [&](size_t i) { out[i] = validated_bundle(read_bundle_file(files[i]), quoted(files[i])); });
  return out;
}

std::vector<GopRecord> records_of_bundle_files(const std::vector<std::string>& entries) {
  std::vector<std::string> files = entries;
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<std::vector<GopRecord>> parsed(files.size());
  run_parallel(kBundleThreads, files.size(), [&](size_t i) {
    const std::vector<uint8_t> raw = read_bundle_file(files[i]);
    parsed[i] = parse_bundle(raw.data(), raw.size(), quoted(files[i]));
  });
  std::vector<GopRecord> records;
  for (const std::string& entry : entries) {
    const size_t i = static_cast<size_t>(std::lower_bound(files.begin(), files.end(), entry) - files.begin());
    for (const GopRecord& r : parsed[i]) records.push_back(r);  // a copy: another entry may use it too
  }
  return records;
}

std::vector<GopRecord> parse_bundles(const std::vector<std::pair<const uint8_t*, size_t>>& bundles,
                                     const std::vector<std::string>& names) {
  std::vector<std::vector<GopRecord>> parts(bundles.size());
  run_parallel(kBundleThreads, bundles.size(),
               [&](size_t i) { parts[i] = parse_bundle(bundles[i].first, bundles[i].second, names[i]); });
  std::vector<GopRecord> records;
  for (std::vector<GopRecord>& part : parts) {
    for (GopRecord& r : part) records.push_back(std::move(r));
  }
  return records;
}

}  // namespace odvd
