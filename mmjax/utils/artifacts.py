"""Where mmjax finds the trained files it ships (the judge and the contrastive encoder).

They are package data in ``mmjax/artifacts/``, installed with the code by every kind of install (a
wheel, ``pip install .``, ``pip install -e .``); in a clone, ``data/`` is a link to the same folder, so
``data/judge/judge.npz`` is the file the library loads. To use other files without replacing those,
point ``MMJAX_ARTIFACTS`` at a folder with the same layout (``$MMJAX_ARTIFACTS/judge/judge.npz``).
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

ENV_VAR = "MMJAX_ARTIFACTS"


def artifacts_dir() -> Path:
    """The folder shipped artifacts are read from: ``$MMJAX_ARTIFACTS`` if set, else the package's own."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return Path(str(importlib.resources.files("mmjax").joinpath("artifacts")))


def artifact_path(name: str, make_with: str) -> Path:
    """The path of shipped artifact ``name`` (e.g. ``"judge/judge.npz"``).

    Raises FileNotFoundError naming the place it looked and the command that makes the file there:
    ``make_with`` followed by ``--out`` that place.
    """
    path = artifacts_dir() / name
    if not path.is_file():
        source = f"${ENV_VAR}" if os.environ.get(ENV_VAR) else "the mmjax package"
        raise FileNotFoundError(
            f"shipped artifact {name!r} not found: looked for {path} (in {source}; set "
            f"{ENV_VAR} to a folder holding {name} to use another copy); make it with: "
            f"{make_with} --out {path}"
        )
    return path
