"""The audio-to-image GAN as mmjax ships it: ``shapes-audio/audio2image.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights), D's weights and the config; the optimiser
states stay in the run folder. The file is a safe ``.npz`` (no pickle) with the config as JSON beside the
arrays (:mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load()                       # the shipped file
    config, players = load_players(path)               # {"generator": ..., "discriminator": ...}
"""

from __future__ import annotations

from pathlib import Path

import jax

from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.model import build_players
from mmjax.nn import functional as F
from mmjax.text2image.export import sampling_variables
from mmjax.utils import artifacts, npz_checkpoint

ARTIFACT = "shapes-audio/audio2image.npz"
MAKE_COMMAND = (
    "mmjax train audio2image --steps 1750 --seed 0 --eval-every 250 --run-dir runs/audio2image && "
    "mmjax export runs/audio2image --out mmjax/artifacts/shapes-audio/audio2image.npz"
)

__all__ = ["ARTIFACT", "default_path", "export", "load", "load_players", "sampling_variables"]


def export(state: dict, config: AudioToImageConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write G's sampling weights and D's weights of train state ``state``, and ``config``."""
    facts = {"step": int(jax.device_get(state["generator"]["step"])), **(extra or {})}
    d = state["discriminator"]
    players = {
        "generator": sampling_variables(config, state),
        "discriminator": {"params": d["params"], "state": d["state"]},
    }
    npz_checkpoint.save(path, config, players, extra=facts)


def _variables_of(config: AudioToImageConfig) -> dict:
    def build():
        generator, discriminator = build_players(config, jax.random.key(0))
        return {"generator": F.split(generator)[1], "discriminator": F.split(discriminator)[1]}

    return jax.eval_shape(build)


def default_path() -> Path:
    """The shipped file's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def load(path: str | Path | None = None) -> tuple[AudioToImageConfig, dict]:
    """``(config, G's sampling variables)`` stored at ``path`` (default: the shipped file)."""
    config, players = load_players(path)
    return config, players["generator"]


def load_players(path: str | Path | None = None) -> tuple[AudioToImageConfig, dict]:
    """``(config, {"generator": G's sampling variables, "discriminator": D's variables})`` stored at ``path``."""
    path = default_path() if path is None else path
    return npz_checkpoint.load(path, AudioToImageConfig, _variables_of)
