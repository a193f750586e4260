"""GOP bundles (SPEC §2, §4; docs/formats/gop-bundle.md) on every back end: the round
trips file -> bundle -> disk -> load -> decode (merged, list and packet-list forms) give
exactly the pixels of direct decoding; damaged bundles and wrong arguments are refused
with the right exception; demux-only calls never create a CUDA context.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import (frame_watermark, nvdec_supports, planar_yuv_bytes, read_framemd5,
                      skip_unless_bit_exact, to_numpy, video_path)
import generate

ALL_VIDEOS = [c.file for c in generate.CASES]


@pytest.fixture(scope="module")
def decoder(igpu):
    return nvc.PyNvGopDecoder(maxfiles=8, iGpu=igpu, suppressNoColorRangeWarning=True)


@pytest.fixture(scope="module")
def demuxer():
    """Demux-only calls need no GPU: a CPU-back-end object serves every back end."""
    return nvc.PyNvGopDecoder(maxfiles=8, iGpu=-1, suppressNoColorRangeWarning=True)


def skip_unsupported(backend: str, entry: dict) -> None:
    skip_unless_bit_exact(backend, entry)
    if backend == "nvdec" and not nvdec_supports(entry):
        pytest.skip(f"NVDEC on this GPU does not decode {entry['codec']} {entry['bit_depth']}-bit {entry['pix_fmt']} "
                    f"at {entry['width']}x{entry['height']} (the refusal is tested in test_decode.py)")


def sample_ids(frame_count: int, gop_firsts: list[int]) -> list[int]:
    """First, last and a middle frame of every GOP (at most 8 ids per call)."""
    ids = set()
    bounds = gop_firsts + [frame_count]
    for a, b in zip(bounds, bounds[1:]):
        ids.update({a, (a + b - 1) // 2, b - 1})
    return sorted(ids)


def chunks(items: list, n: int = 8):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def rgb_of(frames) -> list[np.ndarray]:
    return [to_numpy(f).copy() for f in frames]


def same_images(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Equal lists of images (sizes may differ from image to image)."""
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_bundle_round_trips_give_the_pixels_of_direct_decoding(decoder, demuxer, backend, manifest, name, tmp_path):
    entry = manifest["videos"][name]
    skip_unsupported(backend, entry)
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    info = nvc._odvd.GetIndexInfo(path)
    for n, ids in enumerate(chunks(sample_ids(entry["frame_count"], info["gop_first_frame_ids"]))):
        paths = [path] * len(ids)
        bundle, firsts, lens = demuxer.GetGOP(paths, ids)
        assert bundle.dtype == np.uint8 and bundle.ndim == 1
        for fid, first, length in zip(ids, firsts, lens):
            g = info["gop_first_frame_ids"].index(first)
            assert length == info["gop_lengths"][g] and first <= fid < first + length
        # YUV from the bundle is bit-exact (framemd5).
        for fid, frame in zip(ids, decoder.DecodeFromGOP(bundle, paths, ids)):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid}"
        direct = rgb_of(decoder.DecodeN12ToRGB(paths, ids))
        # Merged bundle through a file.
        saved = tmp_path / f"sub/dir/{n}.gop"
        nvc.SavePacketsToFile(bundle, str(saved))
        loaded = decoder.LoadGops([str(saved)])
        assert same_images(rgb_of(decoder.DecodeFromGOPRGB(loaded, paths, ids)), direct)
        # List form, one file per entry, loaded back and decoded together.
        files = []
        for i, (one, first, length) in enumerate(demuxer.GetGOPList(paths, ids)):
            assert (first, length) == ([firsts[i]], [lens[i]])
            files.append(str(tmp_path / f"list{n}_{i}.gop"))
            nvc.SavePacketsToFile(one, files[-1])
        as_list = decoder.LoadGopsToList(files)
        assert same_images(rgb_of(decoder.DecodeFromGOPListRGB(as_list, paths, ids)), direct)
        merged = decoder.MergePacketDataToOne(as_list)
        assert same_images(rgb_of(decoder.DecodeFromGOPRGB(merged, paths, ids, as_bgr=True)),
                           [d[..., ::-1].copy() for d in direct])
        # Packet-list form through ParseSerializedPacketBundle.
        assert same_images(rgb_of(decode_packet_lists(decoder, bundle, ids)), direct)


