"""What users hand the pretrained API: pictures in every form, prompts, and the prompt/caption agreement.

No model is loaded here: these are the checks and conversions in front of it.
"""

import numpy as np
import pytest
from PIL import Image

from mmjax.data import attributes as A
from mmjax.data.captions import caption_matches_scene, describe, parse_caption
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.data.tokenizer import Tokenizer
from mmjax.pretrained.agreement import agreement
from mmjax.pretrained.images import as_image_array, as_image_batch
from mmjax.pretrained.prompts import (
    MAX_WORDS,
    UnknownWordsError,
    check_prompt,
    drawable_words,
    encode_prompt,
    encode_prompts,
    normalise,
    suggest,
)

SOURCE_PROMPT = "A cat sitting on the table."  # the source text's own prompt, verbatim


@pytest.fixture(scope="module")
def picture():
    return render_image(sample_scene(0, "test", 3))  # [32, 32, 3] uint8, a real Shapes picture


def to_tensor(pil_image):
    """What torchvision's ToTensor() does to a PIL RGB picture: CHW float32, x / 255."""
    return np.asarray(pil_image, np.float32).transpose(2, 0, 1) / 255.0


# ---- pictures -------------------------------------------------------------------------------------------
def test_every_form_of_one_picture_gives_the_same_array(picture, tmp_path):
    import jax.numpy as jnp

    pil = Image.fromarray(picture)
    pil.save(tmp_path / "input.png")
    forms = {
        "uint8 HWC": picture,
        "float HWC": picture / 255.0,
        "ToTensor CHW": to_tensor(pil),
        "uint8 CHW (read_image)": np.moveaxis(picture, -1, 0),
        "int64 HWC": picture.astype(np.int64),
        "jax float32": jnp.asarray(picture, jnp.float32) / 255.0,
        "PIL": pil,
        "PIL RGBA, opaque": pil.convert("RGBA"),
        "path str": str(tmp_path / "input.png"),
        "path Path": tmp_path / "input.png",
        "batch of one": picture[None],
        "enlarged 8x NEAREST": pil.resize((256, 256), Image.Resampling.NEAREST),
    }
    for name, form in forms.items():
        out = as_image_array(form)
        assert out.dtype == np.uint8 and out.shape == (32, 32, 3), name
        np.testing.assert_array_equal(out, picture, err_msg=name)


def test_conversions_pil_modes_and_resizing(picture):
    grey = Image.fromarray(picture).convert("L")
    np.testing.assert_array_equal(as_image_array(grey), np.repeat(np.asarray(grey)[..., None], 3, axis=-1))
    rgba = np.concatenate([picture, np.zeros_like(picture[..., :1])], axis=-1)  # fully transparent
    assert as_image_array(Image.fromarray(rgba, "RGBA")).max() == 0  # composited on the black background
    rgba[..., 3] = 255
    np.testing.assert_array_equal(as_image_array(Image.fromarray(rgba, "RGBA")), picture)
    # not square: stretched (not cropped) to 32 x 32; 16 x 16 enlarged; a rectangle of one colour stays that colour
    wide = np.full((40, 64, 3), (10, 200, 30), np.uint8)
    np.testing.assert_array_equal(as_image_array(wide), np.full((32, 32, 3), (10, 200, 30), np.uint8))
    assert as_image_array(picture[::2, ::2]).shape == (32, 32, 3)
    assert as_image_array(picture, size=64).shape == (64, 64, 3)


def test_a_batch_of_mixed_forms_and_errors_that_name_the_picture(picture):
    batch = as_image_batch([picture, picture / 255.0, Image.fromarray(picture)])
    assert batch.shape == (3, 32, 32, 3) and all(np.array_equal(b, picture) for b in batch)
    np.testing.assert_array_equal(as_image_batch(np.stack([picture, picture])), batch[:2])
    with pytest.raises(ValueError, match=r"image 1: image has NaN"):
        as_image_batch([picture, np.full((32, 32, 3), np.nan)])
    with pytest.raises(ValueError, match="no images given"):
        as_image_batch([])
    with pytest.raises(TypeError, match="for one image use as_image_array"):
        as_image_batch(Image.fromarray(picture))
    with pytest.raises(ValueError, match=r"4-D array N x H x W x 3, got shape \(32, 32, 3\) \(for one image"):
        as_image_batch(picture)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: p[..., 0], ValueError, r"2-D array \(32, 32\).*np.stack"),
        (lambda p: p[..., :1], ValueError, r"3 colour channels.*\(32, 32, 1\).*np.repeat"),
        (lambda p: np.concatenate([p, p[..., :1]], -1), ValueError, r"\(32, 32, 4\).*alpha"),
        (lambda p: np.zeros((1, 32, 32)), ValueError, r"\(1, 32, 32\).*np.repeat"),
        (lambda p: p[:7, :7], ValueError, r"7 x 7 pixels; below 16 x 16"),
        (lambda p: np.full((32, 32, 3), np.nan), ValueError, "NaN or infinite"),
        (lambda p: np.full((32, 32, 3), np.inf), ValueError, "NaN or infinite"),
        (lambda p: p.astype(np.float32), ValueError, r"float pixels must be in \[0, 1\].*divide by 255"),
        (lambda p: p / 127.5 - 1.0, ValueError, r"float pixels must be in \[0, 1\].*\(a \+ 1\) / 2"),
        (lambda p: p.astype(np.int32) * 2, ValueError, r"integer pixels must be in 0..255"),
        (lambda p: p > 0, TypeError, "bool array"),
        (lambda p: p.astype(np.complex64), TypeError, "dtype complex64"),
        (lambda p: np.full((32, 32, 3), None), TypeError, "dtype object"),
        (lambda p: np.stack([p, p]), ValueError, r"batch of 2 images.*generate_texts"),
        (lambda p: p[None, None], ValueError, "rank 5"),
        (lambda p: [p], TypeError, "batched API"),
        (lambda p: 3, TypeError, "cannot read a int as an image; expected a PIL.Image"),
    ],
)
def test_what_cannot_be_a_picture_gets_a_clear_error(picture, make, error, message):
    with pytest.raises(error, match=message):
        as_image_array(make(picture))


