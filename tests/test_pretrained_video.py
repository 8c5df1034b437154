"""``mmjax.load_pretrained("shapes-video")`` and ``mmjax demo --video``: the shipped text-to-video model.

The tests load the file mmjax ships (``mmjax/artifacts/shapes-video/``, or ``$MMJAX_ARTIFACTS/shapes-video/``).
"""

import numpy as np
import pytest
from PIL import Image, ImageSequence

import mmjax
from mmjax.cli import main
from mmjax.pretrained.prompts import UnknownWordsError
from mmjax.pretrained.video import CHUNK, VideoModel
from mmjax.pretrained.video_prompts import DEFAULT_VIDEO_PROMPT, check_video_prompt

PROMPTS = [DEFAULT_VIDEO_PROMPT, "a small blue square above a large yellow triangle sliding upwards"]


@pytest.fixture(scope="module")
def model():
    return mmjax.load_pretrained("shapes-video")


def test_generate_video_gives_uint8_frames_that_seeds_repeat_and_files_hold(model, tmp_path):
    assert isinstance(model, VideoModel)
    clip = model.generate_video(PROMPTS[0], seed=3)
    assert clip.dtype == np.uint8 and clip.shape == (model.num_frames, 32, 32, 3) and model.num_frames >= 8
    assert np.abs(clip[-1].astype(int) - clip[0]).max() > 0  # it moves
    both = model.generate_videos(PROMPTS, seed=3)  # one chunk: prompt i from (seed, i)
    assert len(PROMPTS) <= CHUNK and both.shape == (2, *clip.shape)
    np.testing.assert_array_equal(both[0], clip)
    assert np.abs(model.generate_video(PROMPTS[0], seed=4).astype(int) - clip).max() > 0  # another content code
    gif = Image.open(model.save_gif(clip, tmp_path / "clip.gif", scale=1))
    frames = np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)])
    assert frames.shape == clip.shape
    assert Image.open(model.save_strip(clip, tmp_path / "clip.png")).size == (8 * 128 + 7 * 2, 128)


def test_video_prompts_are_normalised_and_bad_ones_are_clear_errors(model):
    assert check_video_prompt("  A BIG red circle, in the centre -- moving right! ") == DEFAULT_VIDEO_PROMPT
    with pytest.raises(UnknownWordsError, match="'dragon'") as error:
        model.generate_video("a big red dragon moving left")
    assert "then how it moves: moving / sliding / drifting" in str(error.value)
    with pytest.raises(ValueError, match="ends with how the scene moves"):
        model.generate_video("a big red circle in the centre")
    with pytest.raises(ValueError, match="has no words"):
        model.generate_video(" ! ")
    with pytest.raises(TypeError, match="one prompt string"):
        model.generate_video(PROMPTS)
    with pytest.raises(TypeError, match="non-empty list of strings"):
        model.generate_videos(PROMPTS[0])


def test_demo_video_writes_the_gif_and_the_strip(tmp_path, capsys):
    gif, strip = tmp_path / "output.gif", tmp_path / "output.png"
    args = ["demo", "--video", PROMPTS[1], "--gif", str(gif), "--out", str(strip), "--no-compile-cache"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f'prompt:  "{PROMPTS[1]}" (seed 0)' in printed and f"wrote    {gif}" in printed
    assert Image.open(gif).n_frames == 8 and Image.open(strip).size == (8 * 128 + 7 * 2, 128)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--video", "a purple circle in the centre moving left"], "'purple'"),
        (["--video", "a red circle in the centre"], "ends with how the scene moves"),
        (["a red circle", "--video", DEFAULT_VIDEO_PROMPT], "not both"),
    ],
)
def test_demo_video_refuses_bad_prompts_without_a_traceback(tmp_path, capsys, args, message):
    code = main(["demo", *args, "--gif", str(tmp_path / "o.gif"), "--out", str(tmp_path / "o.png")])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.startswith("mmjax: error: ") and message in captured.err
    assert "Traceback" not in captured.err and not (tmp_path / "o.gif").exists()
