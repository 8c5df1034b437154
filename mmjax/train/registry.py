"""Task names -> the modules that define them.

Every model package has a ``task.py`` that defines ``TASK = Task(name=..., ...)``; add one line to
:data:`TASK_MODULES` below and ``mmjax train NAME`` finds it. Modules are imported only when a task is asked for,
so a missing or broken model never stops the other tasks from running. A task that is not registered
can still be run by its module's address, ``package.module`` (or ``package.module:NAME``), which is
handy for experiments in your own files.
"""

from __future__ import annotations

import importlib

from mmjax.train.task import Task

TASK_MODULES: dict[str, str] = {
    "toy": "mmjax.train.toy.task",  # tiny MLP regression: the loop's own test task
    "gan2d": "mmjax.gan.gan2d.task",  # GAN / PacGAN on 2-D Gaussian mixtures
    "dcgan": "mmjax.gan.dcgan.task",  # conditional DCGAN on Shapes images
    "seq2seq": "mmjax.seq2seq.task",  # Transformer encoder-decoder on symbol sequences
    "judge": "mmjax.metrics.judge.task",  # the judge network that scores generated images
    "contrastive": "mmjax.metrics.contrastive.task",  # the CLIP-style encoder behind R-precision
    "captioner": "mmjax.captioner.task",  # image-to-text Transformer on Shapes images
    "text2image": "mmjax.text2image.task",  # text-to-image GAN conditioned on Shapes captions
    "text2video": "mmjax.text2video.task",  # text-to-video GAN conditioned on Shapes video captions
    "audio2image": "mmjax.audio2image.task",  # audio-to-image GAN conditioned on Shapes sounds
}


def available_tasks() -> list[str]:
    """Registered task names, sorted."""
    return sorted(TASK_MODULES)


def _task_from_module(module, name: str, address: str) -> Task:
    task = getattr(module, "TASK", None)
    if task is None:
        raise ValueError(f"{address}: module {module.__name__!r} defines no TASK")
    if not isinstance(task, Task):
        raise TypeError(f"{address}: expected a mmjax.train.task.Task, got {type(task).__name__}")
    if name and name != task.name:
        raise ValueError(f"{address}: module {module.__name__!r} has no task {name!r}; its TASK is {task.name!r}")
    return task


def get_task(name: str) -> Task:
    """Look up a task by registered name or by ``package.module:NAME`` address.

    Raises ValueError, listing the available tasks, when the name is unknown or its module cannot be
    imported.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"task name must be a non-empty string, got {name!r}")
    if name in TASK_MODULES:
        module_name, task_name = TASK_MODULES[name], name
    elif ":" in name or "." in name:
        module_name, _, task_name = name.partition(":")
    else:
        raise ValueError(
            f"unknown task {name!r}; available tasks: {', '.join(available_tasks())} "
            "(or give a module address such as 'mypackage.mymodule')"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only "this very module is missing" is a lookup error; a missing import *inside* it is a bug
        # worth seeing in full.
        if error.name is None or not module_name.startswith(error.name):
            raise
        raise ValueError(
            f"task {name!r} lives in module {module_name!r}, which is not available "
            f"({error}); available tasks: {', '.join(available_tasks())}"
        ) from None
    return _task_from_module(module, task_name, name)
