"""Grade a class: many student folders in one call, one entry each, a folder that cannot be graded included.

Every folder is graded against the same tests (one assignment, one set of hidden tests), so the entries line
up as the rows of one table (``exports.py``). The instructor's own mistakes (a hidden tests path that does not
exist, a hidden file that does not parse, folders of different assignments with no ``--assignment``) stop
the call before any test runs; a student's folder that cannot be graded (no manifest, another assignment,
a manifest that is not JSON) becomes an entry saying why, and the others are graded as usual.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path

from mmjax.assignments import grader


def class_assignment(folders: list[str], assignment: str | None = None) -> str:
    """The one assignment of the class: ``assignment`` when given, else the one every readable manifest names."""
    if assignment is not None:
        return grader.catalog.get(assignment).name
    names = collections.Counter()
    for folder in folders:
        try:
            names[grader.read_manifest(folder)["assignment"]] += 1
        except (ValueError, FileNotFoundError):
            continue  # that folder's own entry will say why
    if len(names) == 1:
        return grader.catalog.get(next(iter(names))).name
    if not names:
        raise ValueError("none of the folders has a readable assignment.json; name the assignment with --assignment")
    counts = ", ".join(f"{name}: {count}" for name, count in names.most_common())
    raise ValueError(f"the folders hold different assignments ({counts}); name the one to grade with --assignment")


def grade_class(
    folders: list[str],
    hidden: str | Path | list[Path] | None = None,
    timeout: float | None = None,
    assignment: str | None = None,
    isolate: bool = True,
    on_entry: Callable[[dict], None] | None = None,
) -> dict:
    """Grade every folder; returns {"assignment", "tests": [{id, visibility, max_points}], "entries": [...]}.

    An entry is {"folder": as given, "report": grader.grade's report} or {"folder": as given, "error": why}.
    Without ``assignment``, a folder needs a manifest naming the class's assignment; with it, a folder without
    a manifest is graded as that assignment (see ``grader.folder_assignment``). ``on_entry`` sees each entry
    as soon as it is made (progress).
    """
    files = grader.hidden_files(hidden) if isinstance(hidden, str | Path) else hidden
    name = class_assignment(folders, assignment)
    specs = grader.graded_tests(name, files)  # parses the hidden tests: their errors come before any test runs
    entries = []
    for folder in folders:
        try:
            if assignment is None:
                grader.folder_assignment(folder)  # the inferred name is no licence to skip a missing manifest
            report = grader.grade(folder, files, timeout, isolate, assignment=name)
            entry = {"folder": str(folder), "report": report}
        except (ValueError, FileNotFoundError, TypeError) as error:  # this folder only, never the class
            entry = {"folder": str(folder), "error": str(error)}
        entries.append(entry)
        if on_entry is not None:
            on_entry(entry)
    return {
        "assignment": name,
        "hidden_run": files is not None,
        "tests": [{"id": s.id, "visibility": s.visibility, "max_points": s.points} for s in specs],
        "entries": entries,
    }


def failed(result: dict) -> bool:
    """True when a folder could not be graded or a graded test did not pass: the exit status is then 1."""
    return any(
        "error" in entry or any(t["status"] != "passed" for t in entry["report"]["tests"])
        for entry in result["entries"]
    )
