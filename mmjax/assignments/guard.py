"""The grader's run-time half of "written, not imported": what the syntax-tree scan (``provenance.py``) misses.

While the tests run, three things keep a student from scoring with the library's reference solutions:

* the functions ``provenance.py`` found taken are replaced, in the student's loaded module, by one that raises
  ``TakenFromLibrary`` with the reason, so every test that calls them (directly or through the student's
  other functions) scores 0 and says why;
* a graded function whose code is the library's (``causal_mask = sys.modules[...].causal_mask``, a subclass
  that inherits ``attend``) is replaced the same way;
* the library's graded functions refuse calls made from a file of the student's folder
  (``getattr(sys.modules["mmjax.nn" + ".attention"], "causal_mask")(...)``), while the library's own calls
  (the starter's ``MultiHeadAttention`` calling its ``attend``) and the tests' go through.

A call that reaches the reference through JAX's tracing (``jax.jit(reference)(x)``) or a copy of its source
(``open`` + ``exec``) is not caught: the guard is a fence against copying by import, not a sandbox.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path

from mmjax.assignments import catalog
from mmjax.assignments.provenance import module_name

REFERENCE_MARK = "_mmjax_reference"  # set on the library's guarded functions


class TakenFromLibrary(Exception):
    """A graded function that the student's code takes from the library instead of writing it."""


def _refusing(message: str) -> Callable:
    def refuse(*args, **kwargs):
        raise TakenFromLibrary(message)

    return refuse


def _owner(module, qualified: str):
    """(object holding the last name, the last name): (module, 'f') or (class C, 'm') for 'C.m'."""
    *path, name = qualified.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part, None)
    return owner, name


def _library_file(function, folder: str) -> str | None:
    """The library file a graded function's code comes from, or None when it was written elsewhere."""
    if getattr(function, REFERENCE_MARK, False):
        return getattr(function, REFERENCE_MARK)
    try:
        function = inspect.unwrap(function)
    except ValueError:  # a cycle of __wrapped__
        return None
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    path = os.path.abspath(code.co_filename)
    package = str(catalog.PACKAGE)
    if os.path.dirname(path) != folder and path.startswith(package + os.sep):
        return os.path.relpath(path, catalog.PACKAGE.parent)
    return None


def prepare_student(name: str, folder: str | Path, refuse: dict[str, dict[str, str]] | None = None):
    """The hook ``testing.Student`` calls on each module it loads: replace what the student did not write.

    ``refuse`` maps a file stem to {qualified function: reason}, from ``provenance.scan_folder``.
    """
    folder, refuse = os.path.abspath(folder), refuse or {}
    graded = {Path(file).stem: functions for file, functions in catalog.get(name).functions}

    def prepare(stem: str, module) -> None:
        for qualified in graded.get(stem, ()):
            owner, attribute = _owner(module, qualified)
            if owner is None or not hasattr(owner, attribute):
                continue
            reason = refuse.get(stem, {}).get(qualified)
            source = None if reason else _library_file(getattr(owner, attribute), folder)
            if source:
                reason = f"{attribute} must be written, not imported: your {stem}.py takes it from {source}"
            if reason:
                setattr(owner, attribute, _refusing(reason))

    return prepare


def _guarded(function: Callable, where: str, folder: str) -> Callable:
    def guarded(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if os.path.dirname(os.path.abspath(caller)) == folder:
            short = where.split(".")[-1]
            raise TakenFromLibrary(
                f"{short} must be written, not imported: your {Path(caller).name} calls {where}, "
                "the library's reference solution"
            )
        return function(*args, **kwargs)

    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(guarded, attribute, getattr(function, attribute, None))
    with contextlib.suppress(TypeError, ValueError):
        guarded.__signature__ = inspect.signature(function)  # for jax.jit(static_argnames=...) and help()
    setattr(guarded, REFERENCE_MARK, where)
    return guarded


@contextlib.contextmanager
def library_guard(name: str, folder: str | Path):
    """While inside, the library's graded functions of assignment ``name`` refuse calls from ``folder``'s files."""
    folder = os.path.abspath(folder)
    replaced = []
    try:
        for library_file, functions in catalog.get(name).functions:
            module = importlib.import_module(module_name(library_file))
            for qualified in functions:
                owner, attribute = _owner(module, qualified)
                original = owner.__dict__[attribute]
                where = f"{module.__name__}.{qualified}"
                setattr(owner, attribute, _guarded(original, where, folder))
                replaced.append((owner, attribute, original))
        yield
    finally:
        for owner, attribute, original in reversed(replaced):
            setattr(owner, attribute, original)