def decode_packet_lists(decoder, bundle, ids, as_bgr=False):
    (ranges, codecs, widths, heights, frame_sizes, gop_lens, firsts, payloads, payload_sizes, packet_sizes,
     packet_ids) = decoder.ParseSerializedPacketBundle(bundle)
    assert len(codecs) == len(ids)
    datas = []
    for payload, size, sizes in zip(payloads, payload_sizes, packet_sizes):
        assert payload.nbytes == size == sum(sizes)
        offsets = np.cumsum([0] + list(sizes))
        datas.append([payload[a:b] for a, b in zip(offsets, offsets[1:])])
    assert decoder.DecodeFromPacketListInitialize(codecs) == 0
    return decoder.DecodeFromPacketListRGB(datas, packet_ids, widths, heights, ids, as_bgr)


def test_parse_serialized_bundle_describes_each_record(demuxer, manifest):
    path = video_path(manifest, "hevc_10bit.mkv")
    entry = manifest["videos"]["hevc_10bit.mkv"]
    bundle, firsts, lens = demuxer.GetGOP([path, path], [0, entry["frame_count"] - 1])
    parsed = demuxer.ParseSerializedPacketBundle(bundle)
    assert len(parsed) == 11
    ranges, codecs, widths, heights, frame_sizes, gop_lens, first_ids = parsed[:7]
    assert codecs == [nvc.Codec.hevc.value] * 2
    assert widths == [entry["width"]] * 2 and heights == [entry["height"]] * 2
    assert frame_sizes == [entry["width"] * entry["height"] * 3] * 2  # P016: 2 bytes x 1.5 samples
    assert gop_lens == lens and first_ids == firsts
    for ids in parsed[10]:
        frames = [i for i in ids if i >= 0]
        assert len(frames) == len(set(frames))


def test_same_gop_twice_and_empty_calls(decoder, demuxer, manifest):
    path = video_path(manifest, "h264_bframes_gop24.mp4")
    bundle, firsts, lens = demuxer.GetGOP([path, path, path], [5, 6, 5])
    assert firsts == [0, 0, 0]
    frames = decoder.DecodeFromGOPRGB(bundle, [path] * 3, [5, 6, 5])
    direct = decoder.DecodeN12ToRGB([path] * 3, [5, 6, 5])
    assert same_images(rgb_of(frames), rgb_of(direct))
    assert demuxer.GetGOPList([], []) == []
    empty, f, n = demuxer.GetGOP([], [])
    assert (f, n) == ([], [])
    assert decoder.DecodeFromGOP(empty, [], []) == []


def test_entries_of_one_gop_decode_it_once(igpu, demuxer, manifest):
    """Note [Shared records]: GetGOP writes a record per entry, so entries of one GOP bring equal
    records; they decode that GOP once, as a decode from the file does (the same packets sent),
    with every frame bit-exact."""
    name = "h264_bframes_gop24.mp4"
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    ids = [5, 6, 5, 20, 30, 2]  # GOP 0 four times (5 twice), GOP 1 once, GOP 0 again last
    paths = [path] * len(ids)
    bundle, firsts, _ = demuxer.GetGOP(paths, ids)
    assert firsts == [0, 0, 0, 0, 24, 0]
    from_file = nvc.PyNvGopDecoder(8, igpu, True)
    direct = from_file.Decode(paths, ids)
    from_bundle = nvc.PyNvGopDecoder(8, igpu, True)
    got = from_bundle.DecodeFromGOP(bundle, paths, ids)
    assert [hashlib.md5(planar_yuv_bytes(f)).hexdigest() for f in got] == [md5[i] for i in ids]
    assert [hashlib.md5(planar_yuv_bytes(f)).hexdigest() for f in direct] == [md5[i] for i in ids]
    sent = from_bundle._stats()["packets_sent"]
    assert sent == from_file._stats()["packets_sent"], (sent, from_file._stats())
    # Each entry alone sends more: the GOP's packets up to its frame, once per entry.
    alone = nvc.PyNvGopDecoder(8, igpu, True)
    for i in range(len(ids)):
        one, _, _ = demuxer.GetGOP([path], [ids[i]])
        alone.DecodeFromGOP(one, [path], [ids[i]])
    assert alone._stats()["packets_sent"] > sent
    # Records alike but labelled apart (another name for the file) are not merged.
    other = nvc.PyNvGopDecoder(8, igpu, True)
    other.DecodeFromGOP(bundle, [path, path + "#2", path, path, path, path], ids)
    assert other._stats()["packets_sent"] > sent


