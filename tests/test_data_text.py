"""Captions and tokenizer: every template parses back, the saved vocabulary is complete, errors are clear."""

import itertools
import json
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.scene import Scene, ShapeObject, sample_scene
from mmjax.data.tokenizer import MAX_TOKENS, SPECIALS, Tokenizer, build_vocabulary


def test_random_captions_parse_back_to_their_scene():
    for i in range(2000):
        scene = sample_scene(0, "train", i)
        rng = np.random.default_rng(i)
        for video in (False, True):
            caption = C.describe(scene, rng, video)
            parsed = C.parse_caption(caption)
            assert C.caption_matches_scene(parsed, scene), (caption, scene)
            assert (parsed["motion"] == scene.motion) == video or not video


def _every_one_object_caption():
    for template, size, cell in itertools.product(C.ONE_OBJECT_TEMPLATES, C.SIZE_WORDS["large"], range(9)):
        for phrase in C.CELL_PHRASES[cell]:
            yield template.format(object=f"{size} red circle", cell=phrase), cell


def test_every_template_and_paraphrase_round_trips():
    for caption, cell in _every_one_object_caption():
        parsed = C.parse_caption(caption)
        obj = parsed["objects"][0]
        assert (obj["row"], obj["col"], obj["colour"], obj["shape"], obj["size"]) == (*divmod(cell, 3), 0, 0, 1)
    for template, relation in itertools.product(C.TWO_OBJECT_TEMPLATES, A.RELATIONS):
        for words in C.RELATION_WORDS[relation]:
            caption = template.format(first="tiny blue cross", relation=words, second="big cyan square")
            for verb, (motion, motion_words) in itertools.product(C.MOTION_VERBS, C.MOTION_WORDS.items()):
                for motion_phrase in motion_words:
                    parsed = C.parse_caption(f"{caption} {verb} {motion_phrase}")
                    assert parsed["relation"] == A.RELATIONS.index(relation)
                    assert parsed["motion"] == A.MOTIONS.index(motion)
                    assert [o["shape"] for o in parsed["objects"]] == [3, 1]


def test_a_caption_of_the_wrong_scene_does_not_match():
    scene = Scene((ShapeObject(0, 0, 1, 0, 0),), A.NO_RELATION, 1)
    assert C.caption_matches_scene(C.parse_caption("a big red circle in the top left"), scene)
    assert not C.caption_matches_scene(C.parse_caption("a big red circle in the top right"), scene)
    assert not C.caption_matches_scene(C.parse_caption("a small red circle in the top left"), scene)
    assert not C.caption_matches_scene(C.parse_caption("a big red circle in the top left moving up"), scene)


@pytest.mark.parametrize(
    "text, message",
    [
        ("a big red hexagon in the top left", "expected '<size> <colour> <shape>'"),
        ("a big red circle in the far corner", "unknown position"),
        ("the big red circle", "must start with"),
        ("a big red circle beside a small blue cross", "unknown relation"),
        ("a big red circle in the top left moving sideways", "unknown motion"),
    ],
)
def test_parse_errors_are_clear(text, message):
    with pytest.raises(C.CaptionParseError, match=message):
        C.parse_caption(text)


def test_saved_vocabulary_is_the_built_one():
    saved = json.loads(resources.files("mmjax.data").joinpath("vocab.json").read_text())
    assert saved == build_vocabulary()
    assert tuple(saved[:4]) == SPECIALS


def test_longest_caption_fits_max_tokens():
    longest = lambda options: max(options, key=lambda p: len(p.split()))  # noqa: E731
    obj = f"{longest(C.SIZE_WORDS['small'])} red circle"
    relation = longest([p for ps in C.RELATION_WORDS.values() for p in ps])
    motion = longest([p for ps in C.MOTION_WORDS.values() for p in ps])
    still = longest(C.TWO_OBJECT_TEMPLATES).format(first=obj, relation=relation, second=obj)
    caption = f"{still} moving {motion}"
    assert len(caption.split()) + 2 <= MAX_TOKENS
    Tokenizer.default().encode(caption)  # does not raise


def test_encode_decode_round_trip_and_framing():
    tok = Tokenizer.default()
    for i in range(200):
        text = C.describe(sample_scene(0, "train", i), np.random.default_rng(i), video=True)
        ids = tok.encode(text)
        assert ids.dtype == np.int32 and ids.shape == (MAX_TOKENS,)
        assert ids[0] == tok.bos_id and tok.eos_id in ids
        assert (ids[list(ids).index(tok.eos_id) + 1 :] == tok.pad_id).all()
        assert tok.decode(ids) == text
    assert (
        tok.encode("A Big RED circle", max_len=None).tolist()[1:-1]
        == tok.encode("a big red circle", None).tolist()[1:-1]
    )


def test_unknown_words_raise_or_map_to_unk():
    tok = Tokenizer.default()
    with pytest.raises(ValueError, match="'hexagon' is not in the vocabulary"):
        tok.encode("a big red hexagon")
    ids = tok.encode("a big red hexagon", unknown="unk")
    assert ids[4] == tok.unk_id
    assert tok.decode(ids) == "a big red <unk>"
    with pytest.raises(ValueError, match="<pad>"):  # special tokens typed as text are not special
        tok.encode("<pad>")


def test_tokenizer_errors():
    tok = Tokenizer.default()
    with pytest.raises(ValueError, match="more than max_len=4"):
        tok.encode("a big red circle in the top left", max_len=4)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([1, 999])
    with pytest.raises(TypeError, match="text must be a string"):
        tok.encode(42)
    with pytest.raises(ValueError, match="must start with the special tokens"):
        Tokenizer(["a", "b"])


def test_tokenizer_save_and_load(tmp_path):
    tok = Tokenizer.default()
    tok.save(tmp_path / "vocab.json")
    assert Tokenizer.load(tmp_path / "vocab.json").vocabulary == tok.vocabulary


_WORDS = Tokenizer.default().vocabulary[4:]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=MAX_TOKENS - 2))
def test_any_sequence_of_vocabulary_words_round_trips(words):
    tok = Tokenizer.default()
    text = " ".join(words)
    assert tok.decode(tok.encode(text)) == text
