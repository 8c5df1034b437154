"""Grade a student's folder: run every graded test in a worker subprocess, each with its own time limit.

One worker runs the tests one after another (JAX is imported once, not once per test). When a test runs
past its limit, or the worker dies (``os._exit``, a crash), that test gets its reason and 0 points, the
worker is killed and a fresh one carries on with the tests after it. Nothing the student's code does can
stop the grader or cost another test its points.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mmjax.assignments import catalog
from mmjax.assignments.provenance import scan_folder
from mmjax.assignments.testing import GradedTest, collect
from mmjax.assignments.worker import run_tests

MANIFEST = "assignment.json"
STARTUP_SECONDS = 120.0  # importing JAX and the checks before the first test, on a busy machine


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder} is not an assignment folder (no {MANIFEST}); make one with `mmjax assignment new NAME --dir DIR`"
        )
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); `mmjax assignment new` writes it") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("assignment"), str):
        raise ValueError(f'{path} must hold {{"assignment": NAME}}; `mmjax assignment new` writes it')
    return manifest


def folder_assignment(folder: str | Path, expected: str | None = None) -> str:
    """The assignment a folder holds: its manifest's, which must be ``expected`` when that is given.

    With ``expected`` (``--assignment``), a folder without a manifest is graded as that assignment: a
    Gradescope submission holds only the files the student uploaded.
    """
    if expected is not None and not (Path(folder) / MANIFEST).exists():
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"{folder} is not a folder")
        return catalog.get(expected).name
    name = catalog.get(read_manifest(folder)["assignment"]).name
    if expected is not None and name != expected:
        raise ValueError(f"{folder} holds assignment {name}, not {expected}")
    return name


def hidden_files(hidden: str | Path) -> list[Path]:
    """The instructor's hidden test files: a ``.py`` file, or every ``*.py`` in a folder, as absolute paths.

    A relative path is relative to the caller's working directory (the worker runs in the student's folder,
    so it gets absolute paths).
    """
    path = Path(hidden).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"hidden tests {hidden} does not exist (looked for {path.resolve()}); give a folder of test_*.py "
            "files or one .py file"
        )
    if path.is_file():
        if path.suffix != ".py":
            raise ValueError(f"hidden tests {hidden} is not a .py file; give a folder of test_*.py files or one .py")
        return [path.resolve()]
    files = sorted(p.resolve() for p in path.glob("*.py"))
    if not files:
        raise ValueError(f"hidden tests folder {hidden} holds no *.py files")
    return files


def graded_tests(name: str, hidden: str | Path | list[Path] | None = None) -> list[GradedTest]:
    """The public tests of assignment ``name``, then the hidden ones (``hidden``: see ``hidden_files``)."""
    specs = collect(catalog.get(name).checks, "public")
    if hidden is not None:
        files = hidden if isinstance(hidden, list) else hidden_files(hidden)
        hidden_specs = [spec for path in files for spec in collect(path, "hidden")]
        if not hidden_specs:
            raise ValueError(f"no test_* functions in the hidden tests {', '.join(str(f) for f in files)}")
        specs += hidden_specs
    return specs


class _Worker:
    """A worker subprocess and a thread that turns its protocol lines into a queue (None at the end)."""

    def __init__(self, folder: Path, specs: list[GradedTest], guard: dict):
        self.stderr = tempfile.TemporaryFile()
        package_root = str(catalog.PACKAGE.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        tests = [(s.id, s.path, s.function) for s in specs]
        payload = json.dumps({"folder": str(folder), "tests": tests, **guard})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mmjax.assignments.worker", payload],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=folder,
            env=env,
            text=True,
            start_new_session=True,  # its own process group: killing it also ends processes the student started
        )
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self.events.put(None)

    def stop(self) -> str:
        """Kill the worker if it still runs; return the end of what it wrote to stderr."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (AttributeError, ProcessLookupError):  # no process groups (Windows), or already gone
                self.process.kill()
        self.process.wait()
        self.stderr.seek(0)
        tail = self.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
        self.stderr.close()
        return " | ".join(tail)


def _run_isolated(folder: Path, specs: list[GradedTest], timeout: float | None, guard: dict) -> dict[str, dict]:
    results, pending = {}, list(specs)
    while pending:
        worker = _Worker(folder, pending, guard)
        current, deadline = None, time.monotonic() + STARTUP_SECONDS
        limits = {s.id: (timeout or s.timeout) for s in pending}
        while True:
            try:
                event = worker.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                event = "timeout"
            if isinstance(event, dict) and "start" in event:
                current, deadline = event["start"], time.monotonic() + limits[event["start"]]
            elif isinstance(event, dict) and "done" in event:
                results[event["done"]] = event
                current, deadline = None, time.monotonic() + STARTUP_SECONDS
            else:  # the worker hung or ended: charge the test it was running, or the next one
                stderr = worker.stop()
                charged = current or next((s.id for s in pending if s.id not in results), None)
                if charged is not None and charged not in results:
                    if event == "timeout":
                        reason = f"did not finish within {limits[charged]:g} s (an infinite loop?)"
                        status = "timeout"
                    else:
                        code = worker.process.returncode
                        reason = f"the test process ended (exit code {code}) while running it" + (
                            f": {stderr}" if stderr else ""
                        )
                        status = "crashed"
                    results[charged] = {"done": charged, "status": status, "reason": reason, "seconds": None}
                break
        pending = [s for s in pending if s.id not in results]
    return results