def damaged_copies(demuxer, path: str, packet: int, copies: int) -> np.ndarray:
    """A bundle of `copies` equal records of GOP 0 of `path` whose packet `packet` is garbage
    (checksums recomputed, so the bundle parses and the damage reaches the decoder)."""
    bundle, _, _ = demuxer.GetGOP([path], [0])
    raw = bundle.tobytes()
    body_size, = struct.unpack_from("<Q", raw, 20)
    body = bytearray(raw[32:32 + body_size])
    assert len(raw) == 32 + body_size  # one record
    (_, _, _, _, _, _, _, payloads, _, sizes, _) = demuxer.ParseSerializedPacketBundle(bundle)
    offsets = np.cumsum([0] + list(sizes[0]))
    data = payloads[0][offsets[packet]:offsets[packet + 1]].tobytes()
    at = body.find(data)
    assert at > 0 and body.find(data, at + 1) < 0
    body[at:at + len(data)] = np.random.default_rng(packet).integers(0, 256, len(data), dtype=np.uint8).tobytes()
    record = raw[16:20] + struct.pack("<QI", body_size, zlib.crc32(bytes(body))) + bytes(body)
    return np.frombuffer(raw[:12] + struct.pack("<I", copies) + record * copies, np.uint8)


def test_shared_records_keep_the_damage_policy_per_frame(igpu, demuxer, manifest):
    """Equal records of a GOP whose packet 10 is garbage (h264_gop30.mp4 has no B-frames:
    frames from 10 on are refused) decode once for all their entries, and each entry gets
    what it would get alone: its frame, the nearest clean one, or a refusal naming its frame."""
    path = video_path(manifest, "h264_gop30.mp4")
    ids = [5, 12, 20, 5, 9]
    bundle = damaged_copies(demuxer, path, 10, len(ids))
    for policy, want in (("skip", [5, None, None, 5, 9]), ("nearest", [5, 9, 9, 5, 9])):
        dec = nvc.PyNvGopDecoder(8, igpu, True, on_error=policy)
        got = dec.DecodeFromGOP(bundle, [path] * len(ids), ids)
        assert [None if f is None else frame_watermark(f) for f in got] == want, policy
        report = dec.GetLastReport()
        assert [(r["entry"], r["requested"], r["returned"]) for r in report] == [(1, 12, want[1]), (2, 20, want[2])]
        for r in report:
            assert f"frame {r['requested']}" in r["reason"], r
        # Once for all five: the packets from the key to frame 20, not five runs.
        assert dec._stats()["packets_sent"] <= 21 + (policy == "nearest") * 2 * 30, dec._stats()
    with pytest.raises(RuntimeError, match="frame 12"):
        nvc.PyNvGopDecoder(8, igpu, True).DecodeFromGOP(bundle, [path] * len(ids), ids)


# ----------------------------------------------------------------------------- errors

