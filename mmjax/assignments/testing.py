"""What a graded test sees: the ``graded`` decorator, the student's modules, and a closeness check.

A graded test is a function ``test_NAME(student)`` in a checks file (the package's own, or an instructor's
hidden one). ``student.attention`` is the student's ``attention.py``, imported from their folder under a name
of its own, so it never shadows the library module it was copied from. Points and time limit are given by

    @graded(points=2, timeout=20)
    def test_masked_attention_matches_jax(student): ...

and read from the source without importing it (``collect``), so the grader knows every test before any runs.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

DEFAULT_POINTS = 1
DEFAULT_TIMEOUT = 30.0  # seconds per test, compilation included, on a busy 2-core machine


def graded(points: int = DEFAULT_POINTS, timeout: float = DEFAULT_TIMEOUT):
    """Mark a test with its points and its time limit (literals: the grader reads them from the source)."""

    def mark(test):
        test.points, test.timeout = points, timeout
        return test

    return mark


@dataclasses.dataclass(frozen=True)
class GradedTest:
    id: str  # "public/attention.test_x" or "hidden/extra.test_y"
    visibility: str  # "public" or "hidden"
    path: str  # the checks file
    function: str
    points: int
    timeout: float


def _decorator_arguments(node: ast.FunctionDef, path: Path) -> dict:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "graded":
            try:
                return {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
            except ValueError:
                raise ValueError(
                    f"{path}: {node.name}: @graded takes literal keywords (points=2, timeout=20)"
                ) from None
    return {}


def collect(path: Path, visibility: str) -> list[GradedTest]:
    """The ``test_*`` functions of a checks file, in source order, with their points and time limits."""
    try:
        tree = ast.parse(Path(path).read_text(), str(path))
    except SyntaxError as error:  # an instructor's typo is bad input, reported before any test runs
        raise ValueError(f"{path} does not parse (line {error.lineno}: {error.msg})") from None
    specs = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            arguments = _decorator_arguments(node, path)
            points, timeout = arguments.get("points", DEFAULT_POINTS), arguments.get("timeout", DEFAULT_TIMEOUT)
            if not isinstance(points, int) or points < 1 or not isinstance(timeout, int | float) or timeout <= 0:
                raise ValueError(f"{path}: {node.name} needs points >= 1 and timeout > 0")
            test_id = f"{visibility}/{Path(path).stem}.{node.name}"
            specs.append(GradedTest(test_id, visibility, str(path), node.name, points, float(timeout)))
    return specs


class Student:
    """The student's modules, imported on first use from their folder: ``student.attention`` etc.

    An import that fails (a syntax error, an exception, ``sys.exit`` at module level) fails every test that
    uses the module, with the same reason, instead of stopping the grader. ``prepare(stem, module)``, when
    given, sees each module once it has loaded (the grader replaces there what the student did not write).
    """

    def __init__(self, folder: str | Path, prepare: Callable[[str, object], None] | None = None):
        self._folder = Path(folder).resolve()
        self._prepare = prepare
        self._prefix = "mmjax_student_" + hashlib.sha1(str(self._folder).encode()).hexdigest()[:10]
        self._loaded: dict[str, object] = {}

    def __getattr__(self, stem: str):
        if stem.startswith("_"):
            raise AttributeError(stem)
        if stem not in self._loaded:
            self._loaded[stem] = self._import(stem)
        loaded = self._loaded[stem]
        if isinstance(loaded, BaseException):
            raise loaded
        return loaded

    def _import(self, stem: str):
        path = self._folder / f"{stem}.py"
        if not path.is_file():
            return FileNotFoundError(f"{path} is missing: the assignment needs your {stem}.py")
        name = f"{self._prefix}_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as error:  # noqa: BLE001 - a student's import may even call sys.exit
            sys.modules.pop(name, None)
            failure = ImportError(f"importing your {stem}.py failed: {type(error).__name__}: {error}")
            failure.__cause__ = error
            return failure
        if self._prepare is not None:
            self._prepare(stem, module)
        return module


def close(actual, expected, what: str, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    """Assert ``actual`` has ``expected``'s shape and values, saying how far off it is when not."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(actual)) and np.all(np.isfinite(expected)):
        raise AssertionError(f"{what}: has NaN or inf values")
    error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    if not np.all(error <= atol + rtol * np.abs(expected)):
        raise AssertionError(f"{what}: off by up to {float(error.max()):.3g} (tolerance {atol:g})")
