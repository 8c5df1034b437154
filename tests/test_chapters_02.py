"""Chapter 2 scripts run top to bottom in quick mode and write their figures."""

import pytest

CHAPTER = "02_core_concepts"


@pytest.mark.parametrize(
    "script, figures",
    [
        ("01_one_scene_four_modalities.py", ["one_scene_four_modalities.png", "colour_shape_pairs.png"]),
        ("02_text_to_tokens.py", ["token_batch.png"]),
        ("03_alignment.py", ["aligned_batch.png"]),
    ],
)
def test_chapter_runs_in_quick_mode(run_chapter, script, figures):
    out = run_chapter(f"{CHAPTER}/{script}") / CHAPTER
    for figure in figures:
        assert (out / figure).stat().st_size > 1000, figure
