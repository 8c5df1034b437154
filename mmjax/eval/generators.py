"""Generators and captioners that ``mmjax eval`` can score, behind one calling convention each.

    image generator:  generate(prompts, key) -> uint8 [N, H, W, 3]     (kind "image", or "audio_image"
                                                                        when it reads prompts["audio"])
    video generator:  generate(prompts, key) -> uint8 [N, T, H, W, 3]
    captioner:        caption(batch, key)    -> list of N strings   (batch["image"]: uint8 [N, H, W, 3])

``prompts`` is a batch from ``mmjax.eval.prompts.prompt_batch`` (labels, captions, tokens). The built-in
*reference* generators below render the truth or break it on purpose, so that every metric can be read
against a floor and a ceiling:

    audio_decoder   (audio -> image) decodes the prompt's clip analytically and renders it
    real            renders what the prompt states; free choices (jitter, the shared column or row of
                    two objects) drawn at random: the perfect generator
    deterministic   renders the prompt without any randomness: coherent, but no diversity
    noisy           the perfect render plus strong pixel noise: coherent, poor quality
    text_ignoring   renders random scenes whatever the prompt says: real-looking, incoherent
    collapsed       one and the same image for every prompt: mode collapse

A trained model plugs in through its task's ``eval_adapter`` (:class:`mmjax.train.task.Task`): a module
exposing ``KIND`` ("image", "audio_image", "video" or "caption") and ``load(checkpoint: str | None) -> the
function above`` (None: the shipped model, for an adapter of a model mmjax ships; the others raise).
:func:`adapter_modules` collects them from the registered tasks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import jax
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.audio import decode_audio
from mmjax.data.captions import describe
from mmjax.data.render import render_image, render_video
from mmjax.data.scene import Scene, ShapeObject, sample_scene

MAX_JITTER = 1.5  # pixels, as in sample_scene


def adapter_modules() -> dict[str, str]:
    """Task name -> the module of its evaluation adapter, for every registered task that declares one."""
    from mmjax.train import registry

    tasks = {name: registry.get_task(name) for name in registry.available_tasks()}
    return {name: task.eval_adapter for name, task in tasks.items() if task.eval_adapter}


def rng_from_key(key: jax.Array) -> np.random.Generator:
    """A numpy generator seeded from a jax key, so reference generators are deterministic too."""
    return np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())


def _moves_inside(cells: list[tuple[int, int]], motion: int) -> bool:
    d_row, d_col = A.MOTION_STEP[A.MOTIONS[motion]]
    return all(0 <= r + d_row < A.GRID and 0 <= c + d_col < A.GRID for r, c in cells)


def perfect_scene(
    scene: Scene, rng: np.random.Generator | None, redraw_line: bool = True, keep_motion: bool = False
) -> Scene:
    """The prompt's scene with its free choices redrawn (none if ``rng`` is None).

    Free are the jitter and, for two objects, the shared column (``above``) or row (``left of``): the
    caption states neither (``redraw_line=False`` keeps the line, for prompts that state cells). With
    ``keep_motion`` (videos) the line is drawn among those that keep the prompt's motion inside the grid.
    """
    objects = [ShapeObject(o.shape, o.colour, o.size, o.row, o.col) for o in scene.objects]
    if rng is None:
        return Scene(tuple(objects), scene.relation, scene.motion)
    if len(objects) == 2 and redraw_line:
        vertical = objects[0].col == objects[1].col

        def placed(across: int) -> list[ShapeObject]:
            return [
                ShapeObject(o.shape, o.colour, o.size, o.row if vertical else across, across if vertical else o.col)
                for o in objects
            ]

        options = [
            a
            for a in range(A.GRID)
            if not keep_motion or _moves_inside([(o.row, o.col) for o in placed(a)], scene.motion)
        ]
        objects = placed(options[int(rng.integers(len(options)))])
    jittered = tuple(
        ShapeObject(
            o.shape, o.colour, o.size, o.row, o.col, tuple(float(j) for j in rng.uniform(-MAX_JITTER, MAX_JITTER, 2))
        )
        for o in objects
    )
    return Scene(jittered, scene.relation, scene.motion)


def real_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    rng = rng_from_key(key)
    return np.stack([render_image(perfect_scene(s, rng)) for s in prompts["scenes"]])


def deterministic_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    return np.stack([render_image(perfect_scene(s, None)) for s in prompts["scenes"]])


def noisy_generator(prompts: dict, key: jax.Array, noise_std: float = 20.0) -> np.ndarray:
    rng = rng_from_key(key)
    clean = real_generator(prompts, key).astype(np.float32)
    return np.clip(clean + rng.normal(0.0, noise_std, clean.shape), 0, 255).round().astype(np.uint8)


def text_ignoring_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    seed = int(rng_from_key(key).integers(2**31))
    return np.stack([render_image(sample_scene(seed, "train", i)) for i in range(len(prompts["scenes"]))])


def collapsed_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    only = render_image(sample_scene(0, "train", 0))
    return np.repeat(only[None], len(prompts["scenes"]), axis=0)


def audio_decoding_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    """Listens to ``prompts["audio"]`` with the analytic ``decode_audio`` and renders what it heard."""
    rng = rng_from_key(key)
    return np.stack(
        [render_image(perfect_scene(decode_audio(clip), rng, redraw_line=False)) for clip in prompts["audio"]]
    )


def real_video_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    rng = rng_from_key(key)
    return np.stack([render_video(perfect_scene(s, rng, keep_motion=True)) for s in prompts["scenes"]])


def frozen_video_generator(prompts: dict, key: jax.Array) -> np.ndarray:
    """Right objects, no motion: every frame is the first."""
    first = real_generator(prompts, key)
    return np.repeat(first[:, None], 8, axis=1)


def oracle_captioner(batch: dict, key: jax.Array) -> list[str]:
    """Describes the true scene behind each image (reads ``batch["scenes"]``): the perfect captioner."""
    rng = rng_from_key(key)
    return [describe(scene, rng) for scene in batch["scenes"]]


def constant_captioner(batch: dict, key: jax.Array) -> list[str]:
    """The same fluent caption for every image: what a captioner that ignores its input writes."""
    return ["a small red circle above a large blue square"] * len(batch["image"])


def stuttering_captioner(batch: dict, key: jax.Array) -> list[str]:
    """The true caption with its object phrase repeated: right facts, degenerate text."""
    return [" ".join(words[:4] + words[1:]) for words in (c.split() for c in oracle_captioner(batch, key))]


BUILTIN: dict[str, tuple[str, Callable]] = {
    "real": ("image", real_generator),
    "deterministic": ("image", deterministic_generator),
    "noisy": ("image", noisy_generator),
    "text_ignoring": ("image", text_ignoring_generator),
    "collapsed": ("image", collapsed_generator),
    "audio_decoder": ("audio_image", audio_decoding_generator),
    "real_video": ("video", real_video_generator),
    "frozen_video": ("video", frozen_video_generator),
    "oracle_captioner": ("caption", oracle_captioner),
    "constant_captioner": ("caption", constant_captioner),
    "stuttering_captioner": ("caption", stuttering_captioner),
}


def available() -> list[str]:
    return sorted([*BUILTIN, *adapter_modules()])


def load_generator(name: str, checkpoint: str | None = None) -> tuple[str, Callable]:
    """``(kind, function)`` for a built-in reference generator or a registered model adapter."""
    if name in BUILTIN:
        if checkpoint is not None:
            raise ValueError(f"{name!r} is a built-in reference generator and takes no --checkpoint")
        return BUILTIN[name]
    adapters = adapter_modules()
    if name in adapters:
        module = importlib.import_module(adapters[name])
        return module.KIND, module.load(checkpoint)
    raise ValueError(f"unknown generator {name!r}; expected one of {', '.join(available())}")
