"""Rendering: what is drawn agrees with the labels, and the anti-aliased areas match geometry."""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.render import RADIUS, render_frame, render_image, render_video, shape_sdf
from mmjax.data.scene import Scene, ShapeObject, sample_scene


def _single(shape=0, colour=0, size=1, row=1, col=1, motion=0, jitter=(0.0, 0.0)):
    return Scene((ShapeObject(shape, colour, size, row, col, jitter),), A.NO_RELATION, motion)


def _object_mask(image, half=None):
    mask = image.max(axis=-1) > 0
    return mask


@pytest.mark.parametrize("image_size", [32, 64])
def test_colour_and_cell_of_every_object_match_labels(image_size):
    cell = image_size / 3
    for i in range(300):
        scene = sample_scene(0, "train", i)
        image = render_image(scene, image_size).astype(np.float64)
        for obj in scene.objects:
            # Objects are two cells apart, so the object's own cell (and its neighbours) isolate it.
            rows = slice(int(max(0, (obj.row - 0.5) * cell)), int(min(image_size, (obj.row + 1.5) * cell)))
            cols = slice(int(max(0, (obj.col - 0.5) * cell)), int(min(image_size, (obj.col + 1.5) * cell)))
            patch = image[rows, cols]
            weight = patch.max(axis=-1) / 255.0
            assert weight.sum() > 5, (i, obj)
            mean_rgb = (patch * weight[..., None]).sum((0, 1)) / weight.sum()
            distances = np.linalg.norm(np.asarray(A.COLOUR_RGB) - mean_rgb, axis=1)
            assert np.argmin(distances) == obj.colour, (i, obj, mean_rgb)
            ys, xs = np.mgrid[rows, cols] + 0.5
            centre_y, centre_x = (ys * weight).sum() / weight.sum(), (xs * weight).sum() / weight.sum()
            assert int(centre_y // cell) == obj.row and int(centre_x // cell) == obj.col, (i, obj)


@pytest.mark.parametrize(
    "shape, area_in_r2",
    [
        ("circle", np.pi),
        ("square", 1.7**2),
        ("triangle", 0.5 * 2.08 * 1.8),
        ("cross", 2 * (2 * 0.72) - 0.72**2),
    ],
)
def test_anti_aliased_area_matches_the_geometric_area(shape, area_in_r2):
    image_size = 64
    radius = RADIUS[1] * image_size
    y, x = np.mgrid[0:image_size, 0:image_size] + 0.5
    sdf = shape_sdf(A.SHAPES.index(shape), y - 32.3, x - 31.8, radius)
    coverage = np.clip(0.5 - sdf, 0, 1).sum()
    assert coverage == pytest.approx(area_in_r2 * radius**2, rel=0.02)


def test_sizes_and_shapes_differ_in_area():
    areas = {}
    for shape in range(len(A.SHAPES)):
        for size in range(len(A.SIZES)):
            image = render_image(_single(shape=shape, size=size), 32)
            areas[shape, size] = (image.max(-1) / 255.0).sum()
    for shape in range(len(A.SHAPES)):
        assert areas[shape, 1] > 2 * areas[shape, 0]


def test_video_starts_at_the_image_and_moves_one_cell_in_its_direction():
    for motion, (d_row, d_col) in enumerate(A.MOTION_STEP[m] for m in A.MOTIONS):
        scene = _single(motion=motion)
        video = render_video(scene, 32, 8)
        assert video.shape == (8, 32, 32, 3) and video.dtype == np.uint8
        np.testing.assert_array_equal(video[0], render_image(scene, 32))
        weights = video.max(-1).astype(np.float64)
        ys, xs = np.mgrid[0:32, 0:32] + 0.5
        centres = np.stack([((ys * w).sum() / w.sum(), (xs * w).sum() / w.sum()) for w in weights])
        displacement = centres[-1] - centres[0]
        assert np.sign(np.round(displacement)).tolist() == [d_row, d_col]
        steps = np.diff(centres, axis=0) @ np.array([d_row, d_col])
        assert (steps > 0).all()  # monotone motion, frame after frame


def test_rendering_is_deterministic_and_uint8():
    scene = sample_scene(0, "train", 5)
    a, b = render_image(scene), render_image(scene)
    assert a.dtype == np.uint8 and a.shape == (32, 32, 3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad, error", [(8, ValueError), (15, ValueError), (32.0, TypeError)])
def test_image_size_that_cannot_hold_objects_raises(bad, error):
    with pytest.raises(error, match="image_size"):
        render_frame(sample_scene(0, "train", 0), bad)


def test_bad_frame_count_raises():
    with pytest.raises(ValueError, match="num_frames"):
        render_video(sample_scene(0, "train", 0), 32, 1)
