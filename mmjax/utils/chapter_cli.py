"""``mmjax chapters verify PATH [...]``: rerun chapters and report, figure by figure, whether the book holds;
``mmjax chapters notebooks --out DIR``: write every chapter as a Jupyter notebook.

    mmjax chapters verify chapters/03_algorithms/04_transformer_reversal.py           # full run, pass/fail
    mmjax chapters verify chapters/03_algorithms/*.py --record                        # and commit the records
    mmjax chapters verify chapters/02_core_concepts/01_one_scene_four_modalities.py --quick
    mmjax chapters notebooks --out notebooks                                          # .ipynb, outputs cleared
    mmjax chapters notebooks --out nb --install "git+https://github.com/ORG/mmjax"    # for a hosted notebook

Each chapter runs as a plain script in a fresh process (as a reader runs it), with its figures written to a
temporary folder; its own ``Chapter.finish()`` checks the Expected results table and writes the record
that is reported here. ``--record`` copies a full run's record and kept figures to ``chapters/records/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mmjax.utils import results
from mmjax.utils.chapter import commit_record


def run_chapter(path: Path, quick: bool, timeout: float, commit: bool = False) -> tuple[int, dict | None, float, str]:
    """``(exit code, record or None, wall seconds, output tail)`` of one chapter run in a fresh process;
    ``commit`` copies a passing full run's record to ``chapters/records/``."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "MMJAX_QUICK": "1" if quick else "0", "MMJAX_OUT": out, "MPLBACKEND": "Agg"}
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=timeout)
            code, tail = done.returncode, (done.stdout + done.stderr)[-2000:]
        except subprocess.TimeoutExpired:
            code, tail = 124, f"timed out after {timeout:.0f} s"
        seconds = time.perf_counter() - start
        result_file = Path(out) / path.parent.name / f"{path.stem}.results.json"
        record = json.loads(result_file.read_text()) if result_file.is_file() else None
        if record is not None and code == 0 and not quick and commit:
            extra = {
                "recorded": datetime.date.today().isoformat(),
                "wall_seconds": round(seconds, 1),
                "cpu_count": os.cpu_count(),
                "command": f"mmjax chapters verify {path} --record",
            }
            print(f"  recorded {commit_record(result_file, path, extra)}")
        return code, record, seconds, tail


def verify(args: argparse.Namespace) -> int:
    if args.record and args.quick:
        raise ValueError("--record keeps full runs only; drop --quick")
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_file() or p.suffix != ".py"]
    if missing:
        raise FileNotFoundError(
            f"not a chapter script: {', '.join(missing)} (expected chapters/NN_section/MM_topic.py)"
        )
    failures = 0
    for path in paths:
        print(f"== {path} ({'quick' if args.quick else 'full'} run)", flush=True)
        code, record, seconds, tail = run_chapter(path, args.quick, args.timeout, commit=args.record)
        if record and record["checks"]:
            print(results.format_rows(record["checks"]))
        status = "pass" if code == 0 else "FAIL"
        print(f"{status}: {path} in {seconds:.0f} s")
        if code != 0:
            failures += 1
            print(tail)
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


def notebooks(args: argparse.Namespace) -> int:
    from mmjax.utils.notebooks import write_notebooks

    clone = Path(__file__).resolve().parents[2]
    paths = [Path(p) for p in args.paths] or sorted((clone / "chapters").glob("*/*.py"))
    if not paths:
        raise FileNotFoundError(f"no chapters/ beside this install ({clone}); name the chapter scripts to convert")
    missing = [str(p) for p in paths if not p.is_file() or p.suffix != ".py"]
    if missing:
        raise FileNotFoundError(
            f"not a chapter script: {', '.join(missing)} (expected chapters/NN_section/MM_topic.py)"
        )
    written = write_notebooks(paths, args.out, args.install or str(clone))
    print(f"wrote {len(written)} notebooks under {args.out} (open with Jupyter; outputs cleared)")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "chapters",
        help="rerun chapter scripts and check their expected results",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="chapters_command", metavar="COMMAND")
    verify_parser = commands.add_parser("verify", help="run chapters (full mode by default) and check every figure")
    verify_parser.add_argument("paths", nargs="+", help="chapter scripts, e.g. chapters/03_algorithms/*.py")
    verify_parser.add_argument("--quick", action="store_true", help="quick mode (MMJAX_QUICK=1) instead of full")
    verify_parser.add_argument("--record", action="store_true", help="commit full-run records to chapters/records/")
    verify_parser.add_argument("--timeout", type=float, default=3600, help="seconds per chapter (default 3600)")
    verify_parser.set_defaults(func=verify)
    notebook_parser = commands.add_parser("notebooks", help="write chapters as Jupyter notebooks (outputs cleared)")
    notebook_parser.add_argument("paths", nargs="*", help="chapter scripts (default: every chapter of this clone)")
    notebook_parser.add_argument("--out", required=True, help="folder for <section>/<topic>.ipynb")
    notebook_parser.add_argument(
        "--install",
        default=None,
        help="what the first cell pip-installs where mmjax is missing (default: this clone's folder; for a "
        "hosted notebook, a git+https:// address or a wheel URL)",
    )
    notebook_parser.set_defaults(func=notebooks)
