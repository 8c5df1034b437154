"""Clips as files a reader can open: an animated GIF, a PNG strip of the frames, a grid of clips.

    save_gif(clip, "circle.gif")                   # clip: uint8 [T, H, W, 3], played in a loop
    save_strip(clip, "circle.png")                 # the frames side by side (mmjax.utils.figures.strip)
    save_gif(tile(clips, columns=4), "all.gif")    # clips [N, T, H, W, 3] playing side by side

32-pixel frames are enlarged ``scale`` times by repeating pixels (nearest neighbour), so they stay sharp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mmjax.utils.figures import strip


def _check_clip(frames) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"a clip must be uint8 frames [T, H, W, 3], got {frames.dtype} {frames.shape}")
    return frames


def enlarge(frames: np.ndarray, scale: int) -> np.ndarray:
    """Every pixel repeated ``scale`` x ``scale`` times: ``[..., H, W, C]`` -> ``[..., scale H, scale W, C]``."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    return np.repeat(np.repeat(frames, scale, axis=-3), scale, axis=-2)


def tile(clips, columns: int, gap: int = 2, fill: int = 255) -> np.ndarray:
    """Clips ``[N, T, H, W, 3]`` laid out on a grid of ``columns``, frame by frame: ``[T, H', W', 3]``."""
    clips = np.asarray(clips)
    if clips.ndim != 5:
        raise ValueError(f"clips must be [N, T, H, W, 3], got shape {clips.shape}")
    count, steps, height, width, channels = clips.shape
    rows = -(-count // columns)
    out = np.full((steps, rows * (height + gap) - gap, columns * (width + gap) - gap, channels), fill, clips.dtype)
    for i, clip in enumerate(clips):
        top, left = (i // columns) * (height + gap), (i % columns) * (width + gap)
        out[:, top : top + height, left : left + width] = clip
    return out


def save_gif(frames, path: str | Path, fps: float = 8.0, scale: int = 4) -> Path:
    """An animated GIF of uint8 frames ``[T, H, W, 3]``, ``fps`` frames a second, looping forever."""
    from PIL import Image

    frames = enlarge(_check_clip(frames), scale)
    images = [Image.fromarray(frame) for frame in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return path


def save_strip(frames, path: str | Path, scale: int = 4, gap: int = 2) -> Path:
    """A PNG of the frames ``[T, H, W, 3]`` side by side, first to last from left to right."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(strip(enlarge(_check_clip(frames), scale), gap=gap)).save(path)
    return path