def _run_in_process(folder: Path, specs: list[GradedTest], guard: dict) -> dict[str, dict]:
    """The same tests in this process, without time limits: for trusted code (the reference, tests)."""
    results = {}

    def emit(event):
        if "done" in event:
            results[event["done"]] = event

    run_tests(str(folder), [(s.id, s.path, s.function) for s in specs], emit, guard["assignment"], guard["refuse"])
    return results


def summary(tests: list[dict]) -> str:
    """One line that never says "all passed" while a hidden test is unrun or failing."""
    public = [t for t in tests if t["visibility"] == "public"]
    hidden = [t for t in tests if t["visibility"] == "hidden"]
    public_failed = sum(t["status"] != "passed" for t in public)
    hidden_failed = sum(t["status"] != "passed" for t in hidden)
    if hidden and public_failed == 0 and hidden_failed == 0:
        return "all tests passed, public and hidden"
    parts = [f"{public_failed} of {len(public)} public tests failed" if public_failed else "all public tests passed"]
    if hidden:
        parts.append(f"{hidden_failed} of {len(hidden)} hidden tests failed" if hidden_failed else "")
    else:
        parts.append("hidden tests not run (the instructor grades with them)")
    return "; ".join(p for p in parts if p)


def grade(
    folder: str | Path,
    hidden: str | Path | list[Path] | None = None,
    timeout: float | None = None,
    isolate: bool = True,
    assignment: str | None = None,
):
    """Grade the student folder ``folder`` (made by ``mmjax assignment new``); returns the report dict.

    ``timeout`` replaces every test's own limit; ``isolate=False`` runs the tests in this process;
    ``assignment`` is the one the folder must hold (see ``folder_assignment``).
    """
    specs = graded_tests(assignment, hidden) if assignment else None  # the instructor's errors come first
    name = folder_assignment(folder, assignment)
    folder = Path(folder).resolve()
    specs = specs or graded_tests(name, hidden)
    taken, problems = scan_folder(name, folder)
    refuse: dict[str, dict[str, str]] = {}
    for t in taken:
        refuse.setdefault(Path(t.file).stem, {})[t.function] = t.message
    guard = {"assignment": name, "refuse": refuse}
    start = time.perf_counter()
    results = _run_isolated(folder, specs, timeout, guard) if isolate else _run_in_process(folder, specs, guard)
    tests = []
    for spec in specs:
        result = results.get(spec.id, {"status": "not run", "reason": "the grader did not reach it", "seconds": None})
        passed = result["status"] == "passed"
        tests.append(
            {
                "id": spec.id,
                "visibility": spec.visibility,
                "test": spec.function,
                "points": spec.points if passed else 0,
                "max_points": spec.points,
                "status": result["status"],
                "reason": result["reason"],
                "seconds": result["seconds"],
            }
        )

    def total(visibility: str) -> dict:
        chosen = [t for t in tests if t["visibility"] == visibility]
        return {"points": sum(t["points"] for t in chosen), "max_points": sum(t["max_points"] for t in chosen)}

    return {
        "assignment": name,
        "folder": str(folder),
        "tests": tests,
        "public": total("public"),
        "hidden": {**total("hidden"), "run": hidden is not None},
        "points": sum(t["points"] for t in tests),
        "max_points": sum(t["max_points"] for t in tests),
        "summary": summary(tests),
        "notes": problems + [t.message for t in taken],  # found before running: missing, unparsable, imported
        "seconds": round(time.perf_counter() - start, 1),
    }


def format_report(report: dict) -> str:
    """The table a student reads: points, visibility, test and, for a failure, why."""
    rows = [f"assignment {report['assignment']}: {len(report['tests'])} tests in {report['seconds']} s", ""]
    width = max(len(t["test"]) for t in report["tests"])
    rows.append(f"{'points':>7}  {'kind':<6}  {'test':<{width}}  result")
    for t in report["tests"]:
        result = "passed" if t["status"] == "passed" else f"{t['status']}: {t['reason']}"
        rows.append(f"{t['points']:>3} / {t['max_points']:<2} {t['visibility']:<6}  {t['test']:<{width}}  {result}")
    rows.append("")
    rows.append(f"public: {report['public']['points']} / {report['public']['max_points']} points")
    if report["hidden"]["run"]:
        rows.append(f"hidden: {report['hidden']['points']} / {report['hidden']['max_points']} points")
    else:
        rows.append("hidden: not run")
    rows += [f"note: {note}" for note in report.get("notes", [])]
    rows.append(report["summary"])
    return "\n".join(rows)
