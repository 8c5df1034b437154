"""Text-to-image on a TFDS classification data set (offline, ``tfds.testing.mock_data``): class names as captions."""

import dataclasses

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from mmjax.data import class_captions as C
from mmjax.data.tokenizer import Tokenizer
from mmjax.text2image import export, step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import make_source
from mmjax.text2image.task import TASK
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics

TINY = TextToImageConfig(
    dataset="cifar10",
    latent_dim=8,
    width=4,
    text_dim=16,
    text_layers=1,
    text_heads=2,
    text_hidden=16,
    contrastive_dim=8,
    batch_size=8,
    num_train_examples=32,
    num_eval_examples=16,
)
MOCK_EXAMPLES = 40  # per split; evaluation reads 2 x num_eval_examples test examples


def test_class_names_become_normalised_captions():
    assert C.class_captions("cifar10")[3] == "a cat" and C.class_captions("cifar10")[0] == "an airplane"
    assert C.class_captions("fashion_mnist")[0] == "a t shirt top"
    assert C.class_captions("fashion_mnist")[9] == "an ankle boot"
    assert C.class_captions("mnist")[:2] == ("a zero", "a one") and C.class_captions("mnist")[8] == "an eight"
    for dataset in C.DATASETS:
        assert len(C.class_captions(dataset)) == len(C.CLASS_NAMES[dataset]) == 10


