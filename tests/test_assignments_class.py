"""Grading a class: hidden tests by relative path, solutions imported from the library, CSV and Gradescope files.

A class of five folders (the reference, a blank copy, a syntax error, a function imported from the library, a
folder that is no assignment) is graded once through the command line, from another working directory with
relative paths, in worker subprocesses; it is the NumPy-only ``frechet_bleu`` assignment, so each worker
starts in about a second. The import forms are graded in this process, on the same assignment; the hidden
tests example of docs/instructors.md is graded on the attention assignment it was written for.
"""

import contextlib
import csv
import io
import json
import re
import types

import pytest

from mmjax.assignments import catalog, grader, guard, provenance, regions
from mmjax.assignments.copies import write_copy
from mmjax.cli import main

NAME = "frechet_bleu"
TAKEN = "frechet_distance_from_statistics"  # the function the import forms take
CALLERS = {"test_frechet_distance_diagonal", "test_frechet_distance_general"}  # the tests that call it
ARGS = "(mu_1, sigma_1, mu_2, sigma_2)"
HIDDEN = (
    "from mmjax.assignments.testing import graded\n\n\n"
    "@graded(points=3)\n"
    "def test_bleu_of_a_perfect_match(student):\n"
    "    assert student.bleu.corpus_bleu(['a b c d'], [['a b c d']])['bleu_4'] == 1.0\n"
)


def _replace_body(folder, file, function, body):
    """Put ``body`` (lines, unindented) in place of the reference solution of ``function``."""
    path = folder / file
    lines = path.read_text().splitlines()
    (region,) = regions.find_regions(path.read_text(), (function,))
    lines[region.begin + 1 : region.end] = ["    " + line for line in body]
    path.write_text("\n".join(lines) + "\n")


