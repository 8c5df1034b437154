"""Reading a run back for evaluation: the task, its config and the trained state, from the run folder alone.

Checkpointing (:mod:`mmjax.train.checkpoint`) knows only orbax; this module adds what a reader needs on
top of it, the registry (which task made the run) and the loop's state layout (what to restore into).
"""

from __future__ import annotations

from pathlib import Path

from mmjax.train import checkpoint as ckpt
from mmjax.train import config as config_lib
from mmjax.train import parallel, registry
from mmjax.train.loop import abstract_carry


def load_run(run_dir, step: int | None = None, task=None, mesh=None):
    """Load a finished or running run for evaluation: ``(task, config, state, step)``.

    ``step`` defaults to the latest complete checkpoint. The task and its config are read from the
    checkpoint itself, so ``mmjax eval`` needs nothing but the run folder.
    """
    directory = Path(run_dir) / "checkpoints"
    if Path(run_dir).exists() and not Path(run_dir).is_dir():
        raise ValueError(f"{run_dir} is a file, not a run folder (a folder `mmjax train` wrote)")
    if not directory.is_dir():
        raise FileNotFoundError(f"no checkpoints in {run_dir} (expected {directory})")
    checkpointer = ckpt.Checkpointer(directory, log=lambda message: None, async_save=False, read_only=True)
    try:
        steps = checkpointer.all_steps()
        if not steps:
            raise FileNotFoundError(f"no complete checkpoint in {directory}")
        step = max(steps) if step is None else step
        if step not in steps:
            raise ValueError(f"no checkpoint for step {step} in {directory}; available: {steps}")
        where = directory / str(step)
        try:
            info = checkpointer.read_run_info(step)
            checkpointer.verify_run_info(step, info)  # damage before config errors: a flipped byte is not a config
            task = task or registry.get_task(info["task"])
            config = config_lib.from_dict(task.config_cls, info["config"])
            mesh = mesh or parallel.make_mesh(1)
            abstract = abstract_carry(task, config, mesh)
            carry, _ = checkpointer.restore_step(step, abstract)
        except ckpt.DamagedCheckpoint:
            raise  # already names the folder
        except Exception as error:  # noqa: BLE001 - orbax, JSON and tensorstore each raise their own kinds
            others = [s for s in steps if s != step]
            raise ValueError(
                f"checkpoint {where} cannot be read ({type(error).__name__}: {' '.join(str(error).split())[:300]})"
                + (f"; the run has other steps: {others} (--step)" if others else "")
            ) from None
        return task, config, carry["state"], step
    finally:
        checkpointer.close()
