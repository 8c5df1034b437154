"""Save and load the judge as a plain ``.npz`` of float arrays plus its config as JSON: no pickle.

Every array is stored under its parameter path (``convs/0/kernel``); the config sits in a 0-d string
array ``__config__``, so loading needs neither pickle nor the code that trained it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from flax import nnx, traverse_util

from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.model import Judge

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[3] / "data" / "judge" / "judge.npz"
CONFIG_KEY = "__config__"


def save_judge(model: Judge, config: JudgeConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write weights and config (and optional JSON-able ``extra`` facts, e.g. accuracies) to ``path``."""
    pure = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    arrays = {"/".join(map(str, k)): np.asarray(v, np.float32) for k, v in traverse_util.flatten_dict(pure).items()}
    arrays[CONFIG_KEY] = np.array(json.dumps({"config": dataclasses.asdict(config), "extra": extra or {}}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def read_metadata(path: str | Path = DEFAULT_CHECKPOINT) -> dict:
    """The ``{"config": ..., "extra": ...}`` stored with a checkpoint."""
    with np.load(path, allow_pickle=False) as stored:
        return json.loads(str(stored[CONFIG_KEY]))


def load_judge(path: str | Path = DEFAULT_CHECKPOINT) -> tuple[Judge, JudgeConfig]:
    """Rebuild the judge from a checkpoint written by ``save_judge``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no judge checkpoint at {path}; train one with `python -m mmjax.metrics.judge.train --out {path}`"
        )
    fields = read_metadata(path)["config"]
    config = JudgeConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    model = Judge(config, nnx.Rngs(0))
    state = nnx.state(model, nnx.Param)
    with np.load(path, allow_pickle=False) as stored:
        flat = {tuple(int(p) if p.isdigit() else p for p in key.split("/")): jnp.asarray(stored[key]) for key in stored.files if key != CONFIG_KEY}
    expected = traverse_util.flatten_dict(nnx.to_pure_dict(state))
    if set(flat) != set(expected):
        raise ValueError(f"checkpoint {path} does not match the judge architecture in its config")
    nnx.replace_by_pure_dict(state, traverse_util.unflatten_dict(flat))
    nnx.update(model, state)
    return model, config
