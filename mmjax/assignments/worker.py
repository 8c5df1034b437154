"""Run graded tests one by one against a student's folder, reporting each as a JSON line.

    python -m mmjax.assignments.worker '{"folder": ..., "tests": [[id, path, function], ...],
                                         "assignment": "attention", "refuse": {stem: {function: reason}}}'

The grader (``grader.py``) starts this in a subprocess and reads the lines from the process's original
stdout; whatever the student's code prints goes to stderr instead, so it cannot garble the protocol.
Each test is announced (``{"start": id}``) before it runs, so when the process hangs or dies the grader
knows which test did it, charges that test, and starts a new worker for the rest.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from mmjax.assignments.guard import TakenFromLibrary, library_guard, prepare_student
from mmjax.assignments.testing import Student

MAX_REASON = 400  # characters: a table row, not a dump of the student's arrays


def _load_checks(paths: list[str]) -> dict:
    """path -> the imported checks module, or the exception importing it raised (its tests report it)."""
    modules = {}
    for index, path in enumerate(dict.fromkeys(paths)):
        name = f"mmjax_checks_{Path(path).stem}_{index}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            modules[path] = module
        except Exception as error:  # an instructor's broken hidden file fails its own tests only
            modules[path] = RuntimeError(f"the checks file {Path(path).name} does not import: {error!r}")
    return modules


def _where(error: BaseException, folder: Path) -> str:
    """' (at attention.py:52)': the deepest line of the student's own files in the traceback, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).parent == folder]
    return f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""


def describe(error: BaseException, folder: Path) -> tuple[str, str]:
    """(status, reason) of a test that raised ``error``."""
    if isinstance(error, TakenFromLibrary):
        return "imported", str(error)
    if isinstance(error, NotImplementedError):
        return "failed", f"not implemented yet: {error}{_where(error, folder)}"
    if isinstance(error, AssertionError):
        return "failed", str(error) or "an assertion failed"
    if isinstance(error, SystemExit):
        return "failed", f"your code called sys.exit({error.code!r}){_where(error, folder)}"
    if isinstance(error, ImportError) and isinstance(error.__cause__, BaseException):
        return "failed", f"{error}{_where(error.__cause__, folder)}"
    return "failed", f"{type(error).__name__}: {error}{_where(error, folder)}"


def run_tests(
    folder: str,
    tests: list[tuple[str, str, str]],
    emit: Callable[[dict], None],
    assignment: str | None = None,
    refuse: dict[str, dict[str, str]] | None = None,
) -> None:
    """Run each (id, checks path, function name) against the student's ``folder``; ``emit`` each event.

    With ``assignment``, the student's graded functions must be their own (``guard.py``); ``refuse`` names
    those the syntax-tree scan found taken from the library.
    """
    resolved = Path(folder).resolve()
    prepare = prepare_student(assignment, resolved, refuse) if assignment else None
    student = Student(folder, prepare)
    # The checks (and JAX with them) are imported before the first test starts, outside its time limit.
    checks = _load_checks([path for _, path, _ in tests])
    guard = library_guard(assignment, resolved) if assignment else contextlib.nullcontext()
    with guard:
        _run(student, resolved, checks, tests, emit)


def _run(student: Student, resolved: Path, checks: dict, tests: list, emit: Callable[[dict], None]) -> None:
    for test_id, path, function in tests:
        emit({"start": test_id})
        start = time.perf_counter()
        try:
            if isinstance(checks[path], Exception):
                raise checks[path]
            getattr(checks[path], function)(student)
            status, reason = "passed", ""
        except BaseException as error:  # noqa: BLE001 - a student's sys.exit costs only this test
            status, reason = describe(error, resolved)
            reason = reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 3] + "..."
        emit({"done": test_id, "status": status, "reason": reason, "seconds": round(time.perf_counter() - start, 3)})


def main() -> None:
    spec = json.loads(sys.argv[1])
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.stdout = sys.stderr

    def emit(event: dict) -> None:
        protocol.write(json.dumps(event) + "\n")
        protocol.flush()

    tests = [tuple(t) for t in spec["tests"]]
    run_tests(spec["folder"], tests, emit, spec.get("assignment"), spec.get("refuse"))
    protocol.close()


if __name__ == "__main__":
    main()
