"""Video motion/per-frame scoring and caption fact scoring, on hand-made labels and true captions."""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.captions import describe
from mmjax.data.scene import sample_scene
from mmjax.metrics.captioning import caption_attribute_scores, caption_facts, scene_facts
from mmjax.metrics.judge.data import moved
from mmjax.metrics.video import motion_from_cells, temporal_smoothness, video_accuracy


def stacked(scenes):
    labels = [s.labels() for s in scenes]
    return {k: np.stack([label[k] for label in labels]) for k in labels[0]}


def judged_video(scenes, num_frames=4, frozen=False):
    """What a perfect judge reads off perfect videos: canonical labels, cells moved in the last frame."""
    first = stacked([s.canonical() for s in scenes])
    last = stacked([(s if frozen else moved(s)).canonical() for s in scenes])
    return {k: np.stack([first[k]] * (num_frames - 1) + [last[k]], axis=1) for k in first}


def test_motion_from_cells_reads_each_direction_and_rejects_non_moves():
    scenes = [sample_scene(0, "test", i) for i in range(100)]
    first, last = stacked([s.canonical() for s in scenes]), stacked([moved(s).canonical() for s in scenes])
    np.testing.assert_array_equal(motion_from_cells(first, last), [s.motion for s in scenes])
    assert (motion_from_cells(first, first) == A.ABSENT).all()  # no move is no motion


def test_video_accuracy_perfect_frozen_and_wrong_shape():
    scenes = [sample_scene(1, "test", i) for i in range(60)]
    target = stacked(scenes)
    perfect = video_accuracy(judged_video(scenes), target)
    assert all(v == 1.0 for v in perfect.values()), perfect
    frozen = video_accuracy(judged_video(scenes, frozen=True), target)
    assert frozen["motion"] == 0.0 and frozen["frame_shape"] == 1.0 and frozen["all_correct"] == 0.0
    wrong = judged_video(scenes)
    wrong["shape"][:30, 1, 0] = (wrong["shape"][:30, 1, 0] + 1) % len(A.SHAPES)  # one bad frame in half the videos
    scores = video_accuracy(wrong, target)
    assert scores["all_correct"] == pytest.approx(0.5) and scores["motion"] == 1.0
    assert scores["frame_all_correct"] == pytest.approx(1 - 30 / (60 * 4))
    again, clips = video_accuracy(wrong, target, return_clips=True)  # the same scores, and each clip's verdict
    assert again == scores
    np.testing.assert_array_equal(clips["all_correct"], np.arange(60) >= 30)
    assert clips["motion"].all() and clips["frames"].mean() == scores["all_correct"]


def test_true_captions_state_exactly_the_scene_facts():
    scenes = [sample_scene(2, "test", i) for i in range(200)]
    for i, scene in enumerate(scenes):
        rng = np.random.default_rng(i)
        assert caption_facts(describe(scene, rng)) == scene_facts(scene)
        assert caption_facts(describe(scene, rng, video=True)) == scene_facts(scene, with_motion=True)


def test_caption_scores_count_wrong_and_unparseable_captions():
    scenes = [sample_scene(3, "test", i) for i in range(50)]
    captions = [describe(s, np.random.default_rng(i)) for i, s in enumerate(scenes)]
    perfect = caption_attribute_scores(captions, scenes)
    assert perfect["exact_match"] == perfect["f1"] == perfect["parse_rate"] == 1.0
    broken = caption_attribute_scores(["gibberish words here"] * 25 + captions[25:], scenes)
    assert broken["exact_match"] == 0.5 and broken["parse_rate"] == 0.5
    assert broken["precision"] == 1.0 and broken["recall"] < 0.6
    repeated = caption_attribute_scores(["a red circle a red circle a red circle"], scenes[:1])
    assert repeated["repetition"] == pytest.approx(1 - 3 / 8)
    with pytest.raises(ValueError, match="one caption per scene"):
        caption_attribute_scores(captions[:3], scenes)


def test_temporal_smoothness_of_still_steady_and_flickering_clips():
    still = np.full((2, 5, 4, 4, 3), 100, np.uint8)
    assert temporal_smoothness(still) == {"change": 0.0, "jerk": 0.0}
    steady = np.broadcast_to((np.arange(5) * 51).astype(np.uint8)[None, :, None, None, None], (2, 5, 4, 4, 3))
    np.testing.assert_allclose(temporal_smoothness(steady)["change"], 51 / 255, rtol=1e-6)  # a steady fade ...
    np.testing.assert_allclose(temporal_smoothness(steady)["jerk"], 0.0, atol=1e-7)  # ... changes evenly
    flicker = np.broadcast_to((np.arange(5) % 2 * 255).astype(np.uint8)[None, :, None, None, None], (1, 5, 2, 2, 3))
    assert temporal_smoothness(flicker) == {"change": 1.0, "jerk": 2.0}
    with pytest.raises(ValueError, match="T >= 3"):
        temporal_smoothness(still[:, :2])
