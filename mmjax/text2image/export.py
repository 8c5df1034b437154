"""The text-to-image GAN as mmjax ships it: ``shapes/text2image.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights) and D's weights, the config and the caption
vocabulary; the optimiser states stay in the run folder. D rides along so that the cycle's tuning step can
start from the shipped file (``--init_from`` the ``.npz``). The file is a safe ``.npz`` (no pickle) with
the config and vocabulary as JSON beside the arrays (:mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load(path)
    tokens = config.tokenizer().encode_batch(["a cat"])    # the vocabulary of the data set it was trained on
    config, players = load_players(path)                    # {"generator": ..., "discriminator": ...}
"""

from __future__ import annotations

from pathlib import Path

import jax

from mmjax.nn import functional as F
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.model import build_players
from mmjax.utils import artifacts, npz_checkpoint

ARTIFACT = "shapes/text2image.npz"
MAKE_COMMAND = "mmjax train text2image --steps 6000 --run-dir runs/text2image && mmjax export runs/text2image"


def sampling_variables(config: TextToImageConfig, state: dict) -> dict:
    """G's variables for drawing images (and for shipping): the moving average when the config keeps one."""
    g = state["generator"]
    params = g["ema"] if config.ema_decay > 0 and "ema" in g else g["params"]
    return {"params": params, "state": g["state"]}


def export(state: dict, config: TextToImageConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write G's sampling weights and D's weights of train state ``state``, ``config`` and its vocabulary."""
    step = int(jax.device_get(state["generator"]["step"]))
    facts = {"step": step, "vocabulary": config.tokenizer().vocabulary, **(extra or {})}
    d = state["discriminator"]
    players = {
        "generator": sampling_variables(config, state),
        "discriminator": {"params": d["params"], "state": d["state"]},
    }
    npz_checkpoint.save(path, config, players, extra=facts)


def _variables_of(config: TextToImageConfig) -> dict:
    def build():
        generator, discriminator = build_players(config, jax.random.key(0))
        return {"generator": F.split(generator)[1], "discriminator": F.split(discriminator)[1]}

    return jax.eval_shape(build)


def default_path() -> Path:
    """The shipped file's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def load(path: str | Path | None = None) -> tuple[TextToImageConfig, dict]:
    """``(config, G's variables)`` stored at ``path`` (default: the shipped file).

    ``config.tokenizer()`` encodes captions for it; a ValueError if that is not the vocabulary it was trained with.
    """
    config, players = load_players(path)
    return config, players["generator"]


def load_players(path: str | Path | None = None) -> tuple[TextToImageConfig, dict]:
    """``(config, {"generator": G's sampling variables, "discriminator": D's variables})`` stored at ``path``."""
    path = default_path() if path is None else path
    config, variables = npz_checkpoint.load(path, TextToImageConfig, _variables_of)
    stored = npz_checkpoint.read_metadata(path)["extra"].get("vocabulary")
    if stored is not None and stored != config.tokenizer().vocabulary:
        raise ValueError(
            f"{path} was trained with a caption vocabulary of {len(stored)} words that differs from the "
            f"{config.dataset!r} vocabulary of this mmjax ({config.tokenizer().vocab_size} words); "
            "it was written by another version of mmjax"
        )
    return config, variables
