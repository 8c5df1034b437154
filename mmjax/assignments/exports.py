"""A graded class as a CSV gradebook, and one student's grade as Gradescope's ``results.json``.

CSV, one row per folder:

    folder, assignment, status, <test id>..., public, hidden, total, max_points, notes

``status`` is ``graded`` or ``error``; a folder that could not be graded has empty points and its reason in
``notes``; a graded one has there what the grader found before running (a missing or unparsable file, a
function taken from the library).

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/) reads one student's
``/autograder/results/results.json``: a top-level ``score`` and a ``tests`` list of ``name``, ``score``,
``max_score``, ``status``, ``output`` and ``visibility``. Public tests are ``visible``; hidden ones get
``hidden_visibility`` (``after_published`` by default: shown once the instructor publishes the grades;
``after_due_date``, or ``hidden`` for never). The top-level ``output``, which students see at once, speaks of
the public tests only, so it gives nothing of a hidden test away.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HIDDEN_VISIBILITIES = ("after_published", "after_due_date", "hidden")


def csv_rows(result: dict) -> list[list]:
    """The header, then one row per entry of ``classroom.grade_class``'s result."""
    ids = [t["id"] for t in result["tests"]]
    rows = [["folder", "assignment", "status", *ids, "public", "hidden", "total", "max_points", "notes"]]
    max_points = sum(t["max_points"] for t in result["tests"])
    for entry in result["entries"]:
        if "error" in entry:
            rows.append([entry["folder"], result["assignment"], "error", *[""] * (len(ids) + 4), entry["error"]])
            continue
        report = entry["report"]
        points = {t["id"]: t["points"] for t in report["tests"]}
        hidden = report["hidden"]["points"] if report["hidden"]["run"] else ""
        totals = [report["public"]["points"], hidden, report["points"], max_points]
        notes = "; ".join(report.get("notes", []))
        rows.append([entry["folder"], report["assignment"], "graded", *[points[i] for i in ids], *totals, notes])
    return rows


def write_csv(result: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(csv_rows(result))
    return path


def gradescope_results(entry: dict, hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json for one entry: its tests, or score 0 and the reason it could not be graded."""
    if hidden_visibility not in HIDDEN_VISIBILITIES:
        raise ValueError(f"hidden tests' visibility must be one of {', '.join(HIDDEN_VISIBILITIES)}")
    if "error" in entry:
        return {"score": 0.0, "output": f"Your submission could not be graded: {entry['error']}", "tests": []}
    report = entry["report"]
    tests = [
        {
            "name": t["id"],
            "score": float(t["points"]),
            "max_score": float(t["max_points"]),
            "status": "passed" if t["status"] == "passed" else "failed",
            "output": "passed" if t["status"] == "passed" else f"{t['status']}: {t['reason']}",
            "visibility": "visible" if t["visibility"] == "public" else hidden_visibility,
        }
        for t in report["tests"]
    ]
    public = report["public"]
    lines = [f"Public tests: {public['points']} / {public['max_points']} points."]
    if report["hidden"]["run"]:
        lines.append("Hidden tests were run too; they are shown when your instructor publishes the grades.")
    lines += [f"Note: {note}" for note in report.get("notes", [])]
    return {
        "score": float(report["points"]),
        "execution_time": round(report["seconds"]),
        "output": "\n".join(lines),
        "tests": tests,
    }


def gradescope_paths(folders: list[str], target: str | Path) -> list[Path]:
    """Where each folder's results go: ``target`` itself for one folder, ``target/<folder name>.json`` for several."""
    target = Path(target)
    if len(folders) == 1:
        if target.is_dir():
            raise ValueError(f"--gradescope {target} is a folder; for one student give the results.json path")
        return [target]
    if target.exists() and not target.is_dir():
        raise ValueError(f"--gradescope {target} is a file; for several folders give a folder for one JSON each")
    names = [Path(folder).resolve().name for folder in folders]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"several folders are called {', '.join(repeated)}; --gradescope names each file after its folder"
        )
    return [target / f"{name}.json" for name in names]


def write_gradescope(result: dict, paths: list[Path], hidden_visibility: str = "after_published") -> None:
    for entry, path in zip(result["entries"], paths, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(entry, hidden_visibility), indent=2) + "\n")
