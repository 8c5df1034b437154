"""The captioner as mmjax ships it: ``shapes/captioner.npz`` among the package's artifacts.

The trained variables and the config, in a safe ``.npz`` (no pickle; :mod:`mmjax.utils.npz_checkpoint`);
the optimiser state stays in the run folder.
"""

from __future__ import annotations

from pathlib import Path

import jax

from mmjax.captioner.config import ARTIFACT, MAKE_COMMAND, CaptionerConfig
from mmjax.captioner.model import variables_of
from mmjax.utils import artifacts, npz_checkpoint

__all__ = ["ARTIFACT", "MAKE_COMMAND", "default_path", "export", "load"]


def export(state: dict, config: CaptionerConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write the captioner's variables of train state ``state`` and ``config`` to ``path``."""
    variables = {"params": state["params"], "state": state["state"]}
    step = int(jax.device_get(state["step"]))
    npz_checkpoint.save(path, config, variables, extra={"step": step, **(extra or {})})


def default_path() -> Path:
    """The shipped file's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def load(path: str | Path | None = None) -> tuple[CaptionerConfig, dict]:
    """``(config, variables)`` stored at ``path`` (default: the shipped file)."""
    return npz_checkpoint.load(default_path() if path is None else path, CaptionerConfig, variables_of)
