"""The GAN tasks of the shared loop: the task contract, and ``mmjax train gan2d --steps N`` annealing its
learning rate to the configured end value exactly at step N, whatever N is."""

import jax
import numpy as np
import pytest

from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.task import TASK as DCGAN
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.gan.gan2d.task import TASK as GAN2D
from mmjax.train.metrics_log import read_metrics
from mmjax.train.registry import get_task
from mmjax.train.restore import load_run
from mmjax.train.state import learning_rate

TINY_2D = Gan2dConfig(g_width=16, g_depth=2, d_width=8, d_depth=1, batch_size=16, num_train_examples=512)
TINY_DC = DCGANConfig(latent_dim=8, width=4, embed_dim=8, batch_size=4, num_train_examples=8)
TINY_2D_FLAGS = [
    "--g_width",
    "16",
    "--g_depth",
    "2",
    "--d_width",
    "8",
    "--d_depth",
    "1",
    "--batch_size",
    "16",
    "--num_train_examples",
    "512",
]


def test_registry_finds_the_gan_tasks():
    assert get_task("gan2d") is GAN2D and get_task("dcgan") is DCGAN


def test_tasks_follow_the_training_contract():
    config = TINY_2D
    state = GAN2D.init_state(config, jax.random.key(0), 4)
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(state))
    source = GAN2D.make_source(config, "train")
    batch = {"x": np.stack([source[i]["x"] for i in range(GAN2D.batch_size(config))])}
    state, metrics = jax.jit(GAN2D.bound_train_step(config, 4))(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["d_loss"])) and np.isfinite(float(metrics["grad_norm"]))
    evaluation = GAN2D.check_eval_metrics(GAN2D.evaluate(state, config))
    assert set(evaluation) == set(GAN2D.eval_keys) == {"modes", "high_quality"}
    assert DCGAN.batch_size(TINY_DC) == 4
    assert not np.array_equal(GAN2D.make_source(config, "train").points, GAN2D.make_source(config, "test").points)
    with pytest.raises(ValueError, match="'train' and 'test'"):
        GAN2D.make_source(config, "validation")


@pytest.mark.parametrize("steps", [5, 8])
def test_mmjax_train_gan2d_anneals_the_learning_rate_to_its_end_value_at_the_last_step(tmp_path, steps):
    from mmjax.cli import main

    peak, end = 2e-3, 3e-4
    run_dir = tmp_path / f"gan2d_{steps}"
    args = [
        "train",
        "gan2d",
        "--steps",
        str(steps),
        "--run-dir",
        str(run_dir),
        "--no-progress",
        "--log-every",
        "1",
        "--eval-every",
        "-1",
        "--sample-every",
        "-1",
        "--no-async-checkpoints",
        "--no-compile-cache",
        "--learning_rate",
        str(peak),
        "--end_learning_rate",
        str(end),
        *TINY_2D_FLAGS,
    ]
    assert main(args) == 0

    task, config, state, step = load_run(run_dir)
    assert task is GAN2D and step == steps and config.end_learning_rate == end
    for player in ("generator", "discriminator"):
        np.testing.assert_allclose(learning_rate(state[player]["opt_state"]), end, rtol=1e-6)
    # the schedule starts at its peak and passes through it in between, so the end value is not a constant
    rates = [record["learning_rate"] for record in read_metrics(run_dir / "metrics.jsonl")]
    assert len(rates) == steps
    np.testing.assert_allclose([rates[0], rates[-1]], [peak, end], rtol=1e-6)
    assert all(a > b for a, b in zip(rates, rates[1:]))
