"""Write an assignment's folder: the student copy (solutions stubbed out) or the reference copy.

DIR/assignment.json   which assignment this is (the grader reads it)
DIR/README.md         what to write, the chapter that teaches it, how to grade
DIR/attention.py ...  the library files of the assignment, flat, with the marked bodies replaced
"""

from __future__ import annotations

import json
from pathlib import Path

from mmjax.assignments import catalog
from mmjax.assignments.grader import MANIFEST
from mmjax.assignments.regions import stub_source


def student_file_name(library_file: str) -> str:
    return Path(library_file).name


def write_copy(name: str, folder: str | Path, solution: bool = False) -> list[Path]:
    """Write assignment ``name`` into ``folder`` (created; existing assignment files are not overwritten).

    ``solution=True`` copies the library files unchanged: the reference, which scores full marks.
    Returns the paths written.
    """
    assignment = catalog.get(name)
    folder = Path(folder)
    targets = [folder / student_file_name(f) for f in assignment.files] + [folder / MANIFEST, folder / "README.md"]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise ValueError(f"{', '.join(existing)} already exist; choose an empty --dir")
    folder.mkdir(parents=True, exist_ok=True)
    for library_file, functions in assignment.functions:
        source = (catalog.PACKAGE / library_file).read_text()
        text = source if solution else stub_source(source, functions, library_file)
        (folder / student_file_name(library_file)).write_text(text)
    manifest = {"assignment": name, "files": [student_file_name(f) for f in assignment.files]}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (folder / "README.md").write_text(readme(assignment))
    return targets


def readme(assignment: catalog.Assignment) -> str:
    lines = [f"# Assignment `{assignment.name}`: {assignment.title}", "", "Write the body of:", ""]
    for library_file, functions in assignment.functions:
        for function in functions:
            lines.append(f"- `{function}` in `{student_file_name(library_file)}` (from `mmjax/{library_file}`)")
    lines += ["", "Each raises `NotImplementedError` until you do; the docstrings say what it computes."]
    lines += [
        "Write them yourself: mmjax ships its own solutions, and a graded function taken from the library",
        "(imported, or called through an import) scores 0 with a note saying so. The imports the files already",
        "have are the assignment's own and stay allowed.",
    ]
    lines += ["Taught in: " + ", ".join(f"`{c}`" for c in assignment.chapters) + "."]
    lines += [
        "",
        "Grade it (public tests; your instructor may add hidden ones):",
        "",
        "```bash",
        "mmjax assignment grade . --out report.json",
        "```",
        "",
        "It exits with status 1 while a test fails, 0 when all pass.",
        "",
        f"The public tests are in `mmjax/assignments/checks/{assignment.name}.py` of your mmjax install.",
        "",
    ]
    return "\n".join(lines)
