"""Course assignments: the marked regions, the student copies, and the grader.

The reference (the library itself) must score full marks and a fresh student copy zero; typical mistakes,
planted in a copy of the reference, must lose the points of exactly the tests meant to catch them. Most
grading here runs in this process (JAX is already imported, so it is cheap); the subprocess path, with its
time limits and crash handling, is tested on the NumPy-only ``frechet_bleu`` assignment.
"""

import ast
import json
import math
import re

import pytest

from mmjax.assignments import catalog, regions
from mmjax.assignments.copies import write_copy
from mmjax.assignments.grader import grade, graded_tests, summary
from mmjax.cli import main

REPO = catalog.PACKAGE.parent
NAMES = list(catalog.ASSIGNMENTS)


def _failed(report) -> set[str]:
    return {t["test"] for t in report["tests"] if t["status"] != "passed"}


@pytest.fixture(scope="module")
def reference_reports(tmp_path_factory):
    reports = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(f"reference_{name}")
        write_copy(name, folder, solution=True)
        reports[name] = grade(folder, isolate=False)
    return reports


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory):
    folders = {}
    for name in NAMES:
        folders[name] = tmp_path_factory.mktemp(f"student_{name}")
        write_copy(name, folders[name])
    return folders


def test_every_marked_region_belongs_to_exactly_one_assignment():
    listed = {(file, function) for a in catalog.ASSIGNMENTS.values() for file, fs in a.functions for function in fs}
    assert len(listed) == sum(len(fs) for a in catalog.ASSIGNMENTS.values() for _, fs in a.functions)
    for file in {file for file, _ in listed}:
        source = (catalog.PACKAGE / file).read_text()
        found = regions.find_regions(source, tuple(f for g, f in sorted(listed) if g == file), file)
        marked = {line for r in found for line in (r.begin, r.end)}
        assert marked == set(regions.marker_lines(source)), f"{file} has markers outside the catalog's functions"
    stray = [
        str(path.relative_to(catalog.PACKAGE))
        for path in catalog.PACKAGE.rglob("*.py")
        if regions.marker_lines(path.read_text()) and str(path.relative_to(catalog.PACKAGE)) not in dict(listed)
    ]
    assert not stray, f"solution markers in files no assignment lists: {stray}"


def test_find_regions_rejects_a_function_without_one_pair():
    source = "def f():\n    # BEGIN SOLUTION\n    return 1\n"
    with pytest.raises(ValueError, match="exactly one"):
        regions.find_regions(source, ("f",))
    with pytest.raises(ValueError, match="no function g"):
        regions.find_regions(source, ("g",))


@pytest.mark.parametrize("name", NAMES)
def test_assignment_and_its_chapters_name_each_other(name):
    assignment = catalog.get(name)
    assert assignment.checks.is_file() and graded_tests(name)
    for chapter in assignment.chapters:
        text = (REPO / chapter).read_text()
        exercises = text[text.index("# ## Exercises") :]
        assert f"mmjax assignment new {name} " in exercises, f"{chapter}'s exercises do not name {name}"


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_keeps_the_docstrings_and_no_solution_line(name, student_copies):
    for library_file, functions in catalog.get(name).functions:
        source = (catalog.PACKAGE / library_file).read_text()
        copy = (student_copies[name] / library_file.split("/")[-1]).read_text()
        found = regions.find_regions(source, functions, library_file)
        inside = {i for r in found for i in range(r.begin, r.end + 1)}
        outside = {line.strip() for i, line in enumerate(source.splitlines()) if i not in inside}
        # a solution line may only survive where the same line is also code outside the regions
        leaked = [line for line in regions.solution_code_lines(source, functions) - outside if line in copy]
        assert not leaked, f"{library_file}: solution lines left in the student copy: {leaked}"
        copied, original = ast.parse(copy), ast.parse(source)
        for function in functions:
            node, reference = _function(copied, function), _function(original, function)
            assert ast.get_docstring(reference), f"{function} needs a docstring: it is the student's specification"
            assert ast.get_docstring(node) == ast.get_docstring(reference), f"{function} lost its docstring"
            assert "NotImplementedError" in ast.unparse(node)


def _function(tree, qualified):
    *owner, name = qualified.split(".")
    body = next(n for n in tree.body if getattr(n, "name", None) == owner[0]).body if owner else tree.body
    return next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == name)


@pytest.mark.parametrize("name", NAMES)
def test_reference_scores_full_marks(name, reference_reports):
    report = reference_reports[name]
    assert report["points"] == report["max_points"] > 0, [(t["test"], t["reason"]) for t in report["tests"]]


@pytest.mark.parametrize("name", NAMES)
def test_fresh_student_copy_imports_and_fails_every_graded_test(name, student_copies):
    report = grade(student_copies[name], isolate=False)
    assert report["points"] == 0
    reasons = [t["reason"] for t in report["tests"]]
    assert all(r.startswith("not implemented yet: write ") for r in reasons), reasons


