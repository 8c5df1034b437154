"""An independent rasteriser of Shapes scenes: PIL's ``ImageDraw`` at 8x, downsampled with antialiasing.

It shares nothing with :mod:`mmjax.data.render` (signed distances, analytic coverage) except the world's
description: cell centres at 0.2, 0.5 and 0.8 of the canvas, objects of half-extent 0.11 (small) or 0.18
(large) of it, a square of half-side 0.85 r, a cross of arms 0.36 r wide, an upward triangle with its apex
1.2 r above the centre and its base 0.6 r below, 1.04 r either side. A model that learnt the *world* rather
than the renderer's pixels should caption these pictures as well as its own test split.

A :class:`Condition` then changes the picture the way pictures from elsewhere differ: the background level
and tint, blur, Gaussian noise, JPEG compression, objects shifted further within their cells.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mmjax.data import attributes as A
from mmjax.data.scene import Scene, ShapeObject

SUPERSAMPLE = 8
CELL_CENTRES = (0.2, 0.5, 0.8)  # fraction of the canvas, per row and per column
HALF_EXTENT = (0.11, 0.18)  # small, large


@dataclasses.dataclass(frozen=True)
class Condition:
    """How a picture departs from the training pictures (the default is none: black, sharp, clean)."""

    name: str
    background: tuple[int, int, int] = (0, 0, 0)
    blur: float = 0.0  # Gaussian blur radius in pixels of the 32 x 32 picture
    noise: float = 0.0  # standard deviation of additive Gaussian noise, in 0..255 units
    jpeg: int | None = None  # JPEG quality (1..95), None: no compression
    shift: float = 0.0  # extra sub-cell offset, uniform in [-shift, shift] pixels at 32 x 32 (train: +-1.5)


CONDITIONS = (
    Condition("black"),
    Condition("dark grey", background=(40, 40, 40)),
    Condition("mid grey", background=(128, 128, 128)),
    Condition("light grey", background=(200, 200, 200)),
    Condition("white", background=(255, 255, 255)),
    Condition("navy tint", background=(20, 25, 60)),
    Condition("beige tint", background=(225, 210, 180)),
    Condition("blur 0.7", blur=0.7),
    Condition("noise 8", noise=8.0),
    Condition("noise 20", noise=20.0),
    Condition("jpeg 75", jpeg=75),
    Condition("jpeg 30", jpeg=30),
    Condition("shift 3", shift=3.0),
    Condition("grey+noise+jpeg", background=(40, 40, 40), noise=8.0, jpeg=75),
)


def _draw_object(draw: ImageDraw.ImageDraw, obj: ShapeObject, centre: tuple[float, float], canvas: int) -> None:
    cy, cx = centre
    r = HALF_EXTENT[obj.size] * canvas
    fill = A.COLOUR_RGB[obj.colour]
    shape = A.SHAPES[obj.shape]
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "square":
        h = 0.85 * r
        draw.rectangle((cx - h, cy - h, cx + h, cy + h), fill=fill)
    elif shape == "cross":
        arm = 0.36 * r
        draw.rectangle((cx - r, cy - arm, cx + r, cy + arm), fill=fill)
        draw.rectangle((cx - arm, cy - r, cx + arm, cy + r), fill=fill)
    else:  # triangle pointing up, centroid at the centre
        draw.polygon([(cx, cy - 1.2 * r), (cx + 1.04 * r, cy + 0.6 * r), (cx - 1.04 * r, cy + 0.6 * r)], fill=fill)


def rasterise(scene: Scene, condition: Condition = CONDITIONS[0], seed: int = 0, image_size: int = 32) -> np.ndarray:
    """uint8 ``[image_size, image_size, 3]`` picture of ``scene`` (frame 0) under ``condition``.

    ``seed`` draws the condition's randomness (the noise and the extra shift): a pure function of its arguments.
    """
    rng = np.random.default_rng([int(seed), 0x5EED])
    canvas = image_size * SUPERSAMPLE
    picture = Image.new("RGB", (canvas, canvas), tuple(condition.background))
    draw = ImageDraw.Draw(picture)
    for obj in scene.objects:
        extra = rng.uniform(-condition.shift, condition.shift, size=2) if condition.shift else np.zeros(2)
        offset = (np.asarray(obj.jitter) + extra) * image_size / 32.0 * SUPERSAMPLE
        centre = (CELL_CENTRES[obj.row] * canvas + offset[0], CELL_CENTRES[obj.col] * canvas + offset[1])
        _draw_object(draw, obj, centre, canvas)
    picture = picture.resize((image_size, image_size), Image.Resampling.LANCZOS)
    if condition.blur:
        picture = picture.filter(ImageFilter.GaussianBlur(condition.blur))
    pixels = np.asarray(picture, np.float32)
    if condition.noise:
        pixels = pixels + rng.normal(0.0, condition.noise, pixels.shape)
    pixels = np.clip(np.round(pixels), 0, 255).astype(np.uint8)
    if condition.jpeg is not None:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=int(condition.jpeg))
        pixels = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), np.uint8)
    return pixels
