"""A labelled contact sheet of the Shapes world: images with captions, video strips and spectrograms."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from mmjax.data.audio import SAMPLE_RATE
from mmjax.data.shapes import example


def spectrogram(clip: np.ndarray, window: int = 256, hop: int = 64) -> np.ndarray:
    """Log-magnitude short-time Fourier transform ``[frequencies, frames]`` with a Hann window."""
    hann = np.hanning(window)
    frames = np.stack([clip[i : i + window] * hann for i in range(0, len(clip) - window + 1, hop)])
    return 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-4)


def write_preview(
    out: str | Path,
    num_images: int = 16,
    num_videos: int = 2,
    split: str = "train",
    seed: int = 0,
    image_size: int = 32,
) -> Path:
    """Write a PNG grid: ``num_images`` captioned images, then for ``num_videos`` scenes a frame strip
    and a spectrogram of their sound. Returns the path written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if num_images < 1 or num_videos < 0:
        raise ValueError(f"need num_images >= 1 and num_videos >= 0, got {num_images} and {num_videos}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = 4
    image_rows = -(-num_images // columns)
    fig = plt.figure(figsize=(12, 2.8 * image_rows + 2.2 * num_videos))
    grid = fig.add_gridspec(image_rows + num_videos, columns, hspace=0.6)
    for i in range(num_images):
        ex = example(seed, split, i, ("image", "caption"), image_size)
        ax = fig.add_subplot(grid[i // columns, i % columns])
        ax.imshow(ex["image"], interpolation="nearest")
        ax.set_title("\n".join(textwrap.wrap(ex["caption"], 30)), fontsize=9)
        ax.axis("off")
    for v in range(num_videos):
        ex = example(seed, split, num_images + v, ("video", "audio"), image_size)
        ax = fig.add_subplot(grid[image_rows + v, :3])
        gap = np.full((image_size, 2, 3), 96, np.uint8)  # grey bar between frames
        strip = np.concatenate([part for frame in ex["video"] for part in (frame, gap)][:-1], axis=1)
        ax.imshow(strip, interpolation="nearest")
        ax.set_title(f"video: {ex['video_caption']}", fontsize=9)
        ax.axis("off")
        ax = fig.add_subplot(grid[image_rows + v, 3])
        spec = spectrogram(ex["audio"])
        ax.imshow(
            spec,
            origin="lower",
            aspect="auto",
            cmap="magma",
            extent=(0, len(ex["audio"]) / SAMPLE_RATE, 0, SAMPLE_RATE / 2),
        )
        ax.set_title("audio (spectrogram)", fontsize=9)
        ax.set_xlabel("seconds", fontsize=8)
        ax.set_ylabel("Hz", fontsize=8)
    fig.suptitle(f"mmjax Shapes world, split '{split}', seed {seed}", fontsize=12)
    fig.savefig(out, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return out