# (assignment, file, text in the reference, the mistake, the tests that must catch it)
MISTAKES = {
    "no 1/sqrt(d_k) scaling": (
        "attention",
        "attention.py",
        'jnp.einsum("bthd,bshd->bhts", query, key) / math.sqrt(d_k)',
        'jnp.einsum("bthd,bshd->bhts", query, key)',
        {"test_unmasked_attention_matches_jax", "test_masked_attention_matches_jax"},
    ),
    "mask applied after the softmax": (
        "attention",
        "attention.py",
        "        logits = jnp.where(mask, logits, jnp.finfo(logits.dtype).min)\n",
        "        return jnp.where(mask, jax.nn.softmax(logits, axis=-1), 0.0)\n",
        {"test_masked_attention_matches_jax", "test_masked_keys_get_no_weight"},
    ),
    "saturating loss where the non-saturating one is asked": (
        "gan_losses",
        "losses.py",
        "return jnp.mean(jax.nn.softplus(-fake_logits))",
        "return -jnp.mean(jax.nn.softplus(fake_logits))",
        {"test_non_saturating_generator_loss"},
    ),
    "BLEU without brevity penalty": (
        "frechet_bleu",
        "bleu.py",
        "penalty = math.exp(1.0 - reference_length / candidate_length)",
        "penalty = 1.0",
        {"test_brevity_penalty"},
    ),
    "gradient penalty on real samples instead of interpolates": (
        "gan_losses",
        "losses.py",
        "interpolates = eps * real + (1.0 - eps) * fake",
        "interpolates = real",
        {"test_gradient_penalty_on_interpolates"},
    ),
    "beam search that does not reorder its cache": (
        "beam_search",
        "decoding.py",
        "cache = jax.tree.map(lambda leaf: leaf[rows], cache)",
        "cache = cache",
        {"test_narrow_beam_matches_python_search", "test_wide_beam_finds_the_best_outputs"},
    ),
    "symmetric Hann window (filter design) instead of the periodic one": (
        "stft_mel",
        "features.py",
        "return 0.5 - 0.5 * jnp.cos(2 * jnp.pi * n / length)",
        "return 0.5 - 0.5 * jnp.cos(2 * jnp.pi * n / (length - 1))",
        {"test_hann_window", "test_stft_matches_numpy_dft"},
    ),
    "power iteration differentiated through u": (
        "spectral_norm",
        "spectral_norm.py",
        "u = jax.lax.stop_gradient(jax.lax.fori_loop(0, num_iterations, iteration, u))",
        "u = jax.lax.fori_loop(0, num_iterations, iteration, u)",
        {"test_gradient_treats_u_and_v_as_constants"},
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_planted_mistake_loses_exactly_the_points_of_the_tests_that_catch_it(mistake, tmp_path, reference_reports):
    name, file, right, wrong, catching = MISTAKES[mistake]
    write_copy(name, tmp_path, solution=True)
    source = (tmp_path / file).read_text()
    assert source.count(right) == 1, f"{right!r} must occur once in {file}"
    (tmp_path / file).write_text(source.replace(right, wrong))
    report = grade(tmp_path, isolate=False)
    assert _failed(report) == catching, [(t["test"], t["reason"]) for t in report["tests"] if t["status"] != "passed"]
    lost = sum(t["max_points"] for t in report["tests"] if t["test"] in catching)
    assert report["points"] == reference_reports[name]["max_points"] - lost


def test_student_sys_exit_infinite_loop_and_crash_cost_only_their_test(tmp_path, capsys):
    folder = tmp_path / "hw"
    write_copy("frechet_bleu", folder, solution=True)
    edits = {  # each misbehaviour triggers on the input of exactly one graded test
        "frechet.py": (
            "    root_1 = psd_sqrt(sigma_1)\n",
            "    root_1 = psd_sqrt(sigma_1)\n    print('looping')\n    while mu_1.shape == (3,):\n        pass\n",
        ),
        "bleu.py": (
            "    counts = ngram_counts(candidate, n)\n",
            "    if candidate == ['the', 'the', 'the', 'cat']:\n        import sys\n\n        sys.exit(1)\n"
            "    counts = ngram_counts(candidate, n)\n",
        ),
    }
    for file, (right, wrong) in edits.items():
        (folder / file).write_text((folder / file).read_text().replace(right, wrong))
    crash = "    hyps, refs = check_corpus(candidates, references)\n"
    text = (folder / "bleu.py").read_text()
    os_exit = "    if max_order == 2:\n        __import__('os')._exit(7)\n"
    (folder / "bleu.py").write_text(text.replace(crash, crash + os_exit))
    out = tmp_path / "report.json"
    assert main(["assignment", "grade", str(folder), "--timeout", "5", "--out", str(out)]) == 1  # tests failed
    report = json.loads(out.read_text())
    status = {t["test"]: (t["status"], t["reason"]) for t in report["tests"]}
    assert status["test_frechet_distance_diagonal"][0] == "timeout"
    assert status["test_clipped_matches"][0] == "failed"
    assert status["test_clipped_matches"][1].startswith("your code called sys.exit(1) (at bleu.py:")
    assert status["test_brevity_penalty"][0] == "crashed" and "exit code 7" in status["test_brevity_penalty"][1]
    passed = {"test_psd_sqrt", "test_frechet_distance_general", "test_bleu_with_clipping_and_several_references"}
    assert {t for t, (s, _) in status.items() if s == "passed"} == passed
    printed = capsys.readouterr().out
    assert "timeout: did not finish within 5 s" in printed
    assert not any(line.startswith("looping") for line in printed.splitlines()), "the student's print is in the table"


def test_hidden_tests_are_labelled_and_never_reported_as_passed_unrun(tmp_path, capsys):
    folder, hidden = tmp_path / "hw", tmp_path / "hidden"
    write_copy("frechet_bleu", folder, solution=True)
    hidden.mkdir()
    (hidden / "extra.py").write_text(
        "from mmjax.assignments.testing import graded\n\n\n"
        "@graded(points=3)\n"
        "def test_bleu_of_a_perfect_match(student):\n"
        "    assert student.bleu.corpus_bleu(['a b c d'], [['a b c d']])['bleu_4'] == 1.0\n\n\n"
        "def test_impossible(student):\n"
        "    assert False, 'instructor-only check'\n"
    )
    without = grade(folder, isolate=False)
    assert without["summary"] == "all public tests passed; hidden tests not run (the instructor grades with them)"
    assert without["hidden"] == {"points": 0, "max_points": 0, "run": False}
    report = grade(folder, hidden=hidden, isolate=False)
    kinds = {t["id"]: t["visibility"] for t in report["tests"]}
    assert kinds["hidden/extra.test_bleu_of_a_perfect_match"] == "hidden" and list(kinds.values()).count("public") == 6
    assert report["hidden"] == {"points": 3, "max_points": 4, "run": True}
    assert report["summary"] == "all public tests passed; 1 of 2 hidden tests failed"
    assert "all tests passed" not in report["summary"]
    (hidden / "extra.py").write_text((hidden / "extra.py").read_text().replace("assert False", "assert True"))
    assert grade(folder, hidden=hidden, isolate=False)["summary"] == "all tests passed, public and hidden"
    (hidden / "broken.py").write_text("import no_such_module\n\n\ndef test_never(student):\n    pass\n")
    broken = grade(folder, hidden=hidden, isolate=False)
    reasons = {t["test"]: t["reason"] for t in broken["tests"]}
    assert _failed(broken) == {"test_never"} and "broken.py does not import" in reasons["test_never"]


def test_summary_counts_failures_of_each_kind():
    tests = [{"visibility": "public", "status": "passed"}, {"visibility": "public", "status": "timeout"}]
    assert summary(tests) == "1 of 2 public tests failed; hidden tests not run (the instructor grades with them)"
    tests.append({"visibility": "hidden", "status": "not run"})
    assert summary(tests) == "1 of 2 public tests failed; 1 of 1 hidden tests failed"


def test_cli_lists_writes_and_reports_bad_input(tmp_path, capsys):
    assert main(["assignment", "list"]) == 0
    listing = capsys.readouterr().out
    assert all(re.search(rf"^{name} ", listing, re.MULTILINE) for name in NAMES)
    assert main(["assignment", "new", "attention", "--dir", str(tmp_path / "hw")]) == 0
    assert (tmp_path / "hw" / "attention.py").is_file() and "mmjax assignment grade" in capsys.readouterr().out
    for argv, message in (
        (["assignment", "new", "attention", "--dir", str(tmp_path / "hw")], "already exist"),
        (["assignment", "new", "nope", "--dir", str(tmp_path / "x")], "unknown assignment 'nope'; available: "),
        (["assignment", "grade", str(tmp_path)], "is not an assignment folder"),
        (["assignment", "grade", str(tmp_path / "hw"), "--timeout", "0"], "--timeout must be > 0"),
        (["assignment", "grade", str(tmp_path / "hw"), "--hidden-tests", str(tmp_path / "none")], "does not exist"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err


def test_bleu_constants_of_the_graded_tests_agree_with_sacrebleu():
    sacrebleu = pytest.importorskip("sacrebleu")
    candidates = ["a red circle at the top left", "the the the the big square"]
    references = [["a red circle at the upper left", "red circle top left"], ["the big square", "a big square"]]
    score = sacrebleu.corpus_bleu(
        candidates, [list(r) for r in zip(*references)], tokenize="none", smooth_method="none"
    )
    assert score.score / 100 == pytest.approx(math.exp(sum(map(math.log, [10 / 13, 7 / 11, 4 / 9, 2 / 7])) / 4))
    short = sacrebleu.BLEU(tokenize="none", smooth_method="none", max_ngram_order=2).corpus_score(
        ["a red circle", "big blue square"],
        [["a red circle at the top", "a big blue square at the left"], ["a red circle", "the big blue square"]],
    )
    assert short.bp == pytest.approx(math.exp(1 - 7 / 6)) and short.score / 100 == pytest.approx(short.bp)
