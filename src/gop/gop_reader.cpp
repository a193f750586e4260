#include "gop/gop_reader.hpp"

#include "ffmpeg/nal_units.hpp"
#include "odvd/error.hpp"

namespace odvd {

// Note [A GOP is read after a seek]: a demuxer does not always cut a packet the same way
// when it reads on from the packet before as when it starts there after a seek. MPEG-TS
// gives the first packet after a seek a leading zero byte that, read on, ends the packet
// before (a 4-byte start code instead of a 3-byte one: 2,589 bytes against 2,588). Annex B
// says that byte means nothing, and valid streams decode bit-exact both ways
// (hevc_bframes.ts), yet libavcodec decoded every picture of a damaged HEVC GOP to other
// pixels with it (found by the video fuzzer:
// tests/fuzz/video_corpus/mpegts_hevc_lost_packets_cut_after_seek.ts). So the same frame
// came out in two ways depending on what was read before: a call for frame 19, whose
// packets end just before GOP 1's key, left the demuxer there, and frame 39 read after it
// differed from frame 39 read alone. Whoever reads a GOP from its key (a decode starting at
// the key, FileSession::restart; a record, GopExtractor) therefore seeks first, even where
// the demuxer stands at the key already: a GOP's bytes, and so its frames, depend on the
// file and the GOP only. Only a stream continuing across a GOP boundary (Note [Continuing a
// GOP]) reads on; its decoder carries state over the boundary anyway. A seek costs about
// what reading on does (RESULTS §25.3: an MP4 seek is an index lookup).

GopReader::GopReader(std::shared_ptr<const VideoIndex> index)
    : index_(std::move(index)),
      demuxer_(index_->path, /*probe_streams=*/false, index_->stream.stream_index),
      annexb_(index_->codecpar.get(), index_->stream.codec, !index_->nal_layout.annex_b),
      pkt_(av::make_packet()) {}

int GopReader::read_next() {
  av_packet_unref(pkt_.get());
  if (!demuxer_.read(pkt_.get())) {
    next_index_ = -1;
    throw MediaError(quoted(index_->path) + ": unexpected end of file while reading packets (file changed?)");
  }
  const int d = packet_read();
  if (d < 0) {
    next_index_ = -1;
    throw MediaError(quoted(index_->path) + ": read a packet that is not in the file's index (file changed?)");
  }
  next_index_ = d + 1;
  return d;
}

// The decode index of the packet in pkt_, -1 when the index has none like it: by
// timestamp, or by byte position in untimed streams (Note [Untimed streams]).
int GopReader::packet_read() {
  if (!index_->untimed) return index_->frames.packet_of_pts(pkt_->pts != AV_NOPTS_VALUE ? pkt_->pts : pkt_->dts);
  if (by_pos_.empty()) {
    for (int d = 0; d < index_->frames.packet_count(); ++d) by_pos_.emplace(index_->frames.packet(d).pos, d);
  }
  auto it = by_pos_.find(pkt_->pos);
  return it == by_pos_.end() ? -1 : it->second;
}

void GopReader::position_at(int target) {
  if (next_index_ == target) return;
  const IndexedPacket& p = index_->frames.packet(target);
  if (index_->untimed) {
    demuxer_.seek_to_byte(p.pos);
  } else {
    demuxer_.seek(p.dts != AV_NOPTS_VALUE ? p.dts : p.pts);
  }
  annexb_.reset();
  // Containers seek to a keyframe at or before the target; read up to it. A seek that
  // lands after the target (imprecise container indexes) falls back to the start.
  for (bool rewound = false;;) {
    int d = read_next();
    if (d == target) {
      next_index_ = target;  // the packet is in pkt_, consumed by read()
      return;
    }
    if (d > target) {
      if (rewound) throw MediaError(quoted(index_->path) + ": cannot find packet " + std::to_string(target));
      demuxer_.seek_to_start();
      rewound = true;
    }
  }
}

std::vector<EncodedPacket> GopReader::read(const std::vector<int>& decode_indices) {
  std::vector<EncodedPacket> out;
  if (decode_indices.empty()) return out;
  out.reserve(decode_indices.size());
  const FrameIndex& frames = index_->frames;
  bool have_current = false;  // pkt_ already holds the packet at next_index_
  if (next_index_ != decode_indices.front()) {
    position_at(decode_indices.front());
    have_current = true;
  }
  for (int wanted : decode_indices) {
    int d = -1;
    if (have_current) {
      d = next_index_;
      next_index_ = d + 1;
      have_current = false;
    }
    while (d != wanted) {
      d = read_next();
      if (d > wanted) throw MediaError(quoted(index_->path) + ": packets out of order (file changed?)");
    }
    const IndexedPacket& meta = frames.packet(d);
    if (meta.corrupt) {
      throw MediaError(quoted(index_->path) + ": the data of packet " + std::to_string(d) +
                       " is incomplete (the file is truncated or damaged)");
    }
    try {
      annexb_.convert(pkt_.get());
    } catch (const MediaError& e) {
      throw MediaError(quoted(index_->path) + ": packet " + std::to_string(d) + " is corrupt (" + e.what() + ")");
    }
    EncodedPacket packet;
    packet.pts = meta.pts;
    packet.dts = meta.dts;
    packet.decode_index = d;
    packet.key = meta.key;
    packet.data.assign(pkt_->data, pkt_->data + pkt_->size);
    av_packet_unref(pkt_.get());
    out.push_back(std::move(packet));
  }
  // Make a GOP self-contained: the parameter sets in force in front of its key (a read
  // that continues a stream needs none, and an old set there would be wrong after an
  // in-band change).
  EncodedPacket& first = out.front();
  const int32_t version = frames.packet(decode_indices.front()).parameter_sets;
  const auto& ps = version >= 0 ? index_->parameter_sets[static_cast<size_t>(version)] : annexb_.parameter_sets();
  if (first.key && !ps.empty() &&
      !inspect_packet(index_->stream.codec, NalLayout{}, first.data.data(), first.data.size()).parameter_sets) {
    first.data.insert(first.data.begin(), ps.begin(), ps.end());
  }
  return out;
}

}  // namespace odvd
