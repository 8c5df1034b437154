"""Scenes: determinism, split rules, geometry of relations and motions, and clear errors."""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.scene import sample_scene, scene_from_labels


def test_example_is_a_pure_function_of_seed_split_index():
    assert sample_scene(3, "train", 17) == sample_scene(3, "train", 17)
    assert sample_scene(3, "train", 17) != sample_scene(3, "train", 18)
    assert sample_scene(3, "train", 17) != sample_scene(4, "train", 17)
    assert sample_scene(3, "train", 17) != sample_scene(3, "test", 17)


def _pairs(scene):
    return {(o.colour, o.shape) for o in scene.objects}


@pytest.mark.parametrize("split", ["train", "test"])
def test_heldout_pairs_never_in_train_or_test(split):
    for i in range(3000):
        assert not _pairs(sample_scene(0, split, i)) & A.HELDOUT_PAIR_IDS


def test_heldout_split_uses_only_heldout_pairs_and_covers_them():
    seen = set()
    for i in range(500):
        pairs = _pairs(sample_scene(0, "test_heldout", i))
        assert pairs <= A.HELDOUT_PAIR_IDS
        seen |= pairs
    assert seen == A.HELDOUT_PAIR_IDS


def test_every_colour_and_shape_is_seen_in_train():
    scenes = [sample_scene(0, "train", i) for i in range(500)]
    assert {o.colour for s in scenes for o in s.objects} == set(range(len(A.COLOURS)))
    assert {o.shape for s in scenes for o in s.objects} == set(range(len(A.SHAPES)))


def test_relations_hold_and_motions_stay_on_the_grid():
    counts = np.zeros(len(A.RELATIONS))
    for i in range(1000):
        scene = sample_scene(1, "train", i)
        d_row, d_col = A.MOTION_STEP[A.MOTIONS[scene.motion]]
        for o in scene.objects:
            assert 0 <= o.row + d_row < 3 and 0 <= o.col + d_col < 3
        if len(scene.objects) == 2:
            a, b = scene.objects
            name = A.RELATIONS[scene.relation]
            counts[scene.relation] += 1
            expected = {
                "above": a.col == b.col and a.row < b.row,
                "below": a.col == b.col and a.row > b.row,
                "left of": a.row == b.row and a.col < b.col,
                "right of": a.row == b.row and a.col > b.col,
            }[name]
            assert expected, scene
            canonical = scene.canonical()
            assert A.RELATIONS[canonical.relation] in ("above", "left of")
        else:
            assert scene.relation == A.NO_RELATION
    assert counts.min() > 100  # all four relations are drawn


def test_labels_round_trip_and_pad_absent_object():
    for i in range(50):
        scene = sample_scene(0, "train", i)
        labels = scene.labels()
        assert labels["shape"].shape == (A.MAX_OBJECTS,)
        if len(scene.objects) == 1:
            assert labels["shape"][1] == A.ABSENT
        rebuilt = scene_from_labels(labels)
        assert [(o.shape, o.colour, o.size, o.row, o.col) for o in rebuilt.objects] == [
            (o.shape, o.colour, o.size, o.row, o.col) for o in scene.objects
        ]


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0, "train", -1), ValueError, "index must be >= 0"),
        ((0, "validation", 0), ValueError, "unknown split 'validation'"),
        ((0, "train", 1.5), TypeError, "index must be an integer"),
        ((-2, "train", 0), ValueError, "seed must be >= 0"),
    ],
)
def test_bad_input_raises_clear_errors(args, error, message):
    with pytest.raises(error, match=message):
        sample_scene(*args)


def test_unknown_attribute_name_lists_accepted_values():
    with pytest.raises(ValueError, match="unknown shape 'hexagon'; expected one of circle, square"):
        A.index_of("hexagon", A.SHAPES, "shape")
