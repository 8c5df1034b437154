"""Prompts are parsed before drawing: the caption grammar reads them back into labels, or says where it stops.

Fast: no model is loaded or compiled; only the grammar, the captions and the prompt checks run.
"""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.caption_grammar import accepts
from mmjax.data.caption_parse import CaptionStopError, ParsedCaption, ParsedObject, complete, parse_prompt
from mmjax.data.captions import INVERSE_RELATION
from mmjax.data.shapes import example
from mmjax.pretrained.prompts import (
    EXAMPLES,
    UnknownWordsError,
    UnparsedPromptError,
    check_prompt,
    encode_prompt,
    encode_prompts,
)
from mmjax.pretrained.video_prompts import DEFAULT_VIDEO_PROMPT, check_video_prompt

OBJECT_FIELDS = ("shape", "colour", "size")


def _readings(labels: dict) -> list[dict]:
    """The labels a caption of this scene may state: a two-object caption says its objects in either order
    ("A above B" or "B below A") and no cells; a one-object caption says everything."""
    if int(labels["num_objects"]) == 1:
        return [labels]
    inverse = A.RELATIONS.index(INVERSE_RELATION[A.RELATIONS[int(labels["relation"])]])
    out = []
    for order, relation in (([0, 1], int(labels["relation"])), ([1, 0], inverse)):
        reading = {k: labels[k][order] for k in OBJECT_FIELDS}
        out.append(
            {**labels, **reading, "relation": relation, "row": np.full(2, A.ABSENT), "col": np.full(2, A.ABSENT)}
        )
    return out


def _same(parsed: dict, labels: dict, video: bool) -> bool:
    keys = ("num_objects", *OBJECT_FIELDS, "row", "col", "relation")
    motion = int(labels["motion"]) if video else A.ABSENT  # a still caption states no motion
    return int(parsed["motion"]) == motion and any(
        all(np.array_equal(parsed[k], reading[k]) for k in keys) for reading in _readings(labels)
    )


@pytest.mark.parametrize("split", ["train", "test_heldout"])
def test_every_caption_parses_back_to_the_labels_it_was_made_from(split):
    for index in range(200):
        item = example(3, split, index, modalities=("caption", "video"))
        labels = {k: item[k] for k in ("num_objects", *OBJECT_FIELDS, "row", "col", "relation", "motion")}
        for text, video in ((item["caption"], False), (item["video_caption"], True)):
            parsed = parse_prompt(text, video=video).labels()
            assert _same(parsed, labels, video), (text, parsed, labels)


def test_parse_prompt_names_the_scene():
    one = parse_prompt("a big red circle at the upper left")
    assert one == ParsedCaption((ParsedObject(size=1, colour=0, shape=0, row=0, col=0),))
    two = parse_prompt("there is a tiny blue square to the left of a large green cross")
    assert two.objects == (ParsedObject(0, 2, 1), ParsedObject(1, 1, 3)) and two.relation == A.RELATIONS.index(
        "left of"
    )
    assert parse_prompt("a big red circle in the centre sliding downwards", video=True).motion == A.MOTIONS.index(
        "down"
    )
    with pytest.raises(CaptionStopError):  # motion words are not part of a still caption
        parse_prompt("a big red circle in the centre sliding downwards")


def test_the_parser_and_the_decoding_automaton_are_one_grammar():
    """What the constrained decoder's automaton accepts is what parse_prompt reads, also for near misses."""
    texts = [example(0, "test", i, modalities=("caption",))["caption"] for i in range(50)]
    texts += ["a red circle", "a big red circle at the", "a big red circle in the centre above a small cross"]
    texts += ["there is a big red circle", "a big red circle in the middle left", "a big red circle over a big red"]
    for text in texts:
        try:
            parse_prompt(text)
            parsed = True
        except CaptionStopError:
            parsed = False
        assert parsed == accepts(text), text


def test_where_the_grammar_stops():
    with pytest.raises(CaptionStopError) as caught:
        parse_prompt("a red circle")
    assert caught.value.stop == 1 and caught.value.expected == {"a size": ["small", "little", "tiny", "large", "big"]}
    with pytest.raises(CaptionStopError) as caught:
        parse_prompt("a big red circle at the")
    assert caught.value.stop == 6 and "a position" in caught.value.expected  # it ended too early


@pytest.mark.parametrize(
    "prompt, message, suggestion",
    [
        (
            "a ",
            'reads "a", then the prompt ends where it expects a size (small, little, tiny, large, big)',
            EXAMPLES[0],
        ),
        ("tiny", "does not start like a caption (first word 'tiny'", "a tiny red circle in the centre"),
        ("red blue green", "does not start like a caption (first word 'red'", EXAMPLES[0]),
        ("a red circle", "stops at word 2, 'red', where it expects a size", "a small red circle in the centre"),
        ("A Red Circle.", "stops at word 2, 'red', where it expects a size", "a small red circle in the centre"),
        ("red circle", "does not start like a caption", "a small red circle in the centre"),
        ("circle red a big", "does not start like a caption (first word 'circle'", "a big red circle in the centre"),
        ("a big red circle above blue", "where it expects 'a'", "a big red circle above a small blue circle"),
    ],
)
def test_known_words_that_are_no_caption_are_refused_with_a_caption_that_works(prompt, message, suggestion):
    with pytest.raises(UnparsedPromptError) as caught:
        encode_prompt(prompt)
    error, text = caught.value, str(caught.value)
    assert isinstance(error, ValueError) and not isinstance(error, UnknownWordsError)
    assert message in text and f'Try "{suggestion}"' in text and error.suggestion == suggestion
    assert "needs every attribute stated" in text
    assert check_prompt(suggestion) == suggestion  # the suggestion itself is drawn


def test_a_partial_description_says_what_was_filled_in():
    with pytest.raises(UnparsedPromptError, match=r"size and position not stated: filled with small and centre"):
        check_prompt("a red circle")
    with pytest.raises(UnparsedPromptError, match=r"colour, shape and position not stated"):
        check_prompt("tiny")
    assert complete("a big red circle at the top left") == ("a big red circle at the top left", [])
    assert complete("red blue green") is None and complete("a") is None  # no one object: an example instead
    assert complete("a big red circle at the top above a cross") is None  # two objects have no cells


def test_normalisation_still_comes_first():
    assert check_prompt("A Big Red Circle, at the Upper-Left.") == "a big red circle at the upper left"
    assert parse_prompt(check_prompt("A Big Red Circle, at the Upper-Left.")).objects[0].row == 0
    with pytest.raises(UnknownWordsError, match="'cat'"):  # unknown words are still named first
        check_prompt("a red cat")
    with pytest.raises(UnparsedPromptError, match='cannot draw "a red circle"'):
        encode_prompts(["a big red circle in the centre", "a red circle"])


def test_video_prompts_parse_their_still_part_with_the_same_grammar():
    assert check_video_prompt(DEFAULT_VIDEO_PROMPT) == DEFAULT_VIDEO_PROMPT
    with pytest.raises(UnparsedPromptError) as caught:
        check_video_prompt("A red circle, moving left!")
    assert caught.value.suggestion == "a small red circle in the centre moving left"
    assert "then <verb> <direction>" in str(caught.value)
    assert check_video_prompt(caught.value.suggestion) == caught.value.suggestion
    with pytest.raises(ValueError, match="ends with how the scene moves"):  # the motion is checked first
        check_video_prompt("a big red circle in the centre")
