"""Rendering scenes to images and videos with signed distance functions.

Each shape is a signed distance function ``sdf(p)`` (negative inside, in pixels). Anti-aliased
coverage of a pixel whose centre is at distance ``d`` from the edge is the linear ramp

    alpha = clip(0.5 - sdf(p), 0, 1)

which is the exact pixel coverage of a straight edge crossing the pixel axis-aligned, and a close
approximation otherwise. Colour is composited as ``img = (1 - alpha) * img + alpha * rgb``.
"""

from __future__ import annotations

import functools

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.scene import Scene, ShapeObject

MIN_IMAGE_SIZE = 16  # below this a small object is under 4 pixels wide and shapes no longer read
MARGIN = 0.2  # grid-cell centres sit at MARGIN, 0.5 and 1 - MARGIN of the canvas
RADIUS = (0.11, 0.18)  # half-extent of a small and a large object, as a fraction of the canvas


def check_image_size(image_size: int) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
        raise TypeError(f"image_size must be an integer, got {type(image_size).__name__}")
    if image_size < MIN_IMAGE_SIZE:
        raise ValueError(f"image_size {image_size} cannot hold the objects legibly; use image_size >= {MIN_IMAGE_SIZE}")
    return int(image_size)


@functools.lru_cache(maxsize=8)
def _pixel_grid(image_size: int) -> tuple[np.ndarray, np.ndarray]:
    centres = np.arange(image_size, dtype=np.float32) + 0.5
    return np.meshgrid(centres, centres, indexing="ij")  # y [H, W], x [H, W]


def cell_centre(row: float, col: float, image_size: int) -> tuple[float, float]:
    """Pixel coordinates (y, x) of a (possibly fractional) grid position."""
    span = (1 - 2 * MARGIN) * image_size / (A.GRID - 1)
    return MARGIN * image_size + row * span, MARGIN * image_size + col * span


def object_centre(obj: ShapeObject, image_size: int, progress=0.0, motion: int = 0):
    """Centre (y, x) of ``obj`` after moving ``progress`` (0..1, scalar or array) of one cell along ``motion``."""
    d_row, d_col = A.MOTION_STEP[A.MOTIONS[motion]]
    progress = np.asarray(progress, np.float32)
    y, x = cell_centre(obj.row + progress * d_row, obj.col + progress * d_col, image_size)
    scale = image_size / 32.0
    return y + obj.jitter[0] * scale, x + obj.jitter[1] * scale


def _box_sdf(dy: np.ndarray, dx: np.ndarray, half_h: float, half_w: float) -> np.ndarray:
    qy, qx = np.abs(dy) - half_h, np.abs(dx) - half_w
    outside = np.hypot(np.maximum(qy, 0), np.maximum(qx, 0))
    return outside + np.minimum(np.maximum(qy, qx), 0)


def shape_sdf(shape: int, dy: np.ndarray, dx: np.ndarray, radius: float) -> np.ndarray:
    """Signed distance (pixels) from offsets ``(dy, dx)`` to the edge of a shape of half-extent ``radius``."""
    name = A.SHAPES[shape]
    if name == "circle":
        return np.hypot(dy, dx) - radius
    if name == "square":
        return _box_sdf(dy, dx, 0.85 * radius, 0.85 * radius)  # 0.85: similar area to the circle
    if name == "cross":
        arm = 0.36 * radius
        return np.minimum(_box_sdf(dy, dx, radius, arm), _box_sdf(dy, dx, arm, radius))
    # triangle pointing up, centroid at the origin: apex at -1.2 r, base at +0.6 r, half-base 1.04 r
    apex, base, half_base = -1.2 * radius, 0.6 * radius, 1.04 * radius
    side = np.hypot(base - apex, half_base)
    # outward normal of the right edge (apex -> base corner) is (-half_base, base - apex) / side in (y, x)
    to_sides = (-half_base * (dy - apex) + (base - apex) * np.abs(dx)) / side
    return np.maximum(dy - base, to_sides)


def render_frames(scene: Scene, image_size: int, progress: np.ndarray) -> np.ndarray:
    """uint8 frames ``[T, H, W, 3]`` of ``scene`` moved ``progress[t]`` (0..1) of a cell along its motion.

    All frames are rendered at once: pixel coordinates ``[1, H, W]`` broadcast against centres ``[T, 1, 1]``.
    """
    image_size = check_image_size(image_size)
    progress = np.asarray(progress, np.float32).reshape(-1, 1, 1)  # [T, 1, 1]
    y, x = _pixel_grid(image_size)  # [H, W]
    canvas = np.zeros((progress.shape[0], image_size, image_size, 3), np.float32)
    for obj in scene.objects:  # later objects are drawn over earlier ones
        cy, cx = object_centre(obj, image_size, progress, scene.motion)
        radius = RADIUS[obj.size] * image_size
        alpha = np.clip(0.5 - shape_sdf(obj.shape, y - cy, x - cx, radius), 0.0, 1.0)[..., None]
        canvas *= 1.0 - alpha
        canvas += alpha * np.asarray(A.COLOUR_RGB[obj.colour], np.float32)
    return np.round(canvas).astype(np.uint8)


def render_frame(scene: Scene, image_size: int = 32, progress: float = 0.0) -> np.ndarray:
    """One uint8 RGB frame ``[H, W, 3]`` of ``scene``, moved ``progress`` of a cell along its motion."""
    return render_frames(scene, image_size, np.array([progress]))[0]


def render_image(scene: Scene, image_size: int = 32) -> np.ndarray:
    """The still image of a scene: frame 0, objects at their labelled cells. ``[H, W, 3]`` uint8."""
    return render_frame(scene, image_size, 0.0)


def render_video(scene: Scene, image_size: int = 32, num_frames: int = 8) -> np.ndarray:
    """``[T, H, W, 3]`` uint8: the scene slides one grid cell in its motion direction over ``T`` frames."""
    if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)) or num_frames < 2:
        raise ValueError(f"num_frames must be an integer >= 2, got {num_frames!r}")
    return render_frames(scene, image_size, np.linspace(0.0, 1.0, num_frames))
