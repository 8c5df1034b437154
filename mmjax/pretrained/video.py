"""``VideoModel``: the shipped text-to-video GAN behind ``generate_video(text, seed)``, and ``mmjax demo --video``.

    model = mmjax.load_pretrained("shapes-video")
    frames = model.generate_video("a small red circle in the left moving right")   # uint8 [T, 32, 32, 3]
    model.save_gif(frames, "output.gif")                                          # the clip, playing
    model.save_strip(frames, "output.png")                                        # its frames side by side

The generator is the one :mod:`mmjax.text2video` trains (its moving average). A video prompt is a still
Shapes caption followed by how the scene moves, checked by :mod:`mmjax.pretrained.video_prompts`: a word
the model never read raises the image model's ``UnknownWordsError``, a still part that is no whole caption
its ``UnparsedPromptError``.

Randomness as for the image model: prompt i of a call takes row i of the content codes drawn from
``fold_in(key(seed), first row of the chunk)``, so ``generate_video(t, seed)`` is
``generate_videos([t, ...], seed)[0]``.
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np

from mmjax.pretrained.model import _check_seed
from mmjax.pretrained.video_prompts import DEFAULT_VIDEO_PROMPT, check_video_prompt
from mmjax.text2video.step import generate
from mmjax.utils import animation

CHUNK = 8  # clips per compiled call


class VideoModel:
    """Text -> clip with the shipped text-to-video GAN."""

    save_gif = staticmethod(animation.save_gif)  # (frames [T, H, W, 3] uint8, path, fps=8, scale=4) -> path
    save_strip = staticmethod(animation.save_strip)  # (frames, path, scale=4, gap=2) -> path of a PNG

    def __init__(self, text2video: tuple):
        """``text2video = (TextToVideoConfig, G's sampling variables)``, as ``mmjax.text2video.export.load()``
        returns them."""
        self.config, g_variables = text2video
        self._g_variables = jax.device_put(g_variables)
        self.num_frames, self.image_size = self.config.num_frames, self.config.image_size

    def __repr__(self) -> str:
        return f"VideoModel(num_frames={self.num_frames}, image_size={self.image_size}, chunk={CHUNK})"

    def generate_videos(self, texts, seed: int = 0) -> np.ndarray:
        """uint8 clips ``[N, T, 32, 32, 3]`` of a list of prompts, prompt i drawn from ``(seed, i)``."""
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)) or not texts:
            raise TypeError(f"prompts must be a non-empty list of strings, got {texts!r}; for one use generate_video")
        tokenizer = self.config.tokenizer()
        tokens = np.stack([tokenizer.encode(check_video_prompt(text)) for text in texts])  # [N, L]
        return generate(self.config, self._g_variables, tokens, jax.random.key(_check_seed(seed)), CHUNK)

    def generate_video(self, text: str, seed: int = 0) -> np.ndarray:
        """The clip of one prompt: uint8 frames ``[T, 32, 32, 3]`` (see :meth:`save_gif`, :meth:`save_strip`)."""
        if not isinstance(text, str):
            raise TypeError(f"generate_video takes one prompt string, got {type(text).__name__}")
        return self.generate_videos([text], seed)[0]


def load_video_model(path: str | Path | None = None) -> VideoModel:
    """The shipped text-to-video model (``path``: another exported ``.npz``)."""
    from mmjax.text2video import export

    return VideoModel(export.load(path))


def run_video_demo(prompt: str | None = None, gif="output.gif", strip="output.png", seed: int = 0, echo=print):
    """Draw ``prompt`` as a clip, write it as an animated GIF and as a strip of frames; print where and how long."""
    start = time.perf_counter()
    prompt = check_video_prompt(DEFAULT_VIDEO_PROMPT if prompt is None else prompt)  # fails before loading
    model = load_video_model()
    loaded = time.perf_counter()
    frames = model.generate_video(prompt, seed)
    drawn = time.perf_counter()
    model.save_gif(frames, gif)
    model.save_strip(frames, strip)
    echo(f'prompt:  "{prompt}" (seed {seed})')
    echo(f"wrote    {gif} ({len(frames)} frames of {model.image_size} x {model.image_size}, enlarged 4x, playing)")
    echo(f"wrote    {strip} (the same frames left to right)")
    echo(f"timings: load {loaded - start:.1f} s, text -> clip (first call, incl. compiling) {drawn - loaded:.1f} s")
    return {"prompt": prompt, "frames": frames}
