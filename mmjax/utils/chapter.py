"""What every chapter script shares: quick mode, its output folder, and the figures it records and checks.

    chapter = Chapter("03_algorithms/04_transformer_reversal")   # named, not __file__: a notebook has none
    steps = 200 if chapter.quick else 1000
    chapter.record("exact_match", exact)   # a number the prose quotes
    ...
    chapter.finish()                       # checks the Expected results table (mmjax.utils.results)

``finish`` prints the check, writes ``<out>/<topic>.results.json`` and raises if a figure misses its band
in the mode the chapter ran in. ``mmjax chapters verify PATH --record`` runs a chapter in full mode and
commits its record (and the figures it keeps) under ``chapters/records/<section>/``, which is what quick
mode shows where it is too short to teach the lesson itself. The record names every shipped file the run
loaded (``shipped_files``: ``{"shapes/text2image.npz": sha256, ...}``, from ``mmjax.utils.artifacts.used``),
so that when a model ships again the chapters recorded with the old one are found and re-recorded.

A chapter names itself instead of passing ``__file__``, which a notebook does not have: it then runs the same
as a script, as a notebook under Jupyter from any working directory, and in a hosted notebook. Its source, where
the Expected results table lives, is looked up by that name (``chapter_source``); figures written with
``mmjax.utils.figures.save`` are shown inline when a notebook runs the chapter.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from mmjax.utils import artifacts, results


def quick_mode() -> bool:
    """True when ``MMJAX_QUICK=1``: chapters then use tiny sizes so tests can run them in seconds."""
    return os.environ.get("MMJAX_QUICK", "0") == "1"


def output_dir(chapter: str) -> Path:
    """Folder for a chapter's figures: ``$MMJAX_OUT`` if set, else ``out/chapters/<chapter>``."""
    root = Path(os.environ.get("MMJAX_OUT", Path("out") / "chapters"))
    folder = root / chapter
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chapter_source(name: str) -> Path | None:
    """``chapters/<section>/<topic>.py`` for ``name`` = ``"<section>/<topic>"``, or ``None`` where mmjax was
    installed without its chapters. Looked for under ``$MMJAX_CHAPTERS`` if set, then in a ``chapters/`` folder
    of the working directory or above it (a notebook opened inside a clone), then beside the imported ``mmjax``
    package (a clone with an editable install)."""
    here = Path.cwd().resolve()
    roots = [here, *(folder / "chapters" for folder in (here, *here.parents))]
    roots.append(Path(__file__).resolve().parents[2] / "chapters")
    if os.environ.get("MMJAX_CHAPTERS"):
        roots.insert(0, Path(os.environ["MMJAX_CHAPTERS"]))
    return next((root / f"{name}.py" for root in roots if (root / f"{name}.py").is_file()), None)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, nbclient, hosted notebooks): figures are then also shown inline."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def show_inline(path: str | Path) -> None:
    """Display a written figure (PNG or GIF) in the notebook that runs the chapter; nothing outside one."""
    if in_notebook():
        from IPython.display import Image, display

        display(Image(filename=str(path)))


def records_dir(chapter_path: str | Path) -> Path:
    """``chapters/records/<section>/`` beside the chapter: committed full-run records and figures."""
    path = Path(chapter_path).resolve()
    return path.parents[1] / "records" / path.parent.name


class Chapter:
    """A running chapter: its mode, output folder, recorded figures and kept full-run figures.

    ``name`` is ``"<section>/<topic>"`` (what chapters pass) or the path of a chapter file (what tools pass)."""

    def __init__(self, name: str | Path):
        if str(name).endswith(".py"):
            path = Path(name).resolve()
            self.section, self.topic = path.parent.name, path.stem
        else:
            self.section, _, self.topic = str(name).partition("/")
            if not self.section or not self.topic or "/" in self.topic:
                raise ValueError(f"a chapter is named '<section>/<topic>', e.g. '01_background/01_topic'; got {name!r}")
            path = chapter_source(str(name))
        self.path: Path | None = path  # None where the chapter's source is not on this machine
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

    def full_run_figure(self, figure: str) -> Path | None:
        """The committed full-run version of ``figure``, printed (and shown in a notebook) so that a reader of
        quick mode sees the lesson; ``None``, with a note, where the clone's records are not on this machine."""
        if self.path is None:
            print(f"full-run figure {figure}: in chapters/records/{self.section}/{self.topic}/ of a clone of mmjax")
            return None
        path = records_dir(self.path) / self.topic / figure
        if not path.is_file():
            raise FileNotFoundError(
                f"no committed full-run figure {path}; make it with "
                f"`mmjax chapters verify {self.path.relative_to(self.path.parents[2])} --record`"
            )
        print(f"full-run figure (committed): {path}")
        show_inline(path)
        return path

    def finish(self) -> list[dict]:
        """Check the Expected results table in this chapter's mode, write the record, raise on a miss."""
        if self.path is None:
            print(
                f"\nExpected results not checked: the source of chapter {self.section}/{self.topic} is not on this "
                "machine (mmjax was installed without its chapters/); run it inside a clone to check its figures."
            )
        table = results.expected_table(self.path.read_text()) if self.path is not None else {}
        rows = results.check(self.values, table, self.mode)
        seconds = time.perf_counter() - self._start
        record = {
            "chapter": f"{self.section}/{self.topic}.py",
            "mode": self.mode,
            "seconds": round(seconds, 1),
            "values": self.values,
            "checks": rows,
            "kept_figures": self.kept,
            # the shipped models (and judge) this run loaded, by SHA-256: a record made with an older file is
            # found by tests/test_chapter_models.py when the file changes
            "shipped_files": artifacts.used(),
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
