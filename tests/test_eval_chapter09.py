"""Chapter 9, question 2 (evaluation) runs top to bottom in quick mode and writes its figures."""

CHAPTER = "09_faq"


def test_chapter_09_evaluation_runs_in_quick_mode(run_chapter):
    out = run_chapter(f"{CHAPTER}/02_evaluation.py") / CHAPTER
    for figure in ("samples.png", "metrics.png", "captions.png"):
        assert (out / figure).stat().st_size > 1000, figure
