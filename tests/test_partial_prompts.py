"""Partial prompts: captions that leave attributes unstated, the phrasing users type, and what is still refused.

Fast: the grammar, the captions and the prompt checks run; no model is loaded or compiled.
"""

import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.caption_grammar import accepts
from mmjax.data.caption_parse import CaptionStopError, parse_prompt
from mmjax.data.captions import LEAVE_OUT, describe
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import ShapesSource, example
from mmjax.pretrained.agreement import agreement
from mmjax.pretrained.prompts import UnknownWordsError, UnparsedPromptError, check_prompt, encode_prompts, resolve

RED, GREEN, BLUE = (A.COLOURS.index(c) for c in ("red", "green", "blue"))
CIRCLE, SQUARE, TRIANGLE = (A.SHAPES.index(s) for s in ("circle", "square", "triangle"))
SMALL, LARGE = A.SIZES.index("small"), A.SIZES.index("large")
ABOVE, LEFT_OF = A.RELATIONS.index("above"), A.RELATIONS.index("left of")
X = A.ABSENT


def facts(text: str) -> list:
    parsed = parse_prompt(text, partial=True)
    return [[(o.size, o.colour, o.shape, o.row, o.col) for o in parsed.objects], parsed.relation]


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("a red circle", [[(X, RED, CIRCLE, X, X)], X]),
        ("a circle at the top", [[(X, X, CIRCLE, 0, 1)], X]),
        ("a big square", [[(LARGE, X, SQUARE, X, X)], X]),
        ("there is a small green triangle", [[(SMALL, GREEN, TRIANGLE, X, X)], X]),
        ("a red circle above a square", [[(X, RED, CIRCLE, X, X), (X, X, SQUARE, X, X)], ABOVE]),
        ("a big red circle at the upper left", [[(LARGE, RED, CIRCLE, 0, 0)], X]),
        (
            "a tiny blue square to the left of a big green circle",
            [[(SMALL, BLUE, SQUARE, X, X), (LARGE, GREEN, CIRCLE, X, X)], LEFT_OF],
        ),
    ],
)
def test_accepted_partial_prompts_parse_to_the_scene_they_name(prompt, expected):
    assert facts(prompt) == expected


@pytest.mark.parametrize(
    "prompt, where",
    [
        ("a", "the prompt ends"),  # no shape
        ("a red", "expects a shape"),
        ("a circle circle", "word 3, 'circle'"),
        ("a red circle above", "the prompt ends"),
        ("a red circle in the", "the prompt ends"),
        ("red circle a", "does not start like a caption"),
        ("a big small circle", "word 3, 'small'"),
    ],
)
def test_other_prompts_are_refused_saying_where(prompt, where):
    with pytest.raises(CaptionStopError, match=where):
        parse_prompt(prompt, partial=True)


def test_describe_then_parse_is_the_identity_for_partial_captions():
    rng = np.random.default_rng(0)
    for index in range(400):
        scene = sample_scene(0, "train", index)
        kinds = [k for k in LEAVE_OUT if rng.random() < 0.5 and (k != "cell" or len(scene.objects) == 1)]
        caption = describe(scene, rng, leave_out=kinds)
        parsed = parse_prompt(caption, partial=True)
        # Two objects may be named in either order: "above" / "left of" name the picture's first one first.
        objects = list(scene.canonical().objects)
        if len(objects) == 2 and A.RELATIONS[parsed.relation] in ("below", "right of"):
            objects = objects[::-1]
        for said, obj in zip(parsed.objects, objects):
            assert said.shape == obj.shape, caption
            assert said.size == (X if "size" in kinds else obj.size), caption
            assert said.colour == (X if "colour" in kinds else obj.colour), caption
            if len(scene.objects) == 1:
                assert (said.row, said.col) == ((X, X) if "cell" in kinds else (obj.row, obj.col)), caption


def test_partial_captions_are_not_what_the_captioner_may_decode():
    assert accepts("a small red circle in the centre") and not accepts("a red circle")


def test_a_source_with_partial_captions_keeps_scenes_and_whole_captions_otherwise():
    whole, partial = ShapesSource("train", 200, ("caption",)), ShapesSource("train", 200, ("caption",), partial=0.5)
    assert whole[7]["caption"] == example(0, "train", 7, ("caption",))["caption"]  # the default is unchanged
    shortened = 0
    for i in range(200):
        a, b = whole[i], partial[i]
        assert all(np.array_equal(a[k], b[k]) for k in ("shape", "colour", "size", "row", "col"))
        parse_prompt(b["caption"], partial=True)  # every caption is in the grammar
        shortened += len(b["caption"].split()) < len(a["caption"].split())
    assert 70 < shortened < 130  # about half
    with pytest.raises(ValueError, match="probability"):
        ShapesSource("train", 10, partial=1.5)


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("a circle in the center", "a circle in the centre"),
        ("a red circle on the left", "a red circle at the left"),
        ("red circle", "a red circle"),
        ("a red circle and a blue square", "a red circle {relation} a blue square"),
        ("a red circle next to a blue square", "a red circle {side} a blue square"),
        ("two green triangles", "a green triangle {relation} a green triangle"),
        ("there are two big crosses", "a big cross {relation} a big cross"),
    ],
)
def test_everyday_phrasing_is_resolved_and_free_relations_vary_with_the_seed(prompt, expected):
    relations = {"above", "below", "to the left of", "to the right of"}
    outcomes = {resolve(prompt, np.random.default_rng(seed), partial=True) for seed in range(40)}
    allowed = {expected.format(relation=r, side=r) for r in relations} | {
        expected.format(relation="", side=s) for s in ("left of", "right of")
    }
    assert outcomes <= allowed
    free = "{relation}" in expected and 4 or "{side}" in expected and 2 or 1
    assert len(outcomes) == free  # every free choice is reached within 40 seeds
    for outcome in outcomes:
        parse_prompt(outcome, partial=True)


def test_prompt_checks_for_a_model_that_reads_partial_captions():
    assert check_prompt("A Red Circle.", partial=True) == "a red circle"
    with pytest.raises(UnparsedPromptError, match="size, colour and one shape's position may be left out"):
        check_prompt("a red", partial=True)
    with pytest.raises(UnparsedPromptError, match="every attribute stated"):
        check_prompt("a red circle")  # a model trained on whole captions still refuses it
    with pytest.raises(UnknownWordsError, match="'cat'"):
        check_prompt("a cat and a dog", partial=True)
    ids = [encode_prompts(["a red circle and a blue square"], partial=True, seed=s)[0] for s in range(12)]
    assert len({tuple(row) for row in ids}) > 1  # the seed picks the relation


def test_agreement_compares_only_what_a_partial_prompt_states():
    assert agreement("a red circle", "a large red circle at the top").agrees
    assert not agreement("a red circle", "a large blue circle at the top").agrees
    assert agreement("a circle above a square", "a small red circle above a big blue square").agrees
    assert not agreement("a circle above a square", "a small red square above a big blue circle").agrees
