// Reader of the GOP bundles NVIDIA's accvlab package writes ("legacy" bundles), so that
// stored datasets carry over. Read only: we never write this layout. The layout, the
// rules checked and the conversion to GopRecord are in docs/formats/gop-bundle.md,
// section "Legacy bundles (accvlab)".
//
// The layout has no magic and no checksum: parse_bundle() sends here whatever does not
// start with our magic, and damage is detected only structurally (counts, sentinels,
// offsets, sizes, then every record rule of our format on the converted record).
//
// Thread-safety: a pure function; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gop/gop_bundle.hpp"

namespace odvd {

// Parses a legacy bundle into records of our format. Throws MediaError naming `what`,
// the record and the field for anything the layout or our record rules reject.
std::vector<GopRecord> parse_legacy_bundle(const uint8_t* data, size_t size, const std::string& what,
                                           const BundleLimits& limits);

}  // namespace odvd
