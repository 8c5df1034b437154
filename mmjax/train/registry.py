"""Task names -> the modules that define them, found from the package's files: nothing to edit by hand.

Every model package has a ``task.py`` that defines ``TASK = Task(name=..., ...)``; its folder's name is the
task's name (``mmjax/text2image/task.py`` is ``mmjax train text2image``), so a new package is a new task.
The task itself declares what mmjax's other lists are derived from (:class:`mmjax.train.task.Task`: its tiny
test config, its bench kind, its evaluation adapter). Finding the names reads only file names: modules are
imported when a task is asked for, so a missing or broken model never stops the other tasks from running.
A task that is not registered can still be run by its module's address, ``package.module`` (or
``package.module:NAME``), which is handy for experiments in your own files.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from mmjax.train.task import Task

PACKAGE = Path(__file__).resolve().parents[1]  # the mmjax package folder


def discover(package: Path = PACKAGE) -> dict[str, str]:
    """``{folder name: module}`` for every ``task.py`` below ``package`` (the contract ``train/task.py`` aside)."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("task.py")):
        if path.parent == package / "train":
            continue
        module = ".".join((package.name, *path.relative_to(package).with_suffix("").parts))
        if path.parent.name in found:
            raise ValueError(f"two task packages are named {path.parent.name!r}: {found[path.parent.name]}, {module}")
        found[path.parent.name] = module
    return found


TASK_MODULES: dict[str, str] = discover()


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
