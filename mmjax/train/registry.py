"""Task names -> the modules that define them.

Convention for a model module (e.g. ``mmjax/gan/task.py``):

* a module with one task defines ``TASK = Task(name="seq2seq", ...)``;
* a module with several tasks defines ``TASKS = {"gan2d": Task(...), "dcgan": Task(...)}``
  (it may define both; ``TASKS`` is looked up first).

Then add one line to :data:`TASK_MODULES` below. Modules are imported only when a task is asked for,
so a missing or broken model never stops the other tasks from running. A task that is not registered
can still be run by its full address, ``package.module:NAME`` (``:NAME`` may be left off when the module
has a single ``TASK``), which is handy for experiments in your own files.
"""

from __future__ import annotations

import importlib

from mmjax.train.task import Task

TASK_MODULES: dict[str, str] = {
    "toy": "mmjax.train.toy",  # tiny MLP regression: the loop's own test task
    "gan2d": "mmjax.gan.task",  # GAN on 2-D Gaussian mixtures (issue 4)
    "dcgan": "mmjax.gan.task",  # conditional DCGAN on Shapes images (issue 4)
    "seq2seq": "mmjax.seq2seq.task",  # Transformer encoder-decoder (issue 3)
}


def available_tasks() -> list[str]:
    """Registered task names, sorted."""
    return sorted(TASK_MODULES)


def _task_from_module(module, name: str, address: str) -> Task:
    tasks = dict(getattr(module, "TASKS", {}) or {})
    single = getattr(module, "TASK", None)
    if single is not None:
        tasks.setdefault(single.name, single)
    if name in tasks:
        task = tasks[name]
    elif name == "" and len(tasks) == 1:
        task = next(iter(tasks.values()))
    else:
        found = ", ".join(sorted(tasks)) or "none (it defines neither TASK nor TASKS)"
        raise ValueError(f"{address}: module {module.__name__!r} has no task {name!r}; it defines: {found}")
    if not isinstance(task, Task):
        raise TypeError(f"{address}: expected a mmjax.train.task.Task, got {type(task).__name__}")
    return task


def get_task(name: str) -> Task:
    """Look up a task by registered name or by ``package.module:NAME`` address.

    Raises ValueError, listing the available tasks, when the name is unknown or its module cannot be
    imported (for example because the model's issue is not merged yet).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"task name must be a non-empty string, got {name!r}")
    if name in TASK_MODULES:
        module_name, task_name = TASK_MODULES[name], name
    elif ":" in name or "." in name:
        module_name, _, task_name = name.partition(":")
    else:
        raise ValueError(f"unknown task {name!r}; available tasks: {', '.join(available_tasks())} "
                         "(or give a module address such as 'mypackage.mymodule:NAME')")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only "this very module is missing" is a lookup error; a missing import *inside* it is a bug
        # worth seeing in full.
        if error.name is None or not module_name.startswith(error.name):
            raise
        raise ValueError(f"task {name!r} lives in module {module_name!r}, which is not available "
                         f"({error}); available tasks: {', '.join(available_tasks())}") from None
    return _task_from_module(module, task_name, name)
