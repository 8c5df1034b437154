"""``mmjax.load_pretrained("shapes")``: the shipped models in both directions, through the public API.

The tests load the weights mmjax ships (``mmjax/artifacts/shapes/``, or ``$MMJAX_ARTIFACTS/shapes/``).
Most check what holds for any weights (shapes, determinism, one compile, every input form, clear errors);
``test_shipped_models_*`` check the quality the shipped models were trained to, with margins below their
targets. Against short-run development weights set ``MMJAX_PROVISIONAL_WEIGHTS=1`` to skip those two.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import mmjax
from mmjax.data.captions import caption_matches_scene, describe, parse_caption
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.pretrained import load_pretrained
from mmjax.pretrained.agreement import agreement
from mmjax.pretrained.model import CHUNK
from mmjax.pretrained.prompts import UnknownWordsError

PROMPTS = ["a big red circle at the upper left", "a small blue square above a large yellow triangle"]
provisional = pytest.mark.skipif(
    os.environ.get("MMJAX_PROVISIONAL_WEIGHTS") == "1", reason="quality of the shipped weights (development weights)"
)


@pytest.fixture(scope="module")
def model():
    return mmjax.load_pretrained("shapes")


@pytest.fixture(scope="module")
def picture():
    return render_image(sample_scene(0, "test", 3))  # [32, 32, 3] uint8


def test_load_pretrained_names_and_missing_files(tmp_path, monkeypatch):
    assert mmjax.load_pretrained is load_pretrained
    with pytest.raises(ValueError, match="no pretrained model named 'cifar'; available: 'shapes'"):
        load_pretrained("cifar")
    monkeypatch.setenv("MMJAX_ARTIFACTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"shapes/text2image.npz.*make it with: mmjax train text2image"):
        load_pretrained()


def test_import_mmjax_stays_free_of_jax():
    code = "import sys, mmjax; assert 'jax' not in sys.modules; assert callable(mmjax.load_pretrained); print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
    with pytest.raises(AttributeError, match="has no attribute 'load_pretrain'"):
        mmjax.load_pretrain  # noqa: B018


def test_generate_image_is_a_pil_image_and_reads_back_exactly(model, tmp_path):
    image = model.generate_image(PROMPTS[0], seed=3)
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
    big = model.generate_image(PROMPTS[0], seed=3, size=256)
    assert big.size == (256, 256)
    big.save(tmp_path / "output.png")
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "output.png").resize((32, 32), Image.Resampling.BOX)), image
    )
    assert model.generate_text(tmp_path / "output.png") == model.generate_text(image)
    with pytest.raises(ValueError, match="size must be an integer >= 32"):
        model.generate_image(PROMPTS[0], size=10)
    with pytest.raises(TypeError, match="for several prompts use generate_images"):
        model.generate_image(PROMPTS)


def test_seeds_batches_and_chunks(model):
    texts = [PROMPTS[i % 2] for i in range(CHUNK + 4)]  # more than one chunk
    images = model.generate_images(texts, seed=0)
    assert images.dtype == np.uint8 and images.shape == (CHUNK + 4, 32, 32, 3)
    np.testing.assert_array_equal(model.generate_images(texts, seed=0), images)  # same seed, same pictures
    np.testing.assert_array_equal(model.generate_images(texts[:CHUNK], seed=0), images[:CHUNK])
    np.testing.assert_array_equal(np.asarray(model.generate_image(texts[0], seed=0)), images[0])
    other = model.generate_images(texts, seed=1)
    assert all(not np.array_equal(a, b) for a, b in zip(images, other))  # another seed, other latents
    assert not np.array_equal(images[1], images[3])  # same prompt, other rows: other latents


def test_each_model_compiles_once_per_method(model, picture):
    from mmjax.gan.sampler import compiled
    from mmjax.nn.transformer import generate
    from mmjax.text2image.model import build_players

    model.generate_images(PROMPTS[:1]), model.generate_text(picture)  # warm up
    draws, decodes = compiled(build_players, model.text2image_config)._cache_size(), generate._cache_size()
    model.generate_images(PROMPTS * 3, seed=5), model.generate_images(PROMPTS * (CHUNK + 1))
    model.generate_texts([picture] * 3), model.generate_texts([picture] * (CHUNK + 2))
    assert compiled(build_players, model.text2image_config)._cache_size() == draws
    assert generate._cache_size() == decodes


def test_every_input_form_gives_the_same_caption(model, picture, tmp_path):
    pil = Image.fromarray(picture)
    pil.save(tmp_path / "input.png")
    forms = [
        picture,
        picture / 255.0,
        np.asarray(pil, np.float32).transpose(2, 0, 1) / 255.0,  # torchvision's ToTensor()
        pil,
        str(tmp_path / "input.png"),
        tmp_path / "input.png",
        pil.resize((128, 128), Image.Resampling.NEAREST),
    ]
    captions = [model.generate_text(form) for form in forms]
    assert len(set(captions)) == 1 and isinstance(captions[0], str) and captions[0]
    assert model.generate_texts(forms) == captions
    beam = model.generate_texts(forms[:2], method="beam", beam_size=3)
    assert len(set(beam)) == 1 and beam[0]


def test_bad_inputs_are_clear_errors_not_jax_tracebacks(model, picture, tmp_path):
    with pytest.raises(UnknownWordsError, match="'cat', 'sitting', 'on', 'table'"):
        model.generate_image("A cat sitting on the table.")
    with pytest.raises(UnknownWordsError, match="colours: red, green"):
        model.generate_images([PROMPTS[0], "a red dog"])
    with pytest.raises(ValueError, match="7 x 7 pixels"):
        model.generate_text(picture[:7, :7])
    with pytest.raises(ValueError, match="NaN"):
        model.generate_text(np.full((3, 32, 32), np.nan, np.float32))
    with pytest.raises(ValueError, match="image 1: .*3 colour channels"):
        model.generate_texts([picture, picture[..., :1]])
    (tmp_path / "input.png").write_bytes(b"GIF89a but not really")
    with pytest.raises(ValueError, match="is not an image file"):
        model.generate_text(tmp_path / "input.png")
    with pytest.raises(ValueError, match="method must be one of greedy, beam"):
        model.generate_text(picture, method="sample")
    with pytest.raises(ValueError, match="beam_size must be an integer >= 1"):
        model.generate_text(picture, method="beam", beam_size=0)
    for seed, error in [(-1, ValueError), (1.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="seed must be"):
            model.generate_images(PROMPTS, seed=seed)


@provisional
def test_shipped_models_caption_real_pictures(model):
    """The shipped captioner reads rendered test pictures (target: every fact right for >= 95% of test)."""
    scenes = [sample_scene(0, "test", i) for i in range(32)]
    captions = model.generate_texts([render_image(scene) for scene in scenes])
    right = [caption_matches_scene(parse_caption(c), s) for c, s in zip(captions, scenes)]
    assert sum(right) >= 26, list(zip(captions, right))  # 81%: a margin below the target for 32 samples


@provisional
def test_shipped_models_round_trip_prompts(model):
    """text -> image -> text keeps the prompt's facts for many prompts, far more than chance.

    The shipped pair keeps 18 of these 32 (0.44 of 1000 test prompts in the model card), short of the 85% the
    project aims for; the bound sits below what it reaches so that a regression, not noise, fails it.
    """
    prompts = [describe(sample_scene(0, "test", i), np.random.default_rng(i)) for i in range(32)]
    captions = model.generate_texts(model.generate_images(prompts, seed=0))
    agree = [agreement(p, c).agrees for p, c in zip(prompts, captions)]
    assert sum(agree) >= 12, list(zip(prompts, captions))
