"""Small trained models shipped as a plain ``.npz`` of float32 arrays plus their config as JSON: no pickle.

Every array of the model's variables (as :func:`mmjax.nn.functional.split` returns them) is stored under
its path, ``params/convs/0/kernel``; the config (a dataclass) and any JSON-able extra facts sit in a 0-d
string array ``__config__``. Loading rebuilds the config, checks every stored path and shape against the
variables that config's model has, and returns plain variables ready for ``functional.call``.

A weights file may come from anywhere, so loading trusts nothing in it, and every fault is a ValueError
naming the file: not a regular file, empty, truncated or not a zip (:mod:`mmjax.utils.npz_reader`); no
config, or one that is not JSON, names unknown fields or gives a field a value of the wrong type; arrays
missing, extra, of another shape (compared from the ``.npy`` headers, before any data is read, so a
file claiming a huge array costs nothing) or of a dtype other than float32; NaN or infinite weights.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from mmjax.utils.npz_reader import NpzArchive

CONFIG_KEY = "__config__"


def _flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """``{"params": {"convs": {"0": {"kernel": x}}}} -> {"params/convs/0/kernel": x}``."""
    flat = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        flat.update(_flatten(value, path + "/") if isinstance(value, dict) else {path: value})
    return flat


def _fill(like: dict, flat: dict[str, np.ndarray], prefix: str = "") -> dict:
    """The nested dict ``like`` (empty branches included) with each leaf replaced by ``flat[its path]``."""
    return {
        key: _fill(value, flat, f"{prefix}{key}/") if isinstance(value, dict) else jnp.asarray(flat[prefix + key])
        for key, value in like.items()
    }


def save(path: str | Path, config, variables: dict, extra: dict | None = None) -> None:
    """Write ``variables`` (``{"params": ..., "state": ...}``), the config dataclass and ``extra`` to ``path``."""
    arrays = {key: np.asarray(value, np.float32) for key, value in _flatten(variables).items()}
    arrays[CONFIG_KEY] = np.array(json.dumps({"config": dataclasses.asdict(config), "extra": extra or {}}))
    path = Path(path)
    if path.suffix != ".npz":  # what np.savez_compressed did with a bare name, kept so old commands write the same
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a reader never sees a half-written file, a kill leaves the old one whole.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            np.savez_compressed(file, **arrays)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


MAX_CONFIG_CHARS = 1_000_000  # the shipped configs with their extras are a few kB


def _metadata(archive: NpzArchive) -> dict:
    """The ``{"config": ..., "extra": ...}`` stored in an open archive, checked."""
    path = archive.path
    if CONFIG_KEY not in archive.names:
        raise ValueError(f"{path} has no {CONFIG_KEY} array: it is not a weights file mmjax wrote")
    header = archive.header(CONFIG_KEY)
    if header.dtype.kind != "U" or header.shape != () or header.dtype.itemsize > 4 * MAX_CONFIG_CHARS:
        raise ValueError(
            f"{path}: {CONFIG_KEY} should be one JSON string, found an array {header.shape} {header.dtype}"
        )
    try:
        metadata = json.loads(str(archive.read(CONFIG_KEY)[()]))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: {CONFIG_KEY} is not valid JSON ({error})") from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("config"), dict):
        raise ValueError(f"{path}: {CONFIG_KEY} should be an object with a 'config' object, got {metadata!r:.80}")
    if not isinstance(metadata.setdefault("extra", {}), dict):
        raise ValueError(f"{path}: {CONFIG_KEY}'s 'extra' should be an object, got {metadata['extra']!r:.80}")
    return metadata


def read_metadata(path: str | Path) -> dict:
    """The ``{"config": ..., "extra": ...}`` stored with a checkpoint (only that member is read)."""
    with NpzArchive(path) as archive:
        return _metadata(archive)


def _config(path: Path, config_cls: type, fields: dict):
    from mmjax.train.config import from_dict  # rebuilds nested config dataclasses too, checking every type

    known = {field.name for field in dataclasses.fields(config_cls)}
    if set(fields) - known:
        raise ValueError(
            f"checkpoint {path} has config fields {sorted(set(fields) - known)} that "
            f"{config_cls.__name__} does not know; it was written by another version of mmjax"
        )
    try:
        return from_dict(config_cls, fields)
    except (TypeError, ValueError) as error:
        raise ValueError(f"checkpoint {path} has a bad config: {error}") from None


def _check_headers(path: Path, like: dict, archive: NpzArchive) -> list[str]:
    """The array names to read, once every header matches the model's variables path for path."""
    expected = {key: tuple(leaf.shape) for key, leaf in _flatten(like).items()}
    names = [name for name in archive.names if name != CONFIG_KEY]
    found = {name: archive.header(name).shape for name in names}
    if found != expected:
        missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        reshaped = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
        faults = [f"missing {', '.join(missing[:5])}"] if missing else []
        faults += [f"unexpected {', '.join(unexpected[:5])}"] if unexpected else []
        faults += [f"{k} has shape {found[k]}, the model {expected[k]}" for k in reshaped[:5]]
        raise ValueError(f"checkpoint {path} does not match the model its config describes: {'; '.join(faults)}")
    wrong = [f"{name} ({archive.header(name).dtype})" for name in names if archive.header(name).dtype != np.float32]
    if wrong:
        raise ValueError(
            f"checkpoint {path} has arrays that are not float32, as mmjax writes them: {', '.join(wrong[:5])}"
        )
    return names


def load(path: str | Path, config_cls: type, variables_of: Callable) -> tuple[object, dict]:
    """``(config, variables)`` read from ``path``.

    ``variables_of(config)`` gives the variables the model of ``config`` has (shapes suffice, e.g. from
    ``jax.eval_shape``); the stored arrays must match them path for path and shape for shape.
    """
    with NpzArchive(path) as archive:
        path = archive.path
        config = _config(path, config_cls, _metadata(archive)["config"])
        try:
            like = variables_of(config)
        except Exception as error:  # noqa: BLE001 - whatever a nonsensical config makes the model raise
            raise ValueError(f"checkpoint {path}: its config describes no model mmjax can build ({error})") from None
        flat = {name: archive.read(name) for name in _check_headers(path, like, archive)}
    bad = sorted(name for name, array in flat.items() if not np.isfinite(array).all())
    if bad:
        raise ValueError(f"checkpoint {path} holds NaN or infinite weights in {', '.join(bad[:5])}")
    return config, _fill(like, flat)