def test_record_count_and_id_range_are_checked(decoder, demuxer, manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    bundle, _, _ = demuxer.GetGOP([path, path], [3, 40])  # GOPs 0..29 and 30..59
    with pytest.raises(ValueError, match="2 record"):
        decoder.DecodeFromGOP(bundle, [path], [3])
    with pytest.raises(ValueError, match=r"frame id 31 is not in the GOP of record 0 \(frames 0\.\.29\)"):
        decoder.DecodeFromGOP(bundle, [path, path], [31, 40])
    with pytest.raises(ValueError, match="record 1"):
        decoder.DecodeFromGOPRGB(bundle, [path, path], [3, 2])
    with pytest.raises(ValueError):
        decoder.DecodeFromGOP(bundle, [path, path], [3])
    with pytest.raises(ValueError, match="uint8"):
        decoder.DecodeFromGOP(np.zeros(4, np.float32), [path], [0])


def test_damaged_bundles_raise_runtime_error(decoder, demuxer, manifest, tmp_path):
    path = video_path(manifest, "h264_gop30.mp4")
    bundle, _, _ = demuxer.GetGOP([path], [3])
    rng = np.random.default_rng(7)
    for offset in list(range(0, 64)) + list(rng.integers(64, bundle.nbytes, 40)):
        bad = bundle.copy()
        bad[offset] ^= 0x5A
        with pytest.raises(RuntimeError):
            decoder.DecodeFromGOP(bad, [path], [3])
    for cut in (0, 3, 16, bundle.nbytes // 2, bundle.nbytes - 1):
        with pytest.raises(RuntimeError):
            decoder.DecodeFromGOP(bundle[:cut], [path], [3])
    with pytest.raises(RuntimeError, match="trailing|after the last record|extra"):
        decoder.DecodeFromGOP(np.concatenate([bundle, np.zeros(3, np.uint8)]), [path], [3])
    # Files: missing, damaged; empty lists.
    missing = str(tmp_path / "missing.gop")
    for load in (decoder.LoadGops, decoder.LoadGopsToList, decoder.LoadGopList):
        with pytest.raises(RuntimeError, match="missing.gop"):
            load([missing])
        with pytest.raises(ValueError):
            load([])
    damaged = tmp_path / "damaged.gop"
    damaged.write_bytes(bytes(bundle[:-5]))
    with pytest.raises(RuntimeError, match="damaged.gop"):
        decoder.LoadGops([str(damaged)])
    # Files are read and checked at once; the error named is the first bad file in the list,
    # as a serial load would report, among more files than loader threads.
    good = tmp_path / "good.gop"
    good.write_bytes(bundle.tobytes())
    also_damaged = tmp_path / "also_damaged.gop"
    also_damaged.write_bytes(bytes(bundle[:-7]))
    files = [str(good)] * 9 + [str(damaged)] + [str(good)] * 3 + [str(also_damaged)]
    for load in (decoder.LoadGops, decoder.LoadGopsToList):
        with pytest.raises(RuntimeError, match="'[^']*/damaged.gop'"):
            load(files)
    assert len(decoder.LoadGopsToList([str(good)] * 12)) == 12
    with pytest.raises(ValueError):
        decoder.MergePacketDataToOne([])


def test_save_is_atomic_and_refuses_what_is_not_a_bundle(demuxer, manifest, tmp_path):
    path = video_path(manifest, "h264_gop30.mp4")
    bundle, _, _ = demuxer.GetGOP([path], [3])
    dst = tmp_path / "a" / "b" / "c.gop"
    nvc.SavePacketsToFile(bundle, str(dst))
    assert dst.read_bytes() == bundle.tobytes()
    nvc.SavePacketsToFile(bundle, dst)  # os.PathLike, overwrite
    with pytest.raises(RuntimeError):
        nvc.SavePacketsToFile(np.arange(100, dtype=np.uint8), str(tmp_path / "junk.gop"))
    assert not (tmp_path / "junk.gop").exists()
    assert sorted(p.name for p in dst.parent.iterdir()) == ["c.gop"]  # no temporary files left
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o500)
    try:
        if os.access(tmp_path / "ro", os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(RuntimeError, match="ro"):
            nvc.SavePacketsToFile(bundle, str(tmp_path / "ro" / "x.gop"))
    finally:
        os.chmod(tmp_path / "ro", 0o700)


def test_packet_list_arguments_are_checked(decoder, demuxer, manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    bundle, _, _ = demuxer.GetGOP([path], [3])
    parsed = decoder.ParseSerializedPacketBundle(bundle)
    with pytest.raises(ValueError, match="cudaVideoCodec"):
        decoder.DecodeFromPacketListInitialize([99])
    decoder.DecodeFromPacketListInitialize([4, 4])
    sizes = parsed[9][0]
    offsets = np.cumsum([0] + list(sizes))
    datas = [[parsed[7][0][a:b] for a, b in zip(offsets, offsets[1:])]]
    with pytest.raises(RuntimeError, match="DecodeFromPacketListInitialize"):
        decoder.DecodeFromPacketListRGB(datas, parsed[10], parsed[2], parsed[3], [3])
    decoder.DecodeFromPacketListInitialize([4])
    with pytest.raises(ValueError):
        decoder.DecodeFromPacketListRGB(datas, parsed[10], parsed[2], parsed[3], [3, 4])
    with pytest.raises(ValueError):
        decoder.DecodeFromPacketListRGB([datas[0][:-1]], parsed[10], parsed[2], parsed[3], [3])
    with pytest.raises(ValueError, match="frame id 99"):
        decoder.DecodeFromPacketListRGB(datas, parsed[10], parsed[2], parsed[3], [99])
    frames = decoder.DecodeFromPacketListRGB(datas, parsed[10], parsed[2], parsed[3], [3])
    assert np.array_equal(to_numpy(frames[0]), to_numpy(decoder.DecodeN12ToRGB([path], [3])[0]))


# ----------------------------------------------------------------------------- accvlab bundles

def legacy_bundle(decoder, bundle, relative_ids: bool) -> np.ndarray:
    """Writes the records of `bundle` in accvlab's layout (SPEC §4)."""
    (ranges, codecs, widths, heights, frame_sizes, gop_lens, firsts, payloads, _, packet_sizes,
     packet_ids) = decoder.ParseSerializedPacketBundle(bundle)
    records = []
    for i in range(len(codecs)):
        ids = [(d - firsts[i] if relative_ids and d >= 0 else d) for d in packet_ids[i]]
        if any(d < 0 for d in ids):
            pytest.skip("legacy bundles cannot express reference-only packets")
        sizes = list(packet_sizes[i]) + [0, -1]
        shown = ids + [0, 0]
        rec = struct.pack("<7i", ranges[i], codecs[i], widths[i], heights[i], frame_sizes[i], gop_lens[i], firsts[i])
        rec += struct.pack("<I", len(sizes)) + struct.pack(f"<{len(sizes)}i", *sizes)
        rec += struct.pack("<I", len(shown)) + struct.pack(f"<{len(shown)}i", *shown)
        rec += struct.pack("<Q", payloads[i].nbytes) + payloads[i].tobytes()
        records.append(rec)
    header_size = 4 + 8 * len(records)
    offsets, pos = [], header_size
    for rec in records:
        offsets.append(pos)
        pos += len(rec)
    raw = struct.pack("<I", len(records)) + struct.pack(f"<{len(records)}Q", *offsets) + b"".join(records)
    return np.frombuffer(raw, np.uint8).copy()


@pytest.mark.parametrize("relative_ids", [False, True])
def test_accvlab_bundles_decode_the_same(decoder, demuxer, manifest, backend, relative_ids, tmp_path):
    names = ["h264_gop30.mp4", "hevc_10bit.mkv"]
    for name in names:
        entry = manifest["videos"][name]
        if backend == "nvdec" and not nvdec_supports(entry):
            continue
        path = video_path(manifest, name)
        ids = [2, entry["frame_count"] - 1]
        bundle, _, _ = demuxer.GetGOP([path, path], ids)
        legacy = legacy_bundle(decoder, bundle, relative_ids)
        direct = rgb_of(decoder.DecodeN12ToRGB([path, path], ids))
        assert same_images(rgb_of(decoder.DecodeFromGOPRGB(legacy, [path, path], ids)), direct)
        nvc.SavePacketsToFile(legacy, str(tmp_path / "legacy.bin"))
        converted = decoder.LoadGops([str(tmp_path / "legacy.bin")])
        assert converted[:8].tobytes() == b"ODVDGOPB"
        assert same_images(rgb_of(decoder.DecodeFromGOPRGB(converted, [path, path], ids)), direct)
        damaged = legacy.copy()
        damaged[4:12] = 255  # first record offset far outside the buffer
        with pytest.raises(RuntimeError):
            decoder.DecodeFromGOPRGB(damaged, [path, path], ids)


@pytest.mark.parametrize("codec", [4, 8, 10, 11])
def test_garbage_packets_in_a_wellformed_bundle_raise_runtime_error(decoder, backend, codec, capfd):
    """A bundle can be structurally valid (the legacy layout has no checksum) and still carry
    garbage instead of a bitstream: a clear RuntimeError naming the entry, never a frame,
    and nothing printed by FFmpeg."""
    rng = np.random.default_rng(codec)
    sizes, ids = [500, 300, 300], [0, 1, 2]
    payload = rng.integers(0, 256, sum(sizes), dtype=np.uint8).tobytes()
    rec = struct.pack("<7i", 1, codec, 320, 240, 320 * 240 * 3 // 2, 3, 0)
    rec += struct.pack("<I", 5) + struct.pack("<5i", *sizes, 0, -1)
    rec += struct.pack("<I", 5) + struct.pack("<5i", *ids, 0, 0)
    rec += struct.pack("<Q", len(payload)) + payload
    bundle = np.frombuffer(struct.pack("<I", 1) + struct.pack("<Q", 12) + rec, np.uint8)
    for fid in (0, 2):
        with pytest.raises(RuntimeError, match="label.mp4"):
            decoder.DecodeFromGOP(bundle, ["label.mp4"], [fid])
    if backend == "cpu":
        assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", ["hevc_bframes.ts", "h264_bframes.ts", "h264_bframes_gop24.mp4"])
def test_a_record_is_the_same_whatever_was_extracted_before(manifest, name):
    """Note [A GOP is read after a seek]: a GOP extracted after others in one call is the
    record it is alone (MPEG-TS keys read a byte longer after a seek than read on)."""
    path = video_path(manifest, name)
    n = manifest["videos"][name]["frame_count"]
    ids = list(range(0, n, max(1, n // 8)))[:8]
    together = nvc.GetBundleInfo(nvc.PyNvGopDecoder(8, -1, True).GetGOP([path] * len(ids), ids)[0])
    for i, info in zip(ids, together):
        alone = nvc.GetBundleInfo(nvc.PyNvGopDecoder(1, -1, True).GetGOP([path], [i])[0])[0]
        assert info == alone, (i, info, alone)


def test_a_damaged_ts_gives_the_same_frames_from_records_as_from_the_file():
    """The video fuzzer's input: HEVC in MPEG-TS with lost TS packets, whose GOP 1 read on
    from GOP 0 decoded frame 24 to other pixels than the file path (no error either way)."""
    path = str(Path(__file__).resolve().parents[1] / "fuzz" / "video_corpus" /
               "mpegts_hevc_lost_packets_cut_after_seek.ts")
    ids = [0, 24]
    dec = nvc.PyNvGopDecoder(2, -1, True, worker_threads=1, decoder_threads=1)
    direct = [np.asarray(f) for f in dec.Decode([path] * 2, ids)]
    bundle = dec.GetGOP([path] * 2, ids)[0]
    fresh = nvc.PyNvGopDecoder(2, -1, True, worker_threads=1, decoder_threads=1)
    records = [np.asarray(f) for f in fresh.DecodeFromGOP(bundle, [path] * 2, ids)]
    assert [int((a != b).sum()) for a, b in zip(direct, records)] == [0, 0]
