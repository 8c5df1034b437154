"""A sha256 of each checkpoint, written beside it, so a damaged step is found on restore instead of trained on.

Orbax stores large arrays as raw bytes without a checksum of their own: a checkpoint with flipped bytes
was restored silently (178 changed Adam moments in one report), the run went on from damaged state, and
the NaN guard then named that step "the last good checkpoint". Now every step ``s`` has
``<checkpoints>/s.sha256.json`` holding three sha256 digests,

    "state":  over each array leaf of the carry, in tree order: its path, dtype, shape and bytes;
    "loader": over the loader position, as canonical JSON;
    "run":    over the run's identity (task, config, seed), as canonical JSON,

computed from what is being saved and written (atomically) *before* orbax starts the save. Orbax
makes a step visible only by renaming its finished temporary folder, so every step that exists has its
checksum, whenever a kill lands; a checksum whose step never committed is an orphan and is removed.
Orbax lists only whole-number names, so these files never look like steps to it.

Restoring recomputes the digests from what was read: a mismatch means the step is damaged (set aside by
:class:`mmjax.train.checkpoint.Checkpointer`, which then tries the step before). The run's identity is
checked on its own, first, so a flipped byte there reads as damage, not as a run with another config. A
step with no checksum file was written by an mmjax without checksums and is restored with a note.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jax
import numpy as np

SUFFIX = ".sha256.json"


def _host_array(leaf) -> np.ndarray:
    """The leaf's values on this host. The loop's state is replicated, so on a multi-host run the first
    local shard is the whole array."""
    if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
        leaf = leaf.addressable_data(0)
    return np.ascontiguousarray(np.asarray(jax.device_get(leaf)))


def _json_digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def digest(carry=None, loader_state: dict | None = None, run_info: dict | None = None) -> dict[str, str]:
    """The hex sha256 digests of the parts given: ``{"state": ..., "loader": ..., "run": ...}``."""
    parts = {}
    if carry is not None:
        h = hashlib.sha256()
        for path, leaf in jax.tree_util.tree_flatten_with_path(carry)[0]:
            array = _host_array(leaf)
            h.update(f"{jax.tree_util.keystr(path)}|{array.dtype.str}|{array.shape}|".encode())
            h.update(array.tobytes())
        parts["state"] = h.hexdigest()
    if loader_state is not None:
        parts["loader"] = _json_digest(loader_state)
    if run_info is not None:
        parts["run"] = _json_digest(run_info)
    return parts


def path_of(directory: Path, step: int) -> Path:
    return Path(directory) / f"{step}{SUFFIX}"


def write(directory: Path, step: int, digests: dict[str, str]) -> None:
    """Write step ``step``'s digests atomically (a kill leaves the old file or the new one, never half)."""
    path = path_of(directory, step)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"step": step, "sha256": digests}, indent=1) + "\n")
    os.replace(partial, path)


def read(directory: Path, step: int) -> dict[str, str] | None:
    """The digests written with step ``step``; None if there are none; {} if the file itself is damaged
    (which matches nothing, so the step counts as damaged)."""
    try:
        stored = json.loads(path_of(directory, step).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    digests = stored.get("sha256") if isinstance(stored, dict) else None
    return digests if isinstance(digests, dict) else {}


def mismatches(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    """The parts of ``found`` whose digest is not the one ``expected`` holds."""
    return [part for part, value in found.items() if expected.get(part) != value]


def remove_orphans(directory: Path, steps: set[int]) -> None:
    """Delete checksum files (and leftover partial ones) of steps not in ``steps``."""
    for path in Path(directory).glob(f"*{SUFFIX}*"):
        name = path.name.split(".", 1)[0]
        if not name.isdigit() or int(name) not in steps or path.name.endswith(".partial"):
            path.unlink(missing_ok=True)
