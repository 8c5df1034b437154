"""Where an adapter's trained model comes from: a run folder, an exported ``.npz``, or the shipped file.

--checkpoint runs/text2image        a folder ``mmjax train`` wrote: its latest checkpoint (full train state)
--checkpoint text2image.npz         a file ``mmjax export`` wrote (what mmjax ships)
(no --checkpoint)                   the shipped file, ``export.default_path()``
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from mmjax.train.restore import load_run
from mmjax.utils import npz_checkpoint


def load_model(checkpoint: str | None, task_name: str, export: ModuleType) -> tuple[object, dict, int | None, str]:
    """``(config, variables or train state, step, where)`` of a ``task_name`` model; ``export`` is its export
    module (``load(path)`` and ``default_path()``)."""
    path = export.default_path() if checkpoint is None else Path(checkpoint)
    if path.is_dir():
        task, config, state, step = load_run(path)
        if task.name != task_name:
            raise ValueError(f"{path} holds a {task.name!r} run, not a {task_name!r} run")
        return config, state, step, str(path)
    if not path.exists():
        raise FileNotFoundError(f"--checkpoint {path} is neither a run folder nor an exported .npz file")
    config, variables = export.load(path)
    return config, variables, npz_checkpoint.read_metadata(path)["extra"].get("step"), str(path)