def test_paths_that_are_not_pictures(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image file at .*missing.png"):
        as_image_array(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ValueError, match=r"notes.png is not an image file"):
        as_image_array(str(tmp_path / "notes.png"))
    with pytest.raises(ValueError, match="is a folder, not an image file"):
        as_image_array(tmp_path)


# ---- prompts --------------------------------------------------------------------------------------------
def test_normalise_forgives_case_punctuation_spacing_and_hyphens():
    assert normalise("  A BIG red Circle, at the upper-left! ") == "a big red circle at the upper left"
    assert normalise("a\tsmall\n\nblue  square...") == "a small blue square"
    assert normalise("") == ""
    tokens = Tokenizer.default().encode("a big red circle at the upper left")
    np.testing.assert_array_equal(encode_prompt("  A BIG red Circle, at the upper-left! "), tokens)


def test_the_source_prompt_gets_the_friendly_error():
    with pytest.raises(UnknownWordsError) as caught:
        encode_prompt(SOURCE_PROMPT)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.unknown == ["cat", "sitting", "on", "table"]  # in order, "a"/"the" are known
    message = str(error)
    for word in ("'cat'", "'sitting'", "'on'", "'table'"):
        assert word in message
    assert "on -> above" in message  # a close known word
    for kind, words in [("colours", A.COLOURS), ("shapes", A.SHAPES)]:
        assert f"{kind}: {', '.join(words)}" in message
    assert "upper left" in message and "to the left of" in message and "small" in message  # positions, relations


def test_suggestions_and_words_the_model_never_read():
    assert suggest("circel")[0] == "circle"
    assert suggest("purple")[0] == "magenta" and suggest("center")[0] == "centre"
    assert suggest("zzzzzz") == []
    assert "moving" not in drawable_words() and "circle" in drawable_words()
    with pytest.raises(UnknownWordsError, match="words of video captions; the model draws still pictures"):
        check_prompt("a red circle moving left")


@pytest.mark.parametrize(
    "prompt, error, message",
    [
        ("", ValueError, "has no words"),
        (" ?! ", ValueError, "has no words"),
        (None, TypeError, "must be a string, got NoneType"),
        (b"a red circle", TypeError, "decode bytes first"),
        (" ".join(["a big red circle"] * 6), ValueError, f"24 words; the model reads at most {MAX_WORDS}"),
    ],
)
def test_bad_prompts(prompt, error, message):
    with pytest.raises(error, match=message):
        encode_prompt(prompt)


def test_encode_prompts_names_the_prompt():
    assert encode_prompts(["a small red circle in the centre", "a big blue cross at the top"]).shape == (2, 24)
    with pytest.raises(ValueError, match="prompt 1: the prompt '' has no words"):
        encode_prompts(["a small red circle in the centre", ""])
    with pytest.raises(TypeError, match="for one use encode_prompt"):
        encode_prompts("a small red circle in the centre")


# ---- agreement ------------------------------------------------------------------------------------------
def test_agreement_compares_the_stated_facts():
    assert agreement("A BIG red circle, at the upper-left!", "a large red circle in the top left").agrees
    result = agreement("a big red circle at the upper left", "a big blue circle at the bottom left")
    assert not result.agrees and result.detail == "colour: prompt red, caption blue; row: prompt top, caption bottom"
    two = "a small blue square above a large yellow triangle"
    assert agreement(two, "there is a large yellow triangle under a tiny blue square").agrees  # read either way
    assert agreement(two, "a small blue square below a large yellow triangle").detail.startswith("relation")
    assert agreement(two, "a small blue square in the centre").detail == "prompt has 2 objects, caption 1"
    assert agreement(two, "square square").detail == "the caption 'square square' is not a Shapes caption"
    with pytest.raises(ValueError):
        agreement("red blue green", "a red circle in the centre")  # no scene: three colours and no shape
    # a partial prompt states the facts it names, "red circle" (read as "a red circle") a colour and a shape
    assert agreement("red circle", "a small red circle in the centre").agrees
    assert not agreement("red circle", "a small red square in the centre").agrees


def test_agreement_equals_the_scene_reference():
    """Against caption_matches_scene: prompt i describes scene i, caption j another paraphrase of scene j."""
    scenes = [sample_scene(1, "train", i) for i in range(40)]
    prompts = [describe(s, np.random.default_rng([i, 0])) for i, s in enumerate(scenes)]
    captions = [describe(s, np.random.default_rng([i, 1])) for i, s in enumerate(scenes)]
    for i, prompt in enumerate(prompts):
        for caption in captions:
            expected = caption_matches_scene(parse_caption(caption), scenes[i])
            assert agreement(prompt, caption).agrees == expected, (prompt, caption)
    assert all(agreement(p, c).agrees for p, c in zip(prompts, captions))  # paraphrases of one scene agree
