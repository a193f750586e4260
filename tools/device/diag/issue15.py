"""Device diagnostic for issue #15 (not a test; run on the GPU machine after `run_gpu.sh build`):

    PYTHONPATH=python python3 tools/device/diag/issue15.py VIDEO_NAME...

For each named test video: packet-list RGB (DecodeFromPacketList*) against direct RGB on NVDEC and
on the CPU back end, frame by frame, with the watermark each shows; then, when the MPEG-2 test
video exists, how far NVDEC's MPEG-2 frames are from libavcodec's (NVDEC_NOT_BIT_EXACT).
"""
import sys, hashlib
from pathlib import Path
import numpy as np
ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "tests/python"), str(ROOT / "tests/videos")]
import on_demand_video_decoder as nvc
import generate, watermark
from conftest import to_numpy, planar_yuv_bytes, read_framemd5
from test_bundles import decode_packet_lists, sample_ids
G = generate.DEFAULT_OUT
import json
man = json.loads((G / "manifest.json").read_text())
gpu = nvc.PyNvGopDecoder(maxfiles=16, iGpu=0, suppressNoColorRangeWarning=True)
cpu = nvc.PyNvGopDecoder(maxfiles=16, iGpu=-1, suppressNoColorRangeWarning=True)
for name in sys.argv[1:]:
    e = man["videos"][name]; path = str(G / e["file"])
    info = nvc._odvd.GetIndexInfo(path)
    ids = sample_ids(e["frame_count"], info["gop_first_frame_ids"])[:8]
    print("==", name, "color", info["color_range"], info["color_matrix"], "ids", ids)
    for dec, tag in ((gpu, "gpu"), (cpu, "cpu")):
        bundle, _, _ = dec.GetGOP([path] * len(ids), ids)
        pl = [to_numpy(f).copy() for f in decode_packet_lists(dec, bundle, ids)]
        di = [to_numpy(f).copy() for f in dec.DecodeN12ToRGB([path] * len(ids), ids)]
        for i, a, b in zip(ids, pl, di):
            d = np.abs(a.astype(int) - b.astype(int))
            print(f" {tag} id {i}: wm packetlist {watermark.read_watermark_rgb(a)} direct {watermark.read_watermark_rgb(b)}"
                  f" maxdiff {d.max()} mean {d.mean():.3f}")
if "mpeg2_gop12.mkv" in man["videos"]:
    e = man["videos"]["mpeg2_gop12.mkv"]; path = str(G / e["file"])
    md5 = read_framemd5(G / e["framemd5"])
    for fid in range(e["frame_count"]):
        g = to_numpy(gpu.Decode([path], [fid])[0]).astype(int); c = to_numpy(cpu.Decode([path], [fid])[0]).astype(int)
        print(f" mpeg2 {fid}: maxdiff {np.abs(g - c).max()} ndiff {(g != c).sum()} cpu_md5_ok {hashlib.md5(planar_yuv_bytes(cpu.Decode([path],[fid])[0])).hexdigest() == md5[fid]}")