def test_vocabulary_is_a_function_of_the_config_and_sizes_the_text_encoder():
    config = TextToImageConfig(dataset="cifar10")
    vocabulary = config.tokenizer().vocabulary
    assert vocabulary[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert set(vocabulary[4:]) == {"a", "an", "airplane", "automobile", "bird", "cat", "deer", "dog", "frog"} | {
        "horse",
        "ship",
        "truck",
    }
    assert config.text().vocab_size == 16 == len(vocabulary)
    # class tokens: <bos> a cat <eos> <pad> ...
    tokens = config.tokenizer().encode("a cat")
    assert [vocabulary[i] for i in tokens[:4]] == ["<bos>", "a", "cat", "<eos>"] and not tokens[4:].any()
    shapes = TextToImageConfig()  # the default stays the Shapes vocabulary
    assert shapes.tokenizer() is Tokenizer.default() and shapes.text().vocab_size == Tokenizer.default().vocab_size
    assert TextToImageConfig(dataset="mnist").tokenizer().encode("an eight")[2] == C.vocabulary("mnist").index("eight")


def test_unknown_words_data_sets_and_class_names_give_clear_errors():
    with pytest.raises(ValueError, match="word 'on' is not in the vocabulary of 16 words"):
        TextToImageConfig(dataset="cifar10").tokenizer().encode("a cat on the table")
    with pytest.raises(ValueError, match="word 'cat' is not in the vocabulary"):
        TextToImageConfig(dataset="mnist").tokenizer().encode("a cat")
    with pytest.raises(ValueError, match="dataset must be 'shapes' or one of mnist, fashion_mnist, cifar10"):
        TextToImageConfig(dataset="imagenet")
    with pytest.raises(ValueError, match="image_size must be 32"):
        TextToImageConfig(dataset="mnist", image_size=16)
    with pytest.raises(ValueError, match="the Shapes captioner, which reads Shapes captions only"):
        TextToImageConfig(dataset="mnist", caption_weight=1.0)
    with pytest.raises(ValueError, match=r"TFDS names the classes of 'cifar10' \['plane'"):
        C.check_class_names("cifar10", ["plane", *C.CLASS_NAMES["cifar10"][1:]])
    with pytest.raises(ValueError, match="TFDS names the classes"):
        C.check_class_names("cifar10", [str(k) for k in range(9)])  # numbered, but one class short
    C.check_class_names("cifar10", C.CLASS_NAMES["cifar10"])
    C.check_class_names("cifar10", [str(k) for k in range(10)])  # names TFDS has not read yet (mock data)


def test_mock_data_sources_give_rgb_32x32_images_with_their_class_caption():
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        for dataset in ("mnist", "cifar10"):
            source = make_source(dataclasses.replace(TINY, dataset=dataset), "train")
            raw = tfds.data_source(dataset, split="train")
            assert len(source) == TINY.num_train_examples
            for i in range(3):
                item, record = source[i], raw[i]
                assert item["image"].shape == (32, 32, 3) and item["image"].dtype == np.uint8
                label = int(record["label"])
                assert item["label"] == label and item["caption"] == C.class_captions(dataset)[label]
                expected = C.tokenizer_for(dataset).encode(item["caption"])
                np.testing.assert_array_equal(item["tokens"], expected)
                if dataset == "mnist":  # grayscale 28x28: 2 black pixels around, the same value in R, G and B
                    np.testing.assert_array_equal(item["image"][2:30, 2:30, 1], record["image"][:, :, 0])
                    assert not item["image"][:2].any() and not item["image"][:, 30:].any()
                    assert (item["image"] == item["image"][..., :1]).all()
                else:
                    np.testing.assert_array_equal(item["image"], record["image"])
        with pytest.raises(IndexError):
            source[TINY.num_train_examples]


def test_to_rgb32_rejects_what_it_cannot_convert():
    with pytest.raises(ValueError, match=r"expected a uint8 image \[H <= 32, W <= 32, 1 or 3\]"):
        C.to_rgb32(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="expected a uint8 image"):
        C.to_rgb32(np.zeros((28, 28, 4), np.uint8))


def test_tiny_run_on_mock_cifar10_draws_a_cat_and_exports_its_vocabulary(tmp_path):
    run_dir = tmp_path / "run"
    train = TrainConfig(steps=3, run_dir=str(run_dir), progress=False, async_checkpoints=False, log_every=1)
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        result = loop.train(TASK, TINY, train, log=lambda message: None)
    assert result.step == 3
    (evaluation,) = [r for r in read_metrics(run_dir / "metrics.jsonl") if r["split"] == "eval"]
    assert set(evaluation) - {"step", "split", "time"} == set(step.CLASS_EVAL_KEYS)
    assert all(0.0 <= evaluation[k] <= 1.0 for k in step.CLASS_EVAL_KEYS)
    assert (run_dir / "samples" / "step_0000003" / "text2image_samples.png").is_file()

    tokens = TINY.tokenizer().encode_batch(["a cat", "a cat", "a truck"])
    images = step.generate(TINY, result.state, tokens, jax.random.key(0))
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.uint8
    assert not np.array_equal(images[0], images[1])  # one latent per row

    path = tmp_path / "cifar10.npz"
    TASK.export(result.state, TINY, path)
    config, g_variables = export.load(path)
    assert config == TINY
    np.testing.assert_array_equal(step.generate(config, g_variables, tokens, jax.random.key(0)), images)


def test_nearest_class_mean_matches_a_brute_force_reference():
    from mmjax.metrics import nearest_centroid

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 4, 4, 3)).astype(np.uint8)
    labels = rng.integers(0, 3, 30)  # class 3 of 4 never appears: it must never be predicted
    means = nearest_centroid.class_means(images, labels, 4)
    x = images.reshape(30, -1).astype(np.float64)
    for k in range(3):
        np.testing.assert_allclose(means[k], x[labels == k].mean(axis=0))
    assert np.isnan(means[3]).all()
    queries = rng.integers(0, 256, (20, 4, 4, 3)).astype(np.uint8)
    expected = [min(range(3), key=lambda k: np.sum((q.reshape(-1) - means[k]) ** 2)) for q in queries.astype(float)]
    np.testing.assert_array_equal(nearest_centroid.predict(means, queries), expected)
    assert nearest_centroid.agreement(means, queries, expected) == 1.0
    with pytest.raises(ValueError, match=r"labels must be \[30\] integers in \[0, 4\)"):
        nearest_centroid.class_means(images, labels + 2, 4)


def test_the_loop_expects_the_metrics_of_the_configs_data_set():
    assert TASK.expected_eval_keys(TINY) == step.CLASS_EVAL_KEYS
    assert TASK.expected_eval_keys(TextToImageConfig()) == TASK.eval_keys == step.EVAL_KEYS
    with pytest.raises(ValueError, match="evaluate returned"):
        TASK.check_eval_metrics({key: 0.5 for key in step.EVAL_KEYS}, TINY)
