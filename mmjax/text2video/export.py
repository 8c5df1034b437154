"""The text-to-video GAN as mmjax ships it: ``shapes-video/text2video.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights), the config and the caption vocabulary; the
discriminators and optimiser states stay in the run folder. A safe ``.npz`` (no pickle) with the config
and vocabulary as JSON beside the arrays (:mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load(path)                       # default: the shipped file
    tokens = config.tokenizer().encode_batch(["a big blue square at the top moving down"])
    clips = mmjax.text2video.step.generate_videos(config, g_variables, tokens, jax.random.key(0))
"""

from __future__ import annotations

from pathlib import Path

import jax
from flax import nnx

from mmjax.nn import functional as F
from mmjax.text2image.export import sampling_variables
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.model import VideoGenerator
from mmjax.utils import artifacts, npz_checkpoint

ARTIFACT = "shapes-video/text2video.npz"
MAKE_COMMAND = "mmjax train text2video --steps 1000 --run-dir runs/text2video && mmjax export runs/text2video"


def export(state: dict, config: TextToVideoConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write G's sampling weights of train state ``state``, ``config`` and its caption vocabulary to ``path``."""
    step = int(jax.device_get(state["generator"]["step"]))
    facts = {"step": step, "vocabulary": config.tokenizer().vocabulary, **(extra or {})}
    npz_checkpoint.save(path, config, sampling_variables(config, state), extra=facts)


def _variables_of(config: TextToVideoConfig) -> dict:
    return jax.eval_shape(lambda: F.split(VideoGenerator(config, rngs=nnx.Rngs(0)))[1])


def default_path() -> Path:
    """The shipped file's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def load(path: str | Path | None = None) -> tuple[TextToVideoConfig, dict]:
    """``(config, G's variables)`` stored at ``path`` (default: the shipped file).

    ``config.tokenizer()`` encodes captions for it; a ValueError if that is not the vocabulary it was trained with.
    """
    path = default_path() if path is None else path
    config, variables = npz_checkpoint.load(path, TextToVideoConfig, _variables_of)
    stored = npz_checkpoint.read_metadata(path)["extra"].get("vocabulary")
    if stored is not None and stored != config.tokenizer().vocabulary:
        raise ValueError(
            f"{path} was trained with a caption vocabulary of {len(stored)} words that differs from the "
            f"vocabulary of this mmjax ({config.tokenizer().vocab_size} words); it was written by another "
            "version of mmjax"
        )
    return config, variables
