"""The audio-to-image GAN's data: Shapes images with the sound of their scene, and any sound as a clip.

A Shapes clip (``mmjax.data.audio``) gives each of the 9 grid cells a 512-sample slot: silence when the
cell is empty, one note when it holds an object (pitch = colour, timbre = shape, loudness = size). So the
sound states *every* attribute of the picture, cells included; only the sub-cell jitter is left free.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from mmjax.audio.wav import SILENCE, read_wav, resample
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE
from mmjax.data.cells import cell_targets
from mmjax.data.shapes import ShapesSource
from mmjax.gan.sampler import Prompts, from_uint8

LABEL_KEYS = ("num_objects", "shape", "colour", "size", "row", "col", "relation")  # what a clip states


def make_source(config: AudioToImageConfig, split: str = "train") -> ShapesSource:
    """(image, clip) pairs with their labels: ``num_train_examples`` of train, ``num_eval_examples`` otherwise."""
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    return ShapesSource(split, num_examples, ("image", "audio"), seed=config.data_seed, image_size=config.image_size)


def model_batch(batch: dict) -> dict:
    """A Loader batch -> {"x": images in [-1, 1] ``[B, H, W, 3]``, "audio": clips ``[B, 4608]``, "cells": ...}.

    ``cells`` (:func:`mmjax.data.cells.cell_targets`) is read only by D's auxiliary classifier, never by G.
    """
    return {
        "x": from_uint8(batch["image"]),
        "audio": jnp.asarray(batch["audio"], jnp.float32),
        "cells": cell_targets(batch),
    }


@functools.cache
def prompts(config: AudioToImageConfig, split: str, count: int) -> Prompts:
    """What the clips of examples 0..count-1 of ``split`` state (:func:`heard`), the clips ``[count, 4608]``,
    and their labels (batched): a clip states every attribute of its scene, cells included."""
    from mmjax.data.shapes import example

    items = [example(config.data_seed, split, i, modalities=("audio",)) for i in range(count)]
    labels = {k: np.stack([item[k] for item in items]) for k in LABEL_KEYS}
    titles = [heard(labels, i) for i in range(count)]
    return Prompts(titles, np.stack([item["audio"] for item in items]), labels)


def heard(labels: dict, i: int) -> str:
    """What clip ``i`` of batched ``labels`` states, e.g. "large red circle, top left + small blue cross, ..."."""
    objects = []
    for k in range(int(labels["num_objects"][i])):
        shape, colour, size = (int(labels[name][i, k]) for name in ("shape", "colour", "size"))
        row, col = int(labels["row"][i, k]), int(labels["col"][i, k])
        objects.append(f"{A.SIZES[size]} {A.COLOURS[colour]} {A.SHAPES[shape]}, {A.ROWS[row]} {A.COLS[col]}")
    return " + ".join(objects)


def clip_from(wav_path_or_array, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Any sound as the float32 clip ``[4608]`` at 8 kHz the model hears.

    A path is read with :func:`mmjax.audio.wav.read_wav` (bit depths scaled, stereo averaged, other rates
    resampled; empty, silent or non-WAV files refused). An array must be a mono float clip ``[N]`` with
    samples in [-1, 1], sampled at ``rate`` Hz (resampled to 8 kHz if that differs). Length: a Shapes clip is
    4608 samples (0.576 s, 64 ms per grid cell). A shorter clip is padded with silence at its end, so the
    cells it does not reach are heard as empty; a longer one is cut to its first 4608 samples, and what
    follows is not heard.
    """
    if isinstance(wav_path_or_array, (str, Path)):
        clip = read_wav(wav_path_or_array, rate=SAMPLE_RATE)
    else:
        clip = _checked_array(wav_path_or_array, rate)
    clip = clip[:NUM_SAMPLES]
    return np.pad(clip, (0, NUM_SAMPLES - len(clip))).astype(np.float32)  # [4608]


def _checked_array(audio, rate: int) -> np.ndarray:
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate < 1:
        raise ValueError(f"rate must be a positive int (Hz), got {rate!r}")
    clip = np.asarray(audio)
    if not np.issubdtype(clip.dtype, np.floating):
        raise TypeError(
            f"audio must be a float array with samples in [-1, 1], got dtype {clip.dtype}; "
            "divide integer PCM by its full scale (e.g. int16 / 32768), or pass the WAV file's path"
        )
    if clip.ndim != 1:
        raise ValueError(
            f"audio must be one mono clip [samples], got shape {clip.shape}; average a stereo clip's channels "
            "(clip.mean(axis=1)) or pass the WAV file's path"
        )
    if clip.size == 0:
        raise ValueError("audio holds no samples")
    if not np.all(np.isfinite(clip)):
        raise ValueError("audio holds NaN or infinite samples")
    peak = float(np.abs(clip).max())
    if peak > 1.0:
        raise ValueError(f"audio samples must lie in [-1, 1], got a peak of {peak:.3g}; scale the clip first")
    if peak < SILENCE:
        raise ValueError(f"audio is silent: its peak {peak:.2g} is below {SILENCE:g} of full scale (nothing to hear)")
    return resample(clip.astype(np.float64), int(rate), SAMPLE_RATE).astype(np.float32)
