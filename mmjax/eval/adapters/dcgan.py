"""``mmjax eval dcgan --checkpoint RUN_DIR``: a trained conditional DCGAN as an image generator.

The run folder is the one ``mmjax train dcgan`` writes; its task, config and latest checkpoint are read
from it. A prompt states every label of a lone object, but for two objects only their relation: the shared
column (``above``) or row (``left of``) is free. The adapter draws that free line at random, exactly as the
perfect reference generator does, so the DCGAN is scored on what the prompt says and nothing more.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from mmjax.eval.generators import perfect_scene, rng_from_key
from mmjax.gan.dcgan.model import condition_from_labels
from mmjax.gan.dcgan.step import generate as draw
from mmjax.train.restore import load_run

KIND = "image"
CHUNK = 256  # prompts generated per call: one compiled shape whatever the number of samples


def condition_labels(prompts: dict, key: jax.Array) -> dict[str, np.ndarray]:
    """The labels the generator is conditioned on: the prompts' scenes with their free line redrawn."""
    rng = rng_from_key(key)
    scenes = [perfect_scene(scene, rng) for scene in prompts["scenes"]]
    labels = [scene.labels() for scene in scenes]
    return {k: np.stack([item[k] for item in labels]) for k in ("shape", "colour", "size", "row", "col")}


def load(checkpoint: str | None) -> Callable[[dict, jax.Array], np.ndarray]:
    """``generate(prompts, key) -> uint8 [N, H, W, 3]`` from the latest checkpoint of the run folder."""
    if checkpoint is None:
        raise ValueError("'dcgan' evaluates a trained run (mmjax ships none): pass --checkpoint RUN_DIR")
    task, config, state, step = load_run(checkpoint)
    if task.name != "dcgan":
        raise ValueError(f"{checkpoint} holds a {task.name!r} run, not a 'dcgan' run")

    def generate(prompts: dict, key: jax.Array) -> np.ndarray:
        label_key, sample_key = jax.random.split(key)
        condition = condition_from_labels(condition_labels(prompts, label_key))  # [N, 8]
        return draw(config, state, condition, sample_key, CHUNK)  # [N, H, W, 3] uint8

    generate.step = step  # reported in the evaluation JSON
    return generate
