"""Audio: the sonification is invertible for every drawn attribute."""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, decode_audio, sonify
from mmjax.data.scene import Scene, ShapeObject, sample_scene


def _drawn(scene):
    return [(o.shape, o.colour, o.size, o.row, o.col) for o in scene.objects], scene.relation


@pytest.mark.parametrize("split", ["train", "test_heldout"])
def test_every_attribute_is_recovered_from_the_sound(split):
    for i in range(400):
        scene = sample_scene(0, split, i)
        clip = sonify(scene)
        assert clip.shape == (NUM_SAMPLES,) and clip.dtype == np.float32
        assert np.abs(clip).max() <= 1.0
        assert _drawn(decode_audio(clip)) == _drawn(scene.canonical())


def test_all_attribute_combinations_decode():
    for shape in range(len(A.SHAPES)):
        for colour in range(len(A.COLOURS)):
            for size in range(len(A.SIZES)):
                for cell in range(9):
                    scene = Scene((ShapeObject(shape, colour, size, *divmod(cell, 3)),), A.NO_RELATION, 0)
                    assert _drawn(decode_audio(sonify(scene))) == _drawn(scene)


def test_each_attribute_changes_the_sound():
    base = ShapeObject(0, 0, 0, 1, 1)
    clip = sonify(Scene((base,), A.NO_RELATION, 0))
    for change in ({"shape": 1}, {"colour": 1}, {"size": 1}, {"row": 0}):
        fields = {**base.__dict__, **change}
        other = sonify(Scene((ShapeObject(**fields),), A.NO_RELATION, 0))
        assert not np.allclose(clip, other), change


def test_decode_rejects_wrong_shapes_and_silence():
    with pytest.raises(ValueError, match="mono clip of shape"):
        decode_audio(np.zeros((2, NUM_SAMPLES)))
    with pytest.raises(ValueError, match="holds 0 notes"):
        decode_audio(np.zeros(NUM_SAMPLES))
