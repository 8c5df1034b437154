"""The judge: its training frames, loss and step, export and safe checkpoint, and the shipped judge on real renders."""

import dataclasses

import jax
import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.loader import collate
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.metrics.coherence import attribute_accuracy
from mmjax.metrics.judge import JudgeConfig, TrainedJudge, judge_features, judge_labels, load_judge, read_metadata, step
from mmjax.metrics.judge import export as judge_export
from mmjax.metrics.judge.data import JudgeFrames
from mmjax.metrics.judge.model import NUM_LOGITS, decode_labels, split_logits
from mmjax.metrics.judge.task import TASK

NUM_CHECK = 300  # fixed evaluation set: the first examples of test and test_heldout
TINY = JudgeConfig(widths=(4, 8), feature_dim=8, num_train_examples=64, num_eval_examples=8, batch_size=8)


@pytest.fixture(scope="module")
def judge():
    model, _ = load_judge()
    return model


def test_shipped_checkpoint_is_small_safe_and_records_its_accuracy():
    path = judge_export.default_path()
    assert path.stat().st_size < 4 * 2**20
    with np.load(path, allow_pickle=False) as stored:  # no pickled objects inside
        assert all(stored[k].dtype.kind in "fU" for k in stored.files)
    accuracy = read_metadata()["extra"]["accuracy"]
    assert min(accuracy["test/image"].values()) >= 0.999
    assert min(accuracy["test_heldout/image"].values()) >= 0.999


@pytest.mark.parametrize("split", ["test", "test_heldout"])
def test_judge_reads_every_attribute_of_real_images(judge, split):
    scenes = [sample_scene(0, split, i) for i in range(NUM_CHECK)]
    predicted = judge_labels(judge, np.stack([render_image(s) for s in scenes]))
    scores = attribute_accuracy(predicted, step.stack_labels(scenes))
    assert {"num_objects", "shape", "colour", "size", "row", "col", "relation"} <= set(scores)
    assert min(scores.values()) >= 0.99, scores


def test_judge_reads_video_frames_and_motion(judge):
    report = step.judge_report(judge, num_examples=40, num_videos=40)
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


def test_judge_rejects_bad_input(judge):
    with pytest.raises(ValueError, match=r"\[B, H, W, 3\]"):
        judge_labels(judge, np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(TypeError, match="TrainedJudge"):
        judge_labels(judge.variables, np.zeros((4, 32, 32, 3), np.uint8))


def test_frames_are_a_pure_function_of_seed_split_and_index():
    config = dataclasses.replace(TINY, num_train_examples=400)
    frames, again = JudgeFrames(config, "train"), JudgeFrames(config, "train", num_examples=500)
    for i in (0, 7, 399):
        for key, value in frames[i].items():
            np.testing.assert_array_equal(value, again[i][key])
    other_seed = JudgeFrames(dataclasses.replace(config, data_seed=1), "train")
    assert not np.array_equal(frames[0]["image"], other_seed[0]["image"])
    batch = collate([frames[i] for i in range(400)])
    moving = ~batch["position_known"]
    assert 0.15 < moving.mean() < 0.35  # video_fraction 0.3, less the frames drawn at progress 1

    # held-out colour x shape pairs appear in train frames only when the config asks for them
    def heldout_pairs(source):
        items = [source[i] for i in range(len(source))]
        return sum((int(x["colour"][0]), int(x["shape"][0])) in A.HELDOUT_PAIR_IDS for x in items)

    assert heldout_pairs(frames) > 20
    assert heldout_pairs(JudgeFrames(dataclasses.replace(config, heldout_pairs_in_training=False), "train")) == 0


def test_masked_cross_entropy_matches_numpy():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(6, 2, 5)).astype(np.float32), rng.integers(0, 5, (6, 2))
    mask = (rng.random((6, 2)) < 0.6).astype(np.float32)
    labels[mask == 0] = A.ABSENT  # masked entries may be absent objects
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -np.take_along_axis(log_p, np.maximum(labels, 0)[..., None], -1)[..., 0]
    expected = (ce * mask).sum() / mask.sum()
    np.testing.assert_allclose(step.masked_cross_entropy(logits, labels, mask), expected, rtol=1e-5)


def test_training_step_lowers_the_loss_on_a_fixed_batch():
    config = dataclasses.replace(TINY, widths=(8, 16), feature_dim=32, learning_rate=1e-2, video_fraction=0.5)
    frames = JudgeFrames(config, "train")
    batch = collate([frames[i] for i in range(32)])
    optimizer = step.make_optimizer(config, 30)
    state = step.init(config, jax.random.key(0), optimizer)
    first = float(step.judge_loss(config, state, batch)[0])
    train_step = jax.jit(lambda s, b: step.train_step(s, b, jax.random.key(0), config, optimizer))
    for _ in range(30):
        state, metrics = train_step(state, batch)
    assert int(state["step"]) == 30
    assert float(metrics["loss"]) < 0.3 * first  # it fits 32 frames: the loss falls ~50x


