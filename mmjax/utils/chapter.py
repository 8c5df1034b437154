"""What every chapter script shares: quick mode, its output folder, and the figures it records and checks.

    chapter = Chapter(__file__)            # chapters/03_algorithms/04_transformer_reversal.py
    steps = 200 if chapter.quick else 1000
    chapter.record("exact_match", exact)   # a number the prose quotes
    ...
    chapter.finish()                       # checks the Expected results table (mmjax.utils.results)

``finish`` prints the check, writes ``<out>/<topic>.results.json`` and raises if a figure misses its band
in the mode the chapter ran in. ``mmjax chapters verify PATH --record`` runs a chapter in full mode and
commits its record (and the figures it keeps) under ``chapters/records/<section>/``, which is what quick
mode shows where it is too short to teach the lesson itself.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from mmjax.utils import results


def quick_mode() -> bool:
    """True when ``MMJAX_QUICK=1``: chapters then use tiny sizes so tests can run them in seconds."""
    return os.environ.get("MMJAX_QUICK", "0") == "1"


def output_dir(chapter: str) -> Path:
    """Folder for a chapter's figures: ``$MMJAX_OUT`` if set, else ``out/chapters/<chapter>``."""
    root = Path(os.environ.get("MMJAX_OUT", Path("out") / "chapters"))
    folder = root / chapter
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def records_dir(chapter_path: str | Path) -> Path:
    """``chapters/records/<section>/`` beside the chapter: committed full-run records and figures."""
    path = Path(chapter_path).resolve()
    return path.parents[1] / "records" / path.parent.name


class Chapter:
    """A running chapter: its mode, output folder, recorded figures and kept full-run figures."""

    def __init__(self, file: str | Path):
        self.path = Path(file).resolve()
        self.section, self.topic = self.path.parent.name, self.path.stem
        self.quick = quick_mode()
        self.mode = "quick" if self.quick else "full"
        self.out = output_dir(self.section)
        self.values: dict[str, float] = {}
        self.kept: list[str] = []
        self._start = time.perf_counter()

    def record(self, name: str, value) -> float:
        """Remember a figure the prose quotes; returns it as a float."""
        self.values[name] = float(value)
        return self.values[name]

    def keep(self, figure: str) -> Path:
        """Mark ``<out>/<figure>`` as worth committing from a full run (``verify --record`` copies it)."""
        self.kept.append(figure)
        return self.out / figure

    def full_run_figure(self, figure: str) -> Path:
        """The committed full-run version of ``figure``; printed so a reader of quick mode can open it."""
        path = records_dir(self.path) / self.topic / figure
        if not path.is_file():
            raise FileNotFoundError(
                f"no committed full-run figure {path}; make it with "
                f"`mmjax chapters verify {self.path.relative_to(self.path.parents[2])} --record`"
            )
        print(f"full-run figure (committed): {path}")
        return path

    def finish(self) -> list[dict]:
        """Check the Expected results table in this chapter's mode, write the record, raise on a miss."""
        table = results.expected_table(self.path.read_text())
        rows = results.check(self.values, table, self.mode)
        seconds = time.perf_counter() - self._start
        record = {
            "chapter": f"{self.section}/{self.path.name}",
            "mode": self.mode,
            "seconds": round(seconds, 1),
            "values": self.values,
            "checks": rows,
            "kept_figures": self.kept,
        }
        (self.out / f"{self.topic}.results.json").write_text(json.dumps(record, indent=2) + "\n")
        if rows:
            print(f"\nExpected results ({self.mode} run, {seconds:.0f} s):\n" + results.format_rows(rows))
        failed = [row for row in rows if row["status"].startswith("FAIL")]
        if failed:
            raise AssertionError(
                f"{len(failed)} figure(s) outside their expected band: "
                + ", ".join(f"{r['figure']}={r['value']} (expected {r['expected']})" for r in failed)
            )
        return rows


def commit_record(result_file: Path, chapter_path: Path, extra: dict) -> Path:
    """Copy a full run's record (and its kept figures) to ``chapters/records/<section>/``."""
    record = {**json.loads(Path(result_file).read_text()), **extra}
    if record["mode"] != "full":
        raise ValueError(f"only full runs are committed as records; {result_file} is a {record['mode']} run")
    target = records_dir(chapter_path)
    target.mkdir(parents=True, exist_ok=True)
    for figure in record.get("kept_figures", []):
        (target / Path(chapter_path).stem).mkdir(exist_ok=True)
        shutil.copyfile(Path(result_file).parent / figure, target / Path(chapter_path).stem / figure)
    out = target / f"{Path(chapter_path).stem}.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    return out
