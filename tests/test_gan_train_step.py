"""The two-player train step: D's update lowers D's loss, the step is deterministic, tasks plug into the loop."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmjax.gan import gan2d, shapes_gan
from mmjax.gan.config import DCGANConfig, Gan2dConfig
from mmjax.gan.train_step import discriminator_loss, discriminator_update, make_train_step

TINY_2D = Gan2dConfig(g_width=16, g_depth=2, d_width=8, d_depth=1, batch_size=16, num_train_samples=512, num_steps=4)
TINY_DC = DCGANConfig(latent_dim=8, width=4, embed_dim=8, batch_size=4, num_train_examples=8)


def _copy(tree):
    return jax.tree.map(jnp.array, tree)


@pytest.mark.parametrize("config", [TINY_2D, dataclasses.replace(TINY_2D, pack=2, loss="hinge", d_steps=2)])
def test_discriminator_update_lowers_its_loss_on_a_fixed_batch(config):
    spec = gan2d.build_spec(config)
    state = gan2d.init(config, jax.random.key(0))
    real = gan2d.training_points(config)[: config.batch_size * config.pack]
    key = jax.random.key(1)  # the same key gives the same fakes before and after the update
    loss = jax.jit(lambda s: discriminator_loss(spec, s["discriminator"]["params"], s, real, None, key)[0])
    update = jax.jit(lambda s: discriminator_update(spec, s, real, None, key)[0])
    before = loss(state)
    for _ in range(3):
        state = update(state)
    after = loss(state)
    assert float(after) < float(before)


def test_step_is_deterministic_for_a_fixed_key_and_changes_with_the_key():
    step = jax.jit(make_train_step(gan2d.build_spec(TINY_2D)))
    state = gan2d.init(TINY_2D, jax.random.key(0))
    batch = {"x": gan2d.training_points(TINY_2D)[:16]}
    a, metrics_a = step(_copy(state), batch, jax.random.key(5))
    b, metrics_b = step(_copy(state), batch, jax.random.key(5))
    c, _ = step(_copy(state), batch, jax.random.key(6))
    jax.tree.map(np.testing.assert_array_equal, a, b)
    assert set(metrics_a) == {"d_loss", "d_real", "d_fake", "g_loss"}
    assert int(a["step"]) == 1
    leaves_a, leaves_c = jax.tree.leaves(a["generator"]), jax.tree.leaves(c["generator"])
    assert any(not np.array_equal(x, y) for x, y in zip(leaves_a, leaves_c))


def test_scanned_training_over_vmapped_seeds_gives_per_seed_metrics():
    result = gan2d.train_and_evaluate_seeds(TINY_2D, [0, 1])
    assert result["modes"].shape == (2,) and result["high_quality"].shape == (2,)
    assert result["samples"].shape == (2, 500, 2)
    assert not np.array_equal(result["samples"][0], result["samples"][1])


def test_dcgan_donated_step_updates_spectral_state_and_bad_settings_are_clear_errors():
    from mmjax.data.loader import Loader

    config = dataclasses.replace(TINY_DC, image_size=16, loss="non_saturating", matching_aware=True)
    batch = next(Loader(shapes_gan.make_source(config), config.batch_size))
    state = shapes_gan.init(config, jax.random.key(0))
    u_before = np.array(jax.tree.leaves(state["discriminator"]["state"])[0])
    step = jax.jit(shapes_gan.make_task_train_step(config), donate_argnums=0)
    state, metrics = step(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["d_loss"])) and np.isfinite(float(metrics["g_loss"]))
    assert not np.array_equal(u_before, jax.tree.leaves(state["discriminator"]["state"])[0])
    images = shapes_gan.generate_images(config, state, jax.random.key(2), batch)
    assert images.shape == (4, 16, 16, 3) and images.dtype == np.uint8

    packed = make_train_step(dataclasses.replace(shapes_gan.build_spec(config), pack=2))
    with pytest.raises(ValueError, match="packing is only implemented for unconditional"):
        packed(state, shapes_gan.model_batch(batch), jax.random.key(3))
    with pytest.raises(ValueError, match="matching_aware needs"):
        shapes_gan.build_spec(dataclasses.replace(config, loss="hinge"))
    with pytest.raises(ValueError, match="unknown GAN loss"):
        gan2d.build_spec(dataclasses.replace(TINY_2D, loss="nope"))


def test_tasks_follow_the_training_contract():
    from mmjax.gan.task import TASKS

    task = TASKS["gan2d"]
    config = TINY_2D
    state = task.init(config, jax.random.key(0))
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(state))
    source = task.make_source(config, "train")
    batch = {"x": np.stack([source[i]["x"] for i in range(task.batch_size(config))])}
    state, metrics = jax.jit(lambda s, b, k: task.train_step(s, b, k, config=config))(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["d_loss"]))
    evaluation = task.evaluate(state, config)
    assert set(evaluation) == {"modes", "high_quality"}
    assert TASKS["dcgan"].batch_size(TINY_DC) == 4
