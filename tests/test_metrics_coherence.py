"""Coherence (attribute accuracy against prompts) and diversity metrics on hand-made label batches."""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.scene import sample_scene
from mmjax.metrics.coherence import all_correct_per_sample, attribute_accuracy, canonical_labels, right_by_object_count
from mmjax.metrics.diversity import distinct_outcome_fraction, mean_pairwise_distance


def stacked(scenes):
    labels = [s.labels() for s in scenes]
    return {k: np.stack([label[k] for label in labels]) for k in labels[0]}


def test_canonical_labels_agree_with_scene_canonical():
    scenes = [sample_scene(0, "train", i) for i in range(200)]
    ours = canonical_labels(stacked(scenes))
    theirs = stacked([s.canonical() for s in scenes])
    for key in theirs:
        if key != "motion":
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_perfect_prediction_scores_one_and_swapped_prediction_does_not():
    scenes = [sample_scene(1, "test", i) for i in range(100)]
    target = stacked(scenes)
    truth = canonical_labels(target)
    scores = attribute_accuracy(truth, target)
    assert all(v == 1.0 for v in scores.values()), scores
    assert set(scores) >= {"num_objects", "shape", "colour", "size", "row", "col", "relation", "all_correct"}
    # Predicting the prompt's object order instead of the canonical one is wrong whenever they differ.
    naive = attribute_accuracy({k: v for k, v in target.items()}, target)
    assert naive["relation"] < 0.8 and naive["all_correct"] < 0.8


def test_unspecified_attributes_are_not_scored():
    target = stacked([sample_scene(2, "test", i) for i in range(50)])
    prediction = canonical_labels(target)
    prediction["row"] = np.zeros_like(prediction["row"])  # wrong positions...
    target["row"] = np.full_like(target["row"], A.ABSENT)  # ...that the prompt does not ask for
    scores = attribute_accuracy(prediction, target)
    assert "row" not in scores and scores["all_correct"] == 1.0


def test_accuracy_counts_one_wrong_attribute_exactly():
    target = stacked([sample_scene(3, "test", i) for i in range(40)])
    prediction = canonical_labels(target)
    prediction["colour"][:10, 0] = (prediction["colour"][:10, 0] + 1) % len(A.COLOURS)
    scores = attribute_accuracy(prediction, target)
    present = (target["colour"] != A.ABSENT).sum()
    assert scores["colour"] == pytest.approx(1 - 10 / present)
    assert scores["all_correct"] == pytest.approx(0.75)
    assert scores["shape"] == 1.0


def test_all_correct_splits_between_one_and_two_object_prompts():
    """A generator right on every one-object prompt and wrong on the second object of every two-object one:
    the mean says about a half, the split says which half."""
    target = stacked([sample_scene(4, "test", i) for i in range(80)])
    prediction = canonical_labels(target)
    two = target["num_objects"] == 2
    prediction["colour"][two, 1] = prediction["colour"][two, 0]  # both objects in the first one's colour
    differs = two & (target["colour"][:, 0] != target["colour"][:, 1])
    per_sample = all_correct_per_sample(prediction, target)
    np.testing.assert_array_equal(per_sample, ~differs)
    split = right_by_object_count(prediction, target)
    assert split["one_object_right"] == 1.0 and split["one_object_prompts"] == int((~two).sum())
    assert split["two_object_right"] == pytest.approx(1 - differs.sum() / two.sum())
    assert split["two_object_prompts"] == int(two.sum())
    assert attribute_accuracy(prediction, target)["all_correct"] == pytest.approx(per_sample.mean())
    only_one = {k: v[~two] for k, v in target.items()}
    assert np.isnan(right_by_object_count(canonical_labels(only_one), only_one)["two_object_right"])


def test_coherence_rejects_mismatched_batches():
    target = stacked([sample_scene(0, "test", i) for i in range(4)])
    with pytest.raises(ValueError, match="samples"):
        attribute_accuracy(canonical_labels(stacked([sample_scene(0, "test", i) for i in range(3)])), target)
    with pytest.raises(TypeError, match="dict of label arrays"):
        attribute_accuracy([1, 2], target)


def test_mean_pairwise_distance_closed_form_and_collapse():
    # Points 0, 1, 3 on a line: distances 1, 3, 2 -> mean 2.
    assert mean_pairwise_distance([[0.0], [1.0], [3.0]]) == pytest.approx(2.0)
    assert mean_pairwise_distance(np.ones((2, 5, 3))) == 0.0
    with pytest.raises(ValueError, match="S >= 2"):
        mean_pairwise_distance(np.ones((1, 3)))


def test_distinct_outcome_fraction():
    assert distinct_outcome_fraction([[0, 1, 2, 3], [0, 0, 0, 0]], num_possible=4) == pytest.approx((1 + 0.25) / 2)
    assert distinct_outcome_fraction([0, 1, 1, 0, 1, 0], num_possible=2) == 1.0
    with pytest.raises(ValueError, match="integers"):
        distinct_outcome_fraction([0.5, 1.0], num_possible=2)