def _run(argv):
    """main(argv) with what it prints: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    students = root / "students"
    write_copy(NAME, students / "correct", solution=True)
    write_copy(NAME, students / "blank")
    write_copy(NAME, students / "broken", solution=True)
    bleu = (students / "broken" / "bleu.py").read_text().splitlines()
    broken_line = next(i for i, line in enumerate(bleu) if line.startswith("def corpus_bleu(")) + 1
    bleu[broken_line - 1] = bleu[broken_line - 1].replace("def corpus_bleu(", "def corpus_bleu(:")
    (students / "broken" / "bleu.py").write_text("\n".join(bleu) + "\n")
    write_copy(NAME, students / "importer", solution=True)
    body = [f"return __import__('mmjax.metrics.frechet').metrics.frechet.{TAKEN}{ARGS}"]
    _replace_body(students / "importer", "frechet.py", TAKEN, body)
    (students / "stray").mkdir()
    (students / "stray" / "frechet.py").write_text("# no assignment.json\n")
    (root / "instructor").mkdir()
    (root / "instructor" / "extra.py").write_text(HIDDEN)
    folders = [f"students/{name}" for name in ("correct", "blank", "broken", "importer", "stray")]
    argv = ["assignment", "grade", *folders, "--hidden-tests", "instructor"]  # relative to root, not the workers
    argv += ["--csv", "out/grades.csv", "--gradescope", "out/gradescope", "--out", "out/class.json"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        status, printed, errors = _run(argv)
    with (root / "out" / "grades.csv").open() as file:
        rows = {row["folder"].split("/")[-1]: row for row in csv.DictReader(file)}
    gradescope = {p.stem: json.loads(p.read_text()) for p in (root / "out" / "gradescope").glob("*.json")}
    reports = {e["folder"].split("/")[-1]: e for e in json.loads((root / "out" / "class.json").read_text())["entries"]}
    specs = grader.graded_tests(NAME, root / "instructor")
    return types.SimpleNamespace(
        root=root, status=status, printed=printed, errors=errors, rows=rows, gradescope=gradescope,
        reports=reports, specs=specs, broken_line=broken_line,
    )  # fmt: skip


def test_class_exit_status_is_1_and_each_folder_is_printed(graded_class):
    assert graded_class.status == 1, graded_class.errors
    printed = graded_class.printed
    assert "students/correct: 13 / 13 points; all tests passed, public and hidden" in printed
    assert "students/stray: not graded: students/stray is not an assignment folder" in printed


def test_class_csv_has_a_column_per_test_and_a_row_per_folder(graded_class):
    specs, rows = graded_class.specs, graded_class.rows
    ids = [s.id for s in specs]
    with (graded_class.root / "out" / "grades.csv").open() as file:
        header = next(csv.reader(file))
    assert header == ["folder", "assignment", "status", *ids, "public", "hidden", "total", "max_points", "notes"]
    assert list(rows) == ["correct", "blank", "broken", "importer", "stray"]
    maximum = {s.id: s.points for s in specs}
    public_max = sum(s.points for s in specs if s.visibility == "public")
    for name, row in rows.items():
        assert row["folder"] == f"students/{name}" and row["assignment"] == NAME
        if name == "stray":
            assert row["status"] == "error" and "is not an assignment folder (no assignment.json)" in row["notes"]
            assert all(row[column] == "" for column in [*ids, "public", "hidden", "total", "max_points"])
            continue
        report = graded_class.reports[name]["report"]
        passed = {t["id"] for t in report["tests"] if t["status"] == "passed"}
        points = {i: int(row[i]) for i in ids}
        assert points == {i: maximum[i] if i in passed else 0 for i in ids}, name
        public = sum(p for i, p in points.items() if i.startswith("public/"))
        hidden = sum(p for i, p in points.items() if i.startswith("hidden/"))
        assert (row["status"], int(row["public"]), int(row["hidden"])) == ("graded", public, hidden)
        assert (int(row["total"]), int(row["max_points"])) == (public + hidden, sum(maximum.values()))
    # the hidden test, given by a path relative to the caller's folder, ran and passed in the worker
    assert int(graded_class.rows["correct"]["total"]) == sum(maximum.values()) and int(rows["correct"]["hidden"]) == 3
    assert int(rows["blank"]["total"]) == 0 and rows["correct"]["notes"] == rows["blank"]["notes"] == ""
    assert rows["broken"]["notes"].startswith(f"bleu.py does not parse (line {graded_class.broken_line}:")
    assert int(rows["broken"]["public"]) == sum(
        s.points for s in specs if "frechet" in s.function or "psd" in s.function
    )
    assert int(rows["importer"]["public"]) == public_max - sum(s.points for s in specs if s.function in CALLERS)
    assert rows["importer"]["notes"].startswith(f"{TAKEN} must be written, not imported: frechet.py line ")


def test_class_gradescope_results_field_by_field(graded_class):
    assert set(graded_class.gradescope) == set(graded_class.rows)
    for name, results in graded_class.gradescope.items():
        row = graded_class.rows[name]
        if name == "stray":
            assert results["score"] == 0 and results["tests"] == []
            assert results["output"].startswith("Your submission could not be graded: students/stray is not an")
            continue
        assert set(results) == {"score", "execution_time", "output", "tests"}
        assert results["score"] == float(row["total"])
        report = graded_class.reports[name]["report"]
        for test, reported in zip(results["tests"], report["tests"], strict=True):
            assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["name"] == reported["id"] and test["score"] == float(row[reported["id"]])
            assert test["max_score"] == reported["max_points"]
            assert test["visibility"] == ("visible" if reported["visibility"] == "public" else "after_published")
            assert test["status"] == ("passed" if reported["status"] == "passed" else "failed")
            expected = "passed" if reported["status"] == "passed" else f"{reported['status']}: {reported['reason']}"
            assert test["output"] == expected
        # students see the top-level output at once: the public tests only, nothing of the hidden ones
        assert results["output"].startswith(f"Public tests: {row['public']} / ")
        assert "extra" not in results["output"] and "hidden tests failed" not in results["output"]
    importer = {t["name"].split(".")[-1]: t for t in graded_class.gradescope["importer"]["tests"]}
    assert all(importer[t]["output"].startswith(f"imported: {TAKEN} must be written, not imported") for t in CALLERS)


def test_one_folder_with_a_relative_hidden_file_keeps_its_json_report(graded_class, monkeypatch):
    monkeypatch.chdir(graded_class.root / "instructor")
    argv = ["assignment", "grade", "../students/correct", "--hidden-tests", "extra.py", "--out", "r.json"]
    status, printed, _ = _run(argv)
    report = json.loads((graded_class.root / "instructor" / "r.json").read_text())
    assert status == 0 and report["points"] == report["max_points"] == 13 and report["hidden"]["run"]
    assert {"assignment", "folder", "tests", "public", "hidden", "summary", "seconds"} <= set(report)
    assert "all tests passed, public and hidden" in printed


@pytest.fixture
def no_worker(monkeypatch):
    """Tests that must stop before any test runs: starting a worker fails them."""

    def refuse(*args):
        raise AssertionError("a worker started")

    monkeypatch.setattr(grader, "_run_isolated", refuse)


def test_bad_hidden_tests_stop_before_any_test_runs(tmp_path, monkeypatch, no_worker):
    write_copy(NAME, tmp_path / "hw", solution=True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "typo.py").write_text("def test_x(student)\n    pass\n")
    here = tmp_path.resolve()
    for hidden, message in (
        ("instructor/attention", f"hidden tests instructor/attention does not exist (looked for {here}"),
        ("instructor/extra.py", f"hidden tests instructor/extra.py does not exist (looked for {here}"),
        ("notes.txt", "hidden tests notes.txt is not a .py file"),
        ("typo.py", f"{here / 'typo.py'} does not parse (line 1: "),
    ):
        for folders in (["hw"], ["hw", "hw"]):
            status, _, errors = _run(["assignment", "grade", *folders, "--hidden-tests", hidden])
            assert status == 2 and message in errors and "Traceback" not in errors, errors


def test_folders_that_cannot_be_graded_are_rows_and_mixed_classes_need_an_assignment(tmp_path, no_worker):
    write_copy("attention", tmp_path / "other")
    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / "assignment.json").write_text("{not json")
    out = tmp_path / "grades.csv"
    argv = ["assignment", "grade", str(tmp_path / "other"), str(tmp_path / "garbled"), "--assignment", NAME]
    status, printed, _ = _run([*argv, "--csv", str(out)])
    rows = list(csv.DictReader(out.open()))
    assert status == 1 and [r["status"] for r in rows] == ["error", "error"]
    assert rows[0]["notes"] == f"{tmp_path / 'other'} holds assignment attention, not {NAME}"
    assert rows[1]["notes"].startswith(f"{tmp_path / 'garbled' / 'assignment.json'} is not valid JSON")
    write_copy(NAME, tmp_path / "mine")
    status, _, errors = _run(["assignment", "grade", str(tmp_path / "other"), str(tmp_path / "mine")])
    assert status == 2 and f"the folders hold different assignments (attention: 1, {NAME}: 1)" in errors


def test_gradescope_target_must_fit_the_number_of_folders(tmp_path, no_worker):
    for name in ("a/hw", "b/hw"):
        write_copy(NAME, tmp_path / name)
    (tmp_path / "file.json").write_text("{}")
    one, two = [str(tmp_path / "a/hw")], [str(tmp_path / "a/hw"), str(tmp_path / "b/hw")]
    for argv, message in (
        ([*two, "--gradescope", str(tmp_path / "gs")], "several folders are called hw"),
        ([*one, "--gradescope", str(tmp_path)], "is a folder; for one student give the results.json"),
        ([*two, "--gradescope", str(tmp_path / "file.json")], "is a file; for several folders give a folder"),
    ):
        status, _, errors = _run(["assignment", "grade", *argv])
        assert status == 2 and message in errors, errors


def test_single_folder_that_cannot_be_graded_still_tells_gradescope_why(tmp_path, no_worker):
    (tmp_path / "submission").mkdir()
    results = tmp_path / "results.json"
    status, _, errors = _run(["assignment", "grade", str(tmp_path / "submission"), "--gradescope", str(results)])
    assert status == 2 and "is not an assignment folder" in errors
    assert json.loads(results.read_text())["output"].startswith("Your submission could not be graded: ")


def test_exit_status_counts_failed_tests_unless_exit_zero(tmp_path, monkeypatch):
    # the exit status, not the isolation, is under test here: run the tests in this process
    in_process = lambda folder, specs, timeout, g: grader._run_in_process(folder, specs, g)  # noqa: E731
    monkeypatch.setattr(grader, "_run_isolated", in_process)
    write_copy(NAME, tmp_path / "blank")
    write_copy(NAME, tmp_path / "correct", solution=True)
    assert _run(["assignment", "grade", str(tmp_path / "correct")])[0] == 0
    assert _run(["assignment", "grade", str(tmp_path / "blank")])[0] == 1
    assert _run(["assignment", "grade", str(tmp_path / "blank"), "--exit-zero"])[0] == 0
    assert _run(["assignment", "grade", str(tmp_path / "correct"), str(tmp_path / "blank")])[0] == 1
    (tmp_path / "correct" / "assignment.json").unlink()  # --assignment grades a bare submission
    status, printed, _ = _run(["assignment", "grade", str(tmp_path / "correct"), "--assignment", NAME])
    assert status == 0 and "all public tests passed" in printed


# form -> (the body of frechet_distance_from_statistics, a line added at the end of frechet.py, seen by the scan)
FRECHET = "mmjax.metrics.frechet"
IMPORT_FORMS = {
    "import mmjax... in the body": ([f"import {FRECHET}", f"return {FRECHET}.{TAKEN}{ARGS}"], "", True),
    "from mmjax... import ... as f": ([f"from {FRECHET} import {TAKEN} as f", f"return f{ARGS}"], "", True),
    "from the package above": (["from mmjax import metrics", f"return metrics.frechet.{TAKEN}{ARGS}"], "", True),
    "importlib.import_module": (
        ["import importlib", f"return importlib.import_module('{FRECHET}').{TAKEN}{ARGS}"],
        "",
        True,
    ),
    "__import__ with a fromlist": ([f"return __import__('{FRECHET}', fromlist=['x']).{TAKEN}{ARGS}"], "", True),
    "module-level import used in the body": (
        [f"return reference.{TAKEN}{ARGS}"],
        f"import {FRECHET} as reference",
        True,
    ),
    "module-level re-export": (None, f"from {FRECHET} import {TAKEN}", True),
    "computed name, called": (
        ["import sys", f"return sys.modules['mmjax.metrics' + '.frechet'].{TAKEN}{ARGS}"],
        "",
        False,
    ),
    "computed name, re-exported": (
        None,
        f"{TAKEN} = getattr(__import__('sys').modules['mmjax.' + 'metrics.frechet'], '{TAKEN}')",
        False,
    ),
}


@pytest.mark.parametrize("form", list(IMPORT_FORMS))
def test_a_graded_function_taken_from_the_library_scores_0(form, tmp_path):
    body, appended, static = IMPORT_FORMS[form]
    write_copy(NAME, tmp_path, solution=True)
    if body is not None:
        _replace_body(tmp_path, "frechet.py", TAKEN, body)
    with (tmp_path / "frechet.py").open("a") as file:
        file.write(appended + "\n")
    report = grader.grade(tmp_path, isolate=False)
    lost = {t["test"]: t for t in report["tests"] if t["status"] != "passed"}
    assert set(lost) == CALLERS, [(t["test"], t["reason"]) for t in lost.values()]
    for test in lost.values():
        assert test["status"] == "imported" and test["points"] == 0
        assert test["reason"].startswith(f"{TAKEN} must be written, not imported: ")
    # the plain forms are found before running; the computed ones only by the guard while the tests run
    assert [n.split(":")[0] for n in report["notes"]] == ([f"{TAKEN} must be written, not imported"] if static else [])


def test_other_mmjax_imports_and_the_starter_imports_stay_allowed(tmp_path):
    write_copy(NAME, tmp_path, solution=True)
    source = (tmp_path / "frechet.py").read_text()
    (tmp_path / "frechet.py").write_text(
        source.replace("\ndef psd_sqrt(", "\nimport mmjax.data.audio\nfrom mmjax.data import audio\n\n\ndef psd_sqrt(")
    )
    lines = (tmp_path / "frechet.py").read_text().splitlines()
    (region,) = regions.find_regions("\n".join(lines), ("psd_sqrt",))
    lines.insert(region.begin + 1, "    assert mmjax.data.audio.SAMPLE_RATE == audio.SAMPLE_RATE > 0")
    (tmp_path / "frechet.py").write_text("\n".join(lines) + "\n")
    report = grader.grade(tmp_path, isolate=False)
    assert report["points"] == report["max_points"] and report["notes"] == []
    for name in ("transformer", "stft_mel", "frechet_bleu"):  # their starters import from mmjax (MHA, spectrogram)
        for solution in (False, True):
            folder = tmp_path / f"{name}_{solution}"
            write_copy(name, folder, solution=solution)
            assert provenance.scan_folder(name, folder) == ([], [])


def test_scan_follows_helpers_aliases_and_base_classes():
    source = (
        "import mmjax.nn.attention as reference\n"
        "alias = reference\n"
        "def helper():\n    return alias\n"
        "def split_heads(x, n):\n    return helper().split_heads(x, n)\n"
        "def merge_heads(x):\n    return x\n"
        "class MultiHeadAttention(reference.MultiHeadAttention):\n    pass\n"
    )
    graded = ("split_heads", "merge_heads", "MultiHeadAttention.attend")
    taken = provenance.scan_source(source, "attention.py", graded, "transformer", "nn/attention.py")
    # the helper's line (4) for split_heads, the base class's (9) for the inherited attend
    assert [(t.function, t.line) for t in taken] == [("split_heads", 4), ("MultiHeadAttention.attend", 9)]


def test_guard_refuses_an_inherited_reference_method(tmp_path):
    from mmjax.nn import attention

    module = types.ModuleType("student_attention")
    module.MultiHeadAttention = type("MultiHeadAttention", (attention.MultiHeadAttention,), {})
    guard.prepare_student("transformer", tmp_path)("attention", module)
    with pytest.raises(guard.TakenFromLibrary, match="attend must be written, not imported: your attention.py"):
        module.MultiHeadAttention.attend(None, None, None, None)
    assert attention.MultiHeadAttention.attend.__code__.co_filename == attention.__file__  # the library's intact


@pytest.mark.slow  # about 25 s: JAX compiles the attention tests in this process
def test_the_hidden_tests_example_of_the_instructors_guide_grades_both_copies(tmp_path):
    guide = (catalog.PACKAGE.parent / "docs" / "instructors.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "extra.py").write_text(example)
    write_copy("attention", tmp_path / "key", solution=True)
    write_copy("attention", tmp_path / "hw1")
    key = grader.grade(tmp_path / "key", tmp_path / "hidden", isolate=False)
    assert key["points"] == key["max_points"] and key["hidden"] == {"points": 3, "max_points": 3, "run": True}
    blank = grader.grade(tmp_path / "hw1", tmp_path / "hidden", isolate=False)
    assert blank["points"] == 0 and all(t["reason"].startswith("not implemented yet") for t in blank["tests"])
