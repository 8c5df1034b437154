"""Where mmjax finds the trained files it ships (the judge and the contrastive encoder).

They are package data in ``mmjax/artifacts/``, installed with the code by every kind of install (a
wheel, ``pip install .``, ``pip install -e .``); in a clone, ``data/`` is a link to the same folder, so
``data/judge/judge.npz`` is the file the library loads. To use other files without replacing those,
point ``MMJAX_ARTIFACTS`` at a folder with the same layout (``$MMJAX_ARTIFACTS/judge/judge.npz``).

Every shipped file a process asks for through :func:`artifact_path` is remembered; :func:`used` gives their
SHA-256, which a chapter's full-run record stores (``mmjax.utils.chapter``), so that a changed model file
shows which records were made with the old one (``tests/test_chapter_models.py``).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from pathlib import Path

ENV_VAR = "MMJAX_ARTIFACTS"
_USED: dict[str, Path] = {}  # name -> path of every shipped file artifact_path has resolved in this process


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
    _USED[name] = path
    return path


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def used() -> dict[str, str]:
    """``{name: sha256}`` of every shipped file this process has resolved with :func:`artifact_path`
    (``"shapes/text2image.npz"``, ...), sorted by name."""
    return {name: sha256(path) for name, path in sorted(_USED.items())}
