"""Input normalisations for pictures from elsewhere, measured by ``mmjax eval captioner --robustness``.

Shapes pictures are objects composited on black: ``x = alpha c``. A picture from elsewhere is
``x = alpha c + (1 - alpha) b + n`` for a background ``b`` and noise ``n``. The border of a Shapes picture is
mostly background (a large object near the edge touches it; two touch at most 3 sides, mostly 1 or 2), so

    b      = per-channel median of the border pixels
    sigma  = 2nd smallest over the 4 sides of (75th percentile of |side - b| / 0.674)   (noise level)
    alpha  = clip((max_ch |x - b| - t) / (T - t), 0, 1),  t = 3 sigma, T = t + 80

``background``: ``x - (1 - alpha) b`` (the object on black; the identity when b = 0, and exact wherever the
object covers a pixel fully, since then alpha = 1);
``denoise``: additionally multiplies by ``alpha`` only where ``alpha`` is 0, i.e. sets pixels within 3 sigma of
the background to black (the identity when the border is noiseless).
"""

from __future__ import annotations

import numpy as np

SPAN = 80.0  # distance from the background (0..255) above which a pixel counts as fully object
METHODS = ("none", "background", "denoise")


def _border(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x[:, 0], x[:, -1], x[:, 1:-1, 0], x[:, 1:-1, -1]], axis=1)  # [B, 4H - 4, 3]


def normalise(images: np.ndarray, method: str = "background") -> np.ndarray:
    """uint8 ``[B, H, W, 3]`` -> uint8 ``[B, H, W, 3]`` with the background mapped to black (see module doc)."""
    if method not in METHODS:
        raise ValueError(f"normalisation must be one of {', '.join(METHODS)}, got {method!r}")
    images = np.asarray(images)
    if method == "none":
        return images
    x = images.astype(np.float32)
    border = _border(x)
    b = np.median(border, axis=1)[:, None, None, :]  # [B, 1, 1, 3]
    sides = np.stack([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)  # [B, 4, W, 3]
    spread = np.percentile(np.abs(sides - b), 75, axis=2) / 0.674  # [B, 4, 3]
    sigma = np.sort(spread.max(-1), axis=-1)[:, 1][:, None, None]  # [B, 1, 1], the second quietest side
    distance = np.abs(x - b).max(-1)  # [B, H, W]
    threshold = 3.0 * sigma if method == "denoise" else np.zeros_like(sigma)
    alpha = np.clip((distance - threshold) / SPAN, 0.0, 1.0)[..., None]
    out = x - (1.0 - alpha) * b
    if method == "denoise":
        out = np.where(alpha > 0, out, 0.0)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
