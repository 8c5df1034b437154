"""The chapter tools: Expected results tables and bands, prose quotes, the self-check, figures."""

import json
import math

import numpy as np
import pytest

from mmjax.utils import figures, results
from mmjax.utils.chapter import Chapter, commit_record
from mmjax.utils.selfcheck import check

SOURCE = """# %% [markdown]
# # Chapter 9.9: a test
# The `accuracy` reaches 0.97 in the full run; the `loss` falls below 0.1.

# %%
x = 1

# %% [markdown]
# ## Expected results
#
# | figure | full run | quick run |
# |---|---|---|
# | `accuracy`: held-out | 0.95 .. 1.0 | > 0.5 |
# | `loss` | < 0.1 | - (too short) |
# | `fid` | 2.7 ± 10% | 10 ± 5 |
#
# ## Summary
# | `ignored` | 1 | 2 |
"""


def test_bands_parse_and_hold():
    assert results.parse_band("0.5 ± 0.1").holds(0.59) and not results.parse_band("0.5 ± 0.1").holds(0.61)
    assert results.parse_band("2.7 ± 10%").holds(2.96) and not results.parse_band("2.7 ± 10%").holds(3.0)
    assert results.parse_band("> 3").holds(3.01) and not results.parse_band("> 3").holds(3.0)
    assert results.parse_band(">= 3").holds(3.0) and results.parse_band("<= 1e-5").holds(1e-5)
    assert results.parse_band("0.2 .. 0.4").holds(0.2) and not results.parse_band("0.2 .. 0.4").holds(0.41)
    assert results.parse_band("-") is None and results.parse_band("- (quick mode is too short)") is None
    assert not results.parse_band("< 1").holds(math.nan)
    with pytest.raises(ValueError, match="cannot read the band 'about 3'"):
        results.parse_band("about 3")


def test_expected_table_and_prose_quotes():
    table = results.expected_table(SOURCE)
    assert sorted(table) == ["accuracy", "fid", "loss"]
    assert table["loss"]["quick"] is None and table["accuracy"]["quick"].low == 0.5
    assert results.prose_quotes(SOURCE) == [
        ("accuracy", 0.97, SOURCE.splitlines()[2][2:]),
        ("loss", 0.1, SOURCE.splitlines()[2][2:]),
    ]


def test_check_reports_pass_fail_and_missing():
    table = results.expected_table(SOURCE)
    rows = {r["figure"]: r["status"] for r in results.check({"accuracy": 0.97, "loss": 0.2}, table, "full")}
    assert rows == {"accuracy": "pass", "loss": "FAIL", "fid": "FAIL (never recorded)"}
    rows = {r["figure"]: r["status"] for r in results.check({"accuracy": 0.6, "fid": 12}, table, "quick")}
    assert rows == {"accuracy": "pass", "loss": "not checked", "fid": "pass"}


def test_chapter_finish_checks_its_own_mode_and_commits_full_records(tmp_path, monkeypatch):
    path = tmp_path / "chapters" / "09_faq" / "09_test.py"
    path.parent.mkdir(parents=True)
    path.write_text(SOURCE)
    monkeypatch.setenv("MMJAX_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MMJAX_QUICK", "0")
    chapter = Chapter(path)
    chapter.record("accuracy", 0.97)
    chapter.record("loss", 0.05)
    chapter.record("fid", 2.8)
    (chapter.out / "curve.png").write_bytes(b"png")
    chapter.keep("curve.png")
    assert all(r["status"] == "pass" for r in chapter.finish())
    record = commit_record(chapter.out / "09_test.results.json", path, {"wall_seconds": 1.0})
    assert json.loads(record.read_text())["values"]["fid"] == 2.8
    assert (tmp_path / "chapters" / "records" / "09_faq" / "09_test" / "curve.png").read_bytes() == b"png"
    chapter.record("fid", 5.0)
    with pytest.raises(AssertionError, match=r"fid=5.0 \(expected 2.7 ± 10%\)"):
        chapter.finish()
    monkeypatch.setenv("MMJAX_QUICK", "1")
    quick = Chapter(path)
    quick.record("accuracy", 0.6)
    quick.record("fid", 12)
    quick.finish()
    with pytest.raises(ValueError, match="only full runs are committed"):
        commit_record(quick.out / "09_test.results.json", path, {})


def test_self_check_says_right_or_why_not(capsys):
    assert check(0.503, expected=0.5, tol=0.01)
    assert "right" in capsys.readouterr().out
    assert not check(0.7, expected=0.5, tol=0.05, hint="did you divide by sqrt(d_k)?")
    out = capsys.readouterr().out
    assert out.startswith("not yet, because answer = 0.7 is above the expected 0.5") and "sqrt(d_k)" in out
    assert not check(float("nan"), expected=1.0)
    assert "diverged" in capsys.readouterr().out
    assert not check("abc", expected=1.0)
    assert "should be a number" in capsys.readouterr().out
    assert check(101.0, expected=100.0)  # default: 1% relative


def test_strip_separates_frames():
    frames = np.zeros((3, 4, 5, 3), np.uint8)
    out = figures.strip(frames, gap=2)
    assert out.shape == (4, 3 * 7 - 2, 3)
    assert (out[:, 5:7] == 255).all() and (out[:, :5] == 0).all()
    with pytest.raises(ValueError, match=r"frames must be \[T, H, W, C\]"):
        figures.strip(np.zeros((4, 5, 3)))


def test_metric_bars_choose_the_axis_each_metric_needs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = {
        "real": {"shapes_fid": 1.5, "kid": 0.001, "kid_std": 0.002, "precision": 0.9, "spread": 3.0},
        "collapsed": {"shapes_fid": 80.0, "kid": 0.9, "kid_std": 0.05, "precision": 0.1, "spread": 0.0},
    }
    names = list(results)
    fig, axes = plt.subplots(1, 4)
    for ax, metric, unit in zip(
        axes, ("shapes_fid", "kid", "precision", "spread"), ("FID", "KID", "fraction", "units")
    ):
        figures.metric_bars(ax, metric, results, names, unit, "lower")
    fid, kid, precision, spread = axes
    assert fid.get_yscale() == "log" and fid.get_ylim()[1] == pytest.approx(400.0)
    assert kid.get_yscale() == "symlog" and "(log above 0.1)" in kid.get_ylabel()
    assert any(c.__class__.__name__ == "ErrorbarContainer" for c in kid.containers)  # KID's spread
    assert any(list(line.get_ydata()) == [0, 0] for line in kid.lines)  # the zero line KID is read against
    assert precision.get_ylim() == pytest.approx((0, 1.15)) and not any(
        c.__class__.__name__ == "ErrorbarContainer" for c in precision.containers
    )
    assert spread.get_ylim()[1] > 3.0 and "(lower is better)" in spread.get_ylabel()
    assert [t.get_text() for t in precision.get_xticklabels()] == names
    plt.close(fig)
