"""``mmjax assignment``: list the course assignments, write a student copy, grade a folder.

mmjax assignment list
mmjax assignment new attention --dir hw1
mmjax assignment grade hw1 [--hidden-tests FOLDER] [--out report.json] [--timeout SECONDS]
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
    from mmjax.assignments.grader import format_report
    from mmjax.assignments.grader import grade as run_grade

    if args.timeout is not None and args.timeout <= 0:
        raise ValueError(f"--timeout must be > 0 seconds, got {args.timeout}")
    report = run_grade(args.dir, hidden=args.hidden_tests, timeout=args.timeout)
    print(format_report(report))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


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
    grader = commands.add_parser("grade", help="run the graded tests against a folder, print a table, write JSON")
    grader.add_argument("dir", help="the student's folder (made by `mmjax assignment new`)")
    grader.add_argument("--hidden-tests", default=None, help="a folder of the instructor's own test_*.py checks")
    grader.add_argument("--out", default=None, help="JSON report path")
    grader.add_argument("--timeout", type=float, default=None, help="seconds per test (default: each test's own)")
    grader.set_defaults(func=grade)
