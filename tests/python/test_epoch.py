"""EpochSampler (issue #21, Note [Epoch plan]): every sample exactly once per epoch, each GOP
decoded once, a byte-bounded buffer, determinism, DDP shards, and the randomness report on a
hand-computed case. CPU back end; every emitted frame checked by its watermark."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the test command installs it)")

import watermark  # noqa: E402
from conftest import video_path  # noqa: E402
from on_demand_video_decoder.torch import (ClipIndex, EpochSampler, MultiCameraClipDataset, gop_groups,  # noqa: E402
                                           randomness_report)
from on_demand_video_decoder.torch._epoch import _figures  # noqa: E402


@pytest.fixture(scope="module")
def dataset(manifest):
    a, b = video_path(manifest, "h264_gop30.mp4"), video_path(manifest, "h264_bframes_gop24.mp4")
    index = ClipIndex({"ab": [a, b], "ba": [b, a], "aa": [a, a]}, progress=False)
    # Every frame of the shorter camera a sample (90 per recording), 2 cameras, 16x24 uint8.
    return MultiCameraClipDataset(index, clip_len=1, step=1, iGpu=-1, layout="NHWC")


def sample_bytes(dataset):
    return dataset[0]["frames"].numel()


def test_groups_follow_the_reference_cameras_gops(dataset):
    groups = gop_groups(dataset)
    assert sum(len(g) for g in groups) == len(dataset) == 270
    # Recording "ab" has GOP 30 in its reference camera: 3 groups of 30; "ba" has GOP 24
    # (0, 24, 48, 72, 96; 90 frames used): 24, 24, 24, 18.
    assert [len(g) for g in groups] == [30, 30, 30, 24, 24, 24, 18, 30, 30, 30]


@pytest.mark.parametrize("groups_of_buffer", [1, 3, 100])
def test_every_sample_exactly_once_and_each_gop_decoded_once(dataset, groups_of_buffer):
    budget = groups_of_buffer * 30 * sample_bytes(dataset)
    sampler = EpochSampler(dataset, buffer_bytes=budget, groups_in_flight=3, seed=7)
    decoder = dataset._decoder.get(64)
    before = decoder._stats()["packets_sent"]
    seen = []
    for item in sampler:
        for c in range(2):
            assert watermark.read_watermark_rgb(item["frames"][c, 0].numpy()) == item["frame_ids"][c, 0]
        seen.append(item["index"])
    assert sorted(seen) == list(range(len(dataset))) and seen == sampler.last_order
    sent = dataset._decoder.get(64)._stats()["packets_sent"] - before
    assert sent <= 2 * 270 * 1.1  # ~one picture per frame and camera (uniform access: ~15 each)
    assert sampler.peak_bytes <= max(budget, 30 * sample_bytes(dataset))


def test_an_epoch_stopped_early_says_what_it_emitted(dataset):
    sampler = EpochSampler(dataset, buffer_bytes=3 * 30 * sample_bytes(dataset), groups_in_flight=2, seed=5)
    full = [it["index"] for it in sampler]
    seen = []
    for item in sampler:
        seen.append(item["index"])
        if len(seen) == 50:
            break
    assert seen == full[:50] and sampler.last_order == seen  # as far as the consumer went
    assert 0 < sampler.peak_bytes <= 3 * 30 * sample_bytes(dataset)


def test_the_order_is_seeded_and_per_epoch(dataset):
    a = EpochSampler(dataset, buffer_bytes=1 << 30, seed=3)
    first = [it["index"] for it in a]
    assert [it["index"] for it in EpochSampler(dataset, buffer_bytes=1 << 30, seed=3)] == first
    a.set_epoch(1)
    assert [it["index"] for it in a] != first
    assert [it["index"] for it in EpochSampler(dataset, buffer_bytes=1 << 30, seed=4)] != first


def test_shards_are_disjoint_and_covering(dataset):
    orders = [[it["index"] for it in EpochSampler(dataset, num_replicas=3, rank=r, even=False, seed=1)]
              for r in range(3)]
    flat = [i for o in orders for i in o]
    assert sorted(flat) == list(range(len(dataset)))
    even = [EpochSampler(dataset, num_replicas=3, rank=r, seed=1) for r in range(3)]
    lengths = {len(s) for s in even}
    assert len(lengths) == 1
    for s, own in zip(even, orders):
        got = [it["index"] for it in s]
        assert len(got) == len(s) and got[:len(own)] == own  # then repeats of its first samples


def test_batches_and_the_randomness_report(dataset):
    sampler = EpochSampler(dataset, buffer_bytes=2 * 30 * sample_bytes(dataset), seed=2)
    batches = list(sampler.batches(32))
    assert [b["frames"].shape[0] for b in batches] == [32] * 8 + [14]
    report = randomness_report(sampler.last_order, dataset, batch_size=32, seed=2)
    assert report["uniform"]["same_recording_mean"] <= report["order"]["same_recording_mean"]
    assert report["order"]["same_recording_max"] <= 32
    assert report["order"]["gop_lag_median"] >= 1


def test_randomness_figures_on_a_hand_computed_order():
    # Samples 0..3; GOP groups 0, 0, 1, 0; recordings 0, 0, 1, 1; batches of 2.
    figures = _figures([0, 1, 2, 3], {0: 0, 1: 0, 2: 1, 3: 0}, {0: 0, 1: 0, 2: 1, 3: 1}, 2)
    assert figures["same_recording_mean"] == 2 and figures["same_recording_max"] == 2
    assert figures["same_recording_max_mean"] == 2
    # Group 0 at positions 0, 1, 3: lags 1 and 2.
    assert figures["gop_lag_mean"] == 1.5 and figures["gop_lag_median"] == 1.5
    assert figures["gop_lag_p10"] == pytest.approx(1.1)
    figures = _figures([0, 2, 1, 3], {0: 0, 1: 0, 2: 1, 3: 0}, {0: 0, 1: 0, 2: 1, 3: 1}, 2)
    assert figures["same_recording_mean"] == 1 and figures["gop_lag_mean"] == 1.5
    # Three in a batch from recordings 0, 0, 1: 1.5 per recording, 2 at most; then one alone.
    figures = _figures([0, 1, 2, 3], {0: 0, 1: 0, 2: 1, 3: 0}, {0: 0, 1: 0, 2: 1, 3: 1}, 3)
    assert figures["same_recording_mean"] == (1.5 + 1) / 2 and figures["same_recording_max_mean"] == 1.5


def test_simulate_gives_the_emitted_order_and_strides_decode_less(dataset):
    sampler = EpochSampler(dataset, buffer_bytes=40 * sample_bytes(dataset), seed=9, num_replicas=2, rank=1)
    assert sampler.simulate(sample_bytes(dataset)) == [it["index"] for it in sampler]
    # Sparse use: clips of 2 frames 5 apart, a clip every 15 frames: each group decodes up to its
    # last needed frame and skips what nobody needs (fewer pictures than frames in the GOPs).
    sparse = MultiCameraClipDataset(dataset.table.index, clip_len=2, stride=5, step=15, iGpu=-1, size=(8, 8))
    decoder = sparse._decoder.get(64)
    before = decoder._stats()["packets_sent"]
    assert sorted(it["index"] for it in EpochSampler(sparse, seed=1)) == list(range(len(sparse)))
    sent = decoder._stats()["packets_sent"] - before
    assert sent < 2 * 270  # every frame of every GOP would be 540 pictures


@pytest.mark.parametrize("in_flight, ahead", [(1, 1), (1, 5), (3, 8)])
def test_groups_handed_out_ahead_keep_the_order(dataset, in_flight, ahead):
    """However many groups decode at once or wait finished, the order is the simulated one
    and every frame its own (the order depends on the seed, the epoch and the rank only)."""
    budget = 2 * 30 * sample_bytes(dataset)
    sampler = EpochSampler(dataset, buffer_bytes=budget, groups_in_flight=in_flight, groups_ahead=ahead, seed=5)
    seen = []
    for item in sampler:
        assert watermark.read_watermark_rgb(item["frames"][1, 0].numpy()) == item["frame_ids"][1, 0]
        seen.append(item["index"])
    assert seen == sampler.simulate(sample_bytes(dataset))


def test_a_consumer_that_stops_early_cancels_the_groups_not_started(dataset):
    def packets_sent() -> int:
        return dataset._decoder.get(64)._stats()["packets_sent"]

    before = packets_sent()
    list(EpochSampler(dataset, buffer_bytes=1, seed=1))
    per_group = (packets_sent() - before) / len(gop_groups(dataset))  # 10 groups
    before = packets_sent()
    sampler = EpochSampler(dataset, buffer_bytes=1, groups_in_flight=1, groups_ahead=10, seed=1)
    for _ in sampler:
        break
    # The first group and the one started while it was taken: not all ten handed out.
    assert packets_sent() - before <= 3 * per_group


def test_arguments(dataset):
    with pytest.raises(ValueError, match=r"groups_ahead must be >= groups_in_flight \(4\), got 2"):
        EpochSampler(dataset, groups_ahead=2)
    with pytest.raises(ValueError, match="buffer_bytes must be >= 1"):
        EpochSampler(dataset, buffer_bytes=0)
    with pytest.raises(ValueError, match="rank must be 0..1"):
        EpochSampler(dataset, num_replicas=2, rank=5)
    with pytest.raises(TypeError, match="dataset must be a MultiCameraClipDataset"):
        EpochSampler([1, 2, 3])
