"""Small models saved as a plain ``.npz`` of float arrays plus their config as JSON: no pickle.

Every array is stored under its parameter path (``convs/0/kernel``); the config (a dataclass) and any
JSON-able extra facts sit in a 0-d string array ``__config__``. Loading rebuilds the module from the
config and checks that the stored paths match it exactly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from flax import nnx, traverse_util

CONFIG_KEY = "__config__"


def save_module(model: nnx.Module, config, path: str | Path, extra: dict | None = None) -> None:
    """Write the module's parameters, its config dataclass and ``extra`` to ``path``."""
    pure = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    arrays = {"/".join(map(str, k)): np.asarray(v, np.float32) for k, v in traverse_util.flatten_dict(pure).items()}
    arrays[CONFIG_KEY] = np.array(json.dumps({"config": dataclasses.asdict(config), "extra": extra or {}}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def read_metadata(path: str | Path) -> dict:
    """The ``{"config": ..., "extra": ...}`` stored with a checkpoint."""
    with np.load(path, allow_pickle=False) as stored:
        return json.loads(str(stored[CONFIG_KEY]))


def load_module(module_cls, config_cls, path: str | Path, how_to_make: str):
    """``(module, config)`` rebuilt from ``path``; ``how_to_make`` is the command named if it is missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; make one with `{how_to_make} --out {path}`")
    fields = read_metadata(path)["config"]
    config = config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    # Build the module abstractly (shapes only): random initialisation would be thrown away anyway.
    graphdef, params, *others = nnx.split(nnx.eval_shape(lambda: module_cls(config, nnx.Rngs(0))), nnx.Param, ...)
    with np.load(path, allow_pickle=False) as stored:
        flat = {
            tuple(int(p) if p.isdigit() else p for p in key.split("/")): jnp.asarray(stored[key])
            for key in stored.files
            if key != CONFIG_KEY
        }
    if set(flat) != set(traverse_util.flatten_dict(nnx.to_pure_dict(params))):
        raise ValueError(f"checkpoint {path} does not match the {module_cls.__name__} architecture in its config")
    nnx.replace_by_pure_dict(params, traverse_util.unflatten_dict(flat))
    return nnx.merge(graphdef, params, *others), config
