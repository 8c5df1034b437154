"""The shipped judge: loads from its safe checkpoint and reads every attribute of real renders."""

import jax
import numpy as np
import pytest
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.metrics.coherence import attribute_accuracy
from mmjax.metrics.judge import DEFAULT_CHECKPOINT, JudgeConfig, judge_features, judge_labels, load_judge, save_judge
from mmjax.metrics.judge.checkpoint import read_metadata
from mmjax.metrics.judge.data import labelled_frames
from mmjax.metrics.judge.evaluate import judge_report, stack_labels
from mmjax.metrics.judge.model import NUM_LOGITS, Judge, decode_labels
from mmjax.metrics.judge.train import init_state, judge_loss, make_train_step

NUM_CHECK = 300  # fixed evaluation set: the first examples of test and test_heldout


@pytest.fixture(scope="module")
def judge():
    model, _ = load_judge()
    return model


def test_checkpoint_is_small_safe_and_records_its_accuracy():
    assert DEFAULT_CHECKPOINT.stat().st_size < 4 * 2**20
    with np.load(DEFAULT_CHECKPOINT, allow_pickle=False) as stored:  # no pickled objects inside
        assert all(stored[k].dtype.kind in "fU" for k in stored.files)
    accuracy = read_metadata()["extra"]["accuracy"]
    assert min(accuracy["test_heldout/image"].values()) >= 0.99


@pytest.mark.parametrize("split", ["test", "test_heldout"])
def test_judge_reads_every_attribute_of_real_images(judge, split):
    scenes = [sample_scene(0, split, i) for i in range(NUM_CHECK)]
    predicted = judge_labels(judge, np.stack([render_image(s) for s in scenes]))
    scores = attribute_accuracy(predicted, stack_labels(scenes))
    assert {"num_objects", "shape", "colour", "size", "row", "col", "relation"} <= set(scores)
    assert min(scores.values()) >= 0.99, scores


def test_judge_reads_video_frames_and_motion(judge):
    report = judge_report(judge, num_examples=40, num_videos=40)
    for split in ("test", "test_heldout"):
        assert report[f"{split}/video"]["motion"] >= 0.97, report
        assert report[f"{split}/video"]["frame_all_correct"] >= 0.97, report


def test_judge_is_near_chance_on_noise_and_features_separate_real_from_noise(judge):
    noise = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    real = np.stack([render_image(sample_scene(0, "test", i)) for i in range(64)])
    f_noise, f_real = judge_features(judge, noise), judge_features(judge, real)
    assert f_noise.shape == (64, JudgeConfig().feature_dim) and f_noise.dtype == np.float64
    gap = np.linalg.norm(f_noise.mean(0) - f_real.mean(0))
    assert gap > np.linalg.norm(f_real[:32].mean(0) - f_real[32:].mean(0)) * 3


def test_judge_rejects_bad_images(judge):
    with pytest.raises(ValueError, match=r"\[B, H, W, 3\]"):
        judge_labels(judge, np.zeros((4, 32, 32), np.uint8))


def test_checkpoint_round_trip_and_missing_file(tmp_path):
    config = JudgeConfig(widths=(4,), feature_dim=8, feature_scale=2.5)
    model = Judge(config, nnx.Rngs(1))
    save_judge(model, config, tmp_path / "j.npz", extra={"note": "tiny"})
    loaded, loaded_config = load_judge(tmp_path / "j.npz")
    images = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    assert loaded_config == config
    np.testing.assert_array_equal(judge_features(model, images), judge_features(loaded, images))
    with pytest.raises(FileNotFoundError, match="python -m mmjax.metrics.judge.train"):
        load_judge(tmp_path / "missing.npz")


def test_training_step_lowers_the_loss_on_a_fixed_batch():
    config = JudgeConfig(widths=(4,), feature_dim=16, steps=30, learning_rate=3e-3)
    batch = labelled_frames("train", 32, seed=5, video_fraction=0.5)
    graphdef, state = init_state(config, jax.random.key(0))
    first = float(judge_loss(nnx.merge(graphdef, state["params"]), batch)[0])
    step = make_train_step(graphdef, config)
    for _ in range(30):
        state, metrics = step(state, batch)
    assert float(metrics["loss"]) < 0.7 * first


def test_decode_labels_layout():
    logits = np.zeros((2, NUM_LOGITS), np.float32)
    from mmjax.metrics.judge.model import split_logits

    blocks = split_logits(logits)
    blocks["num_objects"] = np.array([[5.0, 0.0], [0.0, 5.0]])  # one object, then two
    labels = decode_labels(blocks)
    np.testing.assert_array_equal(labels["num_objects"], [1, 2])
    assert labels["shape"][0, 1] == A.ABSENT and labels["relation"][0] == A.NO_RELATION
    assert labels["relation"][1] == A.RELATIONS.index("above")  # both argmax col 0: same column
