"""Small trained models shipped as a plain ``.npz`` of float32 arrays plus their config as JSON: no pickle.

Every array of the model's variables (as :func:`mmjax.nn.functional.split` returns them) is stored under
its path, ``params/convs/0/kernel``; the config (a dataclass) and any JSON-able extra facts sit in a 0-d
string array ``__config__``. Loading rebuilds the config, checks every stored path and shape against the
variables that config's model has, and returns plain variables ready for ``functional.call``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

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
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def read_metadata(path: str | Path) -> dict:
    """The ``{"config": ..., "extra": ...}`` stored with a checkpoint."""
    with np.load(path, allow_pickle=False) as stored:
        return json.loads(str(stored[CONFIG_KEY]))


def load(path: str | Path, config_cls: type, variables_of: Callable) -> tuple[object, dict]:
    """``(config, variables)`` read from ``path``.

    ``variables_of(config)`` gives the variables the model of ``config`` has (shapes suffice, e.g. from
    ``jax.eval_shape``); the stored arrays must match them path for path and shape for shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    from mmjax.train.config import from_dict  # rebuilds nested config dataclasses too

    fields = read_metadata(path)["config"]
    known = {field.name for field in dataclasses.fields(config_cls)}
    if set(fields) - known:
        raise ValueError(
            f"checkpoint {path} has config fields {sorted(set(fields) - known)} that "
            f"{config_cls.__name__} does not know; it was written by another version of mmjax"
        )
    config = from_dict(config_cls, fields)
    with np.load(path, allow_pickle=False) as stored:
        flat = {key: stored[key] for key in stored.files if key != CONFIG_KEY}
    like = variables_of(config)
    expected = {key: tuple(leaf.shape) for key, leaf in _flatten(like).items()}
    found = {key: tuple(array.shape) for key, array in flat.items()}
    if found != expected:
        missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        reshaped = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
        raise ValueError(
            f"checkpoint {path} does not match the model its config describes: missing {missing}, "
            f"unexpected {unexpected}, other shapes {reshaped}"
        )
    return config, _fill(like, flat)
