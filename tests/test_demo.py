"""``mmjax demo``: writes the prompt's picture and the sheet, captions the picture back, reports agreement."""

import re

import numpy as np
import pytest
from PIL import Image

from mmjax.cli import main
from mmjax.data.captions import parse_caption
from mmjax.pretrained.demo import DEFAULT_PROMPT, SHEET_PROMPTS, VIEW_SIZE
from mmjax.pretrained.prompts import check_prompt

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_demo_prompts_are_known_shapes_captions():
    for prompt in SHEET_PROMPTS:
        assert check_prompt(prompt) == prompt and parse_caption(prompt)["num_objects"] in (1, 2)
    assert SHEET_PROMPTS[0] == DEFAULT_PROMPT


def test_demo_writes_both_pictures_and_prints_the_round_trip(tmp_path, capsys):
    out, sheet = tmp_path / "output.png", tmp_path / "samples.png"
    assert main(["demo", "--out", str(out), "--sheet", str(sheet), "--seed", "2", "--no-compile-cache"]) == 0
    printed = capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG and sheet.read_bytes()[:8] == PNG
    assert Image.open(out).size == (VIEW_SIZE, VIEW_SIZE)
    assert f'prompt:  "{DEFAULT_PROMPT}" (seed 2)' in printed
    caption = re.search(r'^caption: "(.*)"$', printed, re.M).group(1)

    import mmjax

    model = mmjax.load_pretrained()
    assert caption == model.generate_text(out)  # the caption of the picture the demo wrote
    np.testing.assert_array_equal(  # ... which is the model's picture of the prompt for that seed
        np.asarray(Image.open(out).resize((32, 32), Image.Resampling.BOX)),
        model.generate_images([DEFAULT_PROMPT], 2)[0],
    )
    assert re.search(r"^cycle:   (agrees with the prompt|disagrees: .+)$", printed, re.M)
    assert re.search(r"captions agree with their prompt", printed)
    assert re.search(r"timings: load .* total \d+\.\d s", printed)


def test_demo_refuses_a_prompt_that_is_not_a_caption(tmp_path, capsys):
    """Known words but no caption, even a partial one: the model would draw garbage, so the demo stops before
    any loading, and says where the reading stopped and a prompt that works."""
    out = tmp_path / "o.png"
    code = main(["demo", "Big red!", "--out", str(out), "--sheet", str(tmp_path / "s.png"), "--no-compile-cache"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err and not out.exists()
    assert captured.err.startswith('mmjax: error: the Shapes model cannot draw "a big red"')
    assert "the prompt ends where it expects a shape" in captured.err
    assert 'Try "a big red circle in the centre"' in captured.err


@pytest.mark.parametrize("prompt", ["A cat sitting on the table.", ""])
def test_demo_refuses_bad_prompts_without_a_traceback(tmp_path, capsys, prompt):
    code = main(["demo", prompt, "--out", str(tmp_path / "o.png"), "--sheet", str(tmp_path / "s.png")])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err and not (tmp_path / "o.png").exists()
    assert captured.err.startswith("mmjax: error: ")
    if prompt:
        assert "'cat', 'sitting', 'on', 'table'" in captured.err and "shapes: circle, square" in captured.err
