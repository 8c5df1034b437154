"""``mmjax assignment``: list the course assignments, write a student copy, grade a folder or a class.

mmjax assignment list
mmjax assignment new attention --dir hw1
mmjax assignment grade hw1 [--hidden-tests FOLDER|FILE] [--out report.json] [--timeout SECONDS]
mmjax assignment grade class/* --hidden-tests instructor/attention --csv grades.csv
mmjax assignment grade /autograder/submission --assignment attention --hidden-tests hidden \
    --gradescope /autograder/results/results.json --exit-zero

The exit status is 1 when a graded test fails or a folder cannot be graded (0 with --exit-zero), 2 for bad
usage. See docs/instructors.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def list_assignments(args: argparse.Namespace) -> int:
    from mmjax.assignments.catalog import ASSIGNMENTS
    from mmjax.assignments.testing import collect

    for a in ASSIGNMENTS.values():
        tests = collect(a.checks, "public")
        points = sum(t.points for t in tests)
        print(f"{a.name:<14} {a.title} ({len(tests)} tests, {points} points)")
        print(f"{'':<14} taught in {', '.join(a.chapters)}")
    return 0


def new(args: argparse.Namespace) -> int:
    from mmjax.assignments.copies import write_copy

    paths = write_copy(args.name, args.dir, solution=args.solution)
    print(f"wrote {len(paths)} files to {args.dir}: {', '.join(p.name for p in paths)}")
    print(f"grade with: mmjax assignment grade {args.dir}")
    return 0


def grade(args: argparse.Namespace) -> int:
    from mmjax.assignments import classroom, exports, grader

    if args.timeout is not None and args.timeout <= 0:
        raise ValueError(f"--timeout must be > 0 seconds, got {args.timeout}")
    # the instructor's mistakes first, before any test runs
    hidden = grader.hidden_files(args.hidden_tests) if args.hidden_tests is not None else None
    gradescope = exports.gradescope_paths(args.dir, args.gradescope) if args.gradescope else None
    if len(args.dir) == 1:
        result = _grade_one(args, hidden, gradescope)
    else:
        print(f"grading {len(args.dir)} folders")
        result = classroom.grade_class(args.dir, hidden, args.timeout, args.assignment, on_entry=_print_entry)
        _write_json(args.out, result)
    if args.csv:
        print(f"wrote {exports.write_csv(result, args.csv)}")
    if gradescope:
        exports.write_gradescope(result, gradescope, args.hidden_visibility)
        print(f"wrote {gradescope[0] if len(gradescope) == 1 else f'{len(gradescope)} files to {args.gradescope}'}")
    return 0 if args.exit_zero or not classroom.failed(result) else 1


def _grade_one(args: argparse.Namespace, hidden, gradescope) -> dict:
    """One folder: the table, and the report as --out JSON (the format it always had)."""
    from mmjax.assignments import exports, grader

    folder = args.dir[0]
    try:
        name = grader.folder_assignment(folder, args.assignment)
    except (ValueError, FileNotFoundError) as error:
        # bad usage (exit 2) for the command line, but on Gradescope the student should still read why
        if gradescope:
            exports.write_gradescope({"entries": [{"folder": folder, "error": str(error)}]}, gradescope)
        raise
    specs = grader.graded_tests(name, hidden)
    report = grader.grade(folder, hidden, args.timeout, assignment=name)
    print(grader.format_report(report))
    _write_json(args.out, report)
    tests = [{"id": s.id, "visibility": s.visibility, "max_points": s.points} for s in specs]
    return {
        "assignment": name,
        "hidden_run": hidden is not None,
        "tests": tests,
        "entries": [{"folder": folder, "report": report}],
    }


def _print_entry(entry: dict) -> None:
    if "error" in entry:
        print(f"{entry['folder']}: not graded: {entry['error']}")
    else:
        report = entry["report"]
        print(f"{entry['folder']}: {report['points']} / {report['max_points']} points; {report['summary']}")


def _write_json(path: str | None, data: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {path}")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "assignment",
        help="course assignments: list, write a student copy, grade it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="assignment_command", metavar="ACTION", required=True)
    commands.add_parser("list", help="the available assignments").set_defaults(func=list_assignments)
    writer = commands.add_parser("new", help="write a student copy: the solution bodies raise NotImplementedError")
    writer.add_argument("name", help="an assignment name (see `mmjax assignment list`)")
    writer.add_argument("--dir", required=True, help="the folder to write (must not hold the assignment's files)")
    writer.add_argument("--solution", action="store_true", help="copy the reference solution instead (instructors)")
    writer.set_defaults(func=new)
    grader = commands.add_parser(
        "grade", help="run the graded tests against one folder or a class of them: a table, JSON, CSV, Gradescope"
    )
    grader.add_argument("dir", nargs="+", help="the students' folders (made by `mmjax assignment new`)")
    grader.add_argument(
        "--hidden-tests",
        default=None,
        help="the instructor's own checks: a folder of *.py files of test_* functions, or one .py file "
        "(a relative path is relative to the current folder)",
    )
    grader.add_argument(
        "--assignment",
        default=None,
        help="the assignment every folder must hold; a folder without assignment.json is then graded as it "
        "(default: the one the folders' assignment.json name)",
    )
    grader.add_argument("--out", default=None, help="JSON: the report of one folder, or of every folder")
    grader.add_argument("--csv", default=None, help="CSV gradebook: one row per folder, a column per test")
    grader.add_argument(
        "--gradescope",
        default=None,
        help="Gradescope's results.json for one folder; for several, a folder that gets one <folder name>.json each",
    )
    grader.add_argument(
        "--hidden-visibility",
        choices=("after_published", "after_due_date", "hidden"),
        default="after_published",
        help="when Gradescope shows students the hidden tests (default: after the grades are published)",
    )
    grader.add_argument("--timeout", type=float, default=None, help="seconds per test (default: each test's own)")
    grader.add_argument("--exit-zero", action="store_true", help="exit 0 even when a test fails (CI, Gradescope)")
    grader.set_defaults(func=grade)
