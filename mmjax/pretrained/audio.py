"""``mmjax.load_pretrained("shapes-audio")``: the shipped audio-to-image GAN, and ``mmjax demo --audio FILE.wav``.

    model = mmjax.load_pretrained("shapes-audio")
    image = model.generate_image_from_audio("scene.wav", seed=0)     # a 32 x 32 PIL.Image of what sounds
    image.save("output.png")
    print(model.heard("scene.wav"))                                  # "large red circle, top left"

The model is :mod:`mmjax.audio2image` (its generator's moving average). A sound is a WAV file's path or a
mono float array; :func:`mmjax.audio2image.data.clip_from` says what is converted (bit depth, stereo,
sample rate, length) and what is refused with a clear error (empty, silent, NaN, integer arrays, files that
are missing or not integer-PCM WAV). ``heard`` is the exact decoder of the sonification
(:func:`mmjax.data.audio.decode_audio`): what a Shapes clip states, the picture's ceiling.
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np
from PIL import Image

from mmjax.audio2image.data import clip_from, heard
from mmjax.audio2image.step import generate
from mmjax.data.audio import SAMPLE_RATE, decode_audio
from mmjax.pretrained.model import _check_seed, as_picture

VIEW_SIZE = 256  # the demo's output.png: the 32 x 32 picture enlarged 8x (NEAREST), so it can be seen


class AudioImageModel:
    """Sound -> image: the Shapes scene a clip describes, drawn by the shipped audio-to-image GAN."""

    def __init__(self, audio2image: tuple):
        """``audio2image = (AudioToImageConfig, G's sampling variables)``, as ``audio2image.export.load()``
        returns them."""
        self.config, g_variables = audio2image
        self._g_variables = jax.device_put(g_variables)
        self.image_size = self.config.image_size

    def __repr__(self) -> str:
        return f"AudioImageModel(image_size={self.image_size}, sample_rate={SAMPLE_RATE})"

    def generate_image_from_audio(
        self, wav_or_array, seed: int = 0, rate: int = SAMPLE_RATE, size: int | None = None
    ) -> Image.Image:
        """The picture a sound describes, as an RGB ``PIL.Image`` (32 x 32, or ``size`` x ``size`` enlarged
        with NEAREST). ``wav_or_array``: a WAV file's path, or a mono float clip in [-1, 1] sampled at
        ``rate`` Hz. ``seed`` draws the latent: only the objects' places within their cells depend on it."""
        seed, clip = _check_seed(seed), clip_from(wav_or_array, rate)  # [4608]
        pixels = generate(self.config, self._g_variables, clip[None], jax.random.key(seed))[0]  # [32, 32, 3] uint8
        return as_picture(pixels, size)

    def heard(self, wav_or_array, rate: int = SAMPLE_RATE) -> str:
        """What the exact decoder reads in a Shapes clip, e.g. "large red circle, top left"; a sound that is
        not a Shapes clip (no note, or more than two) reads as such, with the decoder's reason."""
        clip = clip_from(wav_or_array, rate)  # [4608]
        try:
            scene = decode_audio(clip)
        except ValueError as error:
            return f"not a Shapes clip ({error})"
        return heard({k: np.asarray(v)[None] for k, v in scene.labels().items()}, 0)


def load_audio_model(path: str | Path | None = None) -> AudioImageModel:
    """The shipped model (``path``: another exported ``.npz``); a FileNotFoundError names the command that makes
    a missing weights file."""
    from mmjax.audio2image import export

    return AudioImageModel(export.load(path))


def run_audio_demo(path, out="output.png", seed: int = 0, echo=print) -> dict:
    """Draw what the WAV file ``path`` describes into ``out`` and print what the exact decoder hears in it."""
    start = time.perf_counter()
    clip = clip_from(Path(path))  # a missing, empty, silent or non-WAV file fails before the model loads
    model = load_audio_model()
    image = model.generate_image_from_audio(clip, seed, size=VIEW_SIZE)
    image.save(out)
    text = model.heard(clip)
    echo(f"sound:   {path} (seed {seed})")
    echo(f"heard:   {text} (the exact decoder's reading: what the picture should show)")
    echo(f"wrote    {out} ({VIEW_SIZE} x {VIEW_SIZE}, the 32 x 32 picture enlarged)")
    seconds = time.perf_counter() - start
    echo(f"timings: load, draw and decode {seconds:.1f} s")
    return {"heard": text, "out": str(out), "seconds": seconds}
