"""``mmjax data sound``: a caption's Shapes sound as a WAV file that the exact decoder reads back as the caption."""

import pytest

from mmjax.audio.wav import read_wav
from mmjax.cli import main
from mmjax.data import attributes as A
from mmjax.data.audio import decode_audio
from mmjax.data.caption_sound import scene_of_caption, scene_words
from mmjax.data.captions import caption_matches_scene, parse_caption

CAPTIONS = [
    ("a big red circle at the upper left", "large red circle, top left"),
    ("there is a tiny cyan cross in the centre", "small cyan cross, middle centre"),
    (
        "a small blue square above a large yellow triangle",
        "small blue square, top centre + large yellow triangle, bottom centre",
    ),
    (
        "a small red circle to the right of a big green cross",
        "large green cross, middle left + small red circle, middle right",
    ),
]


@pytest.mark.parametrize("caption, words", CAPTIONS)
def test_the_written_file_decodes_to_the_caption(caption, words, tmp_path, capsys):
    out = tmp_path / "sounds" / "scene.wav"  # a missing folder is made
    assert main(["data", "sound", caption, "--out", str(out)]) == 0
    heard = decode_audio(read_wav(out))  # the file itself, through the project's reader and the exact decoder
    assert caption_matches_scene(parse_caption(caption), heard)  # the caption is a true description of it
    assert scene_words(heard) == words  # and the cells are the stated or the middle ones
    assert len(heard.objects) == parse_caption(caption)["num_objects"]
    printed = capsys.readouterr().out
    assert f"wrote   {out}" in printed and f"heard:  {words} (" in printed and "NOT" not in printed


def test_a_changed_caption_is_heard_as_changed(tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "b.wav"
    main(["data", "sound", "a big red circle at the upper left", "--out", str(first)])
    main(["data", "sound", "a small red circle at the upper left", "--out", str(second)])
    assert decode_audio(read_wav(first)).objects[0].size == A.SIZES.index("large")
    assert decode_audio(read_wav(second)).objects[0].size == A.SIZES.index("small")


def test_punctuation_and_case_are_forgiven():
    assert scene_of_caption("A BIG red circle, at the upper-left!") == scene_of_caption(CAPTIONS[0][0])


@pytest.mark.parametrize(
    "caption, says",
    [
        ("a big red cat at the upper left", "the word 'cat'"),
        ("a big red circle", "says no position"),
        ("a big red circle in the upper centre", "unknown position 'upper centre'"),
        ("a big red circle moving left", "describes motion"),
        ("   ", "has no words"),
    ],
)
def test_a_caption_that_is_not_a_scene_is_one_clear_line(caption, says, tmp_path, capsys):
    out = tmp_path / "scene.wav"
    assert main(["data", "sound", caption, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mmjax: error: ") and says in err and err.count("\n") == 1 and "Traceback" not in err
    assert "e.g. 'a big red circle at the upper left'" in err or "motion" in err
    assert not out.exists()  # nothing is written for a bad caption