def test_evaluate_returns_the_declared_keys():
    state = TASK.init_state(TINY, jax.random.key(0), 4)
    metrics = TASK.check_eval_metrics(TASK.evaluate(state, TINY))
    assert set(metrics) == set(TASK.eval_keys) and all(0.0 <= v <= 1.0 for v in metrics.values())


def test_export_writes_weights_feature_scale_and_accuracy_and_load_round_trips(tmp_path):
    state = TASK.init_state(TINY, jax.random.key(1), 4)
    path = tmp_path / "j.npz"
    judge_export.export(state, TINY, path, report_examples=40)
    loaded, config = load_judge(path)
    assert dataclasses.replace(config, feature_scale=1.0) == TINY and config.feature_scale > 0
    images = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    unscaled = TrainedJudge(TINY, {"params": state["params"], "state": state["state"]})
    np.testing.assert_allclose(judge_features(loaded, images), judge_features(unscaled, images) / config.feature_scale)
    # feature_scale is the feature RMS on the first training frames: scaled features there have RMS 1
    frames = JudgeFrames(TINY, "train", judge_export.FEATURE_SCALE_FRAMES)
    first = np.stack([frames[i]["image"] for i in range(judge_export.FEATURE_SCALE_FRAMES)])
    assert np.sqrt(np.mean(judge_features(loaded, first) ** 2)) == pytest.approx(1.0, rel=1e-4)
    accuracy = read_metadata(path)["extra"]["accuracy"]
    assert set(accuracy) == {"test/image", "test/video", "test_heldout/image", "test_heldout/video"}


def test_loading_a_missing_or_mismatched_checkpoint_says_what_is_wrong(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_judge(tmp_path / "missing.npz")
    monkeypatch.setenv("MMJAX_ARTIFACTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="mmjax train judge .* && mmjax export runs/judge"):
        load_judge()
    state = TASK.init_state(TINY, jax.random.key(1), 4)
    path = tmp_path / "j.npz"
    judge_export.export(state, TINY, path, report_examples=8)
    with np.load(path) as stored:
        arrays = {k: stored[k] for k in stored.files if k != "params/heads/bias"}
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ValueError, match=r"broken.npz.*missing params/heads/bias"):
        load_judge(tmp_path / "broken.npz")


def test_decode_labels_layout():
    blocks = split_logits(np.zeros((2, NUM_LOGITS), np.float32))
    blocks["num_objects"] = np.array([[5.0, 0.0], [0.0, 5.0]])  # one object, then two
    labels = decode_labels(blocks)
    np.testing.assert_array_equal(labels["num_objects"], [1, 2])
    assert labels["shape"][0, 1] == A.ABSENT and labels["relation"][0] == A.NO_RELATION
    assert labels["relation"][1] == A.RELATIONS.index("above")  # both argmax col 0: same column


def test_export_command_writes_the_judge_a_run_trained(tmp_path, capsys):
    from mmjax.cli import main
    from mmjax.train.config import TrainConfig
    from mmjax.train.loop import train

    result = train(TASK, TINY, TrainConfig(steps=2, run_dir=str(tmp_path / "run"), progress=False, log_every=1))
    out = tmp_path / "judge.npz"
    assert main(["export", str(tmp_path / "run"), "--out", str(out)]) == 0
    assert "exported judge at step 2" in capsys.readouterr().out
    loaded, config = load_judge(out)
    images = np.stack([render_image(sample_scene(0, "test", i)) for i in range(4)])
    trained = TrainedJudge(config, {"params": result.state["params"], "state": result.state["state"]})
    np.testing.assert_array_equal(judge_features(loaded, images), judge_features(trained, images))


def test_export_command_explains_a_task_without_export(tmp_path, capsys):
    from mmjax.cli import main
    from mmjax.train.config import TrainConfig
    from mmjax.train.loop import train
    from mmjax.train.toy.config import ToyConfig
    from mmjax.train.toy.task import TASK as TOY

    train(TOY, ToyConfig(num_train_examples=32), TrainConfig(steps=1, run_dir=str(tmp_path), progress=False))
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "task 'toy'" in err and "has no export" in err and not (tmp_path / "x.npz").exists()
    assert main(["export", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.npz")]) == 2
    assert "no checkpoints in" in capsys.readouterr().err
