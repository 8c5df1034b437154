"""The two-player train step: D's update lowers D's loss, the step is deterministic, one train state per player."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmjax.gan import rounds, two_player
from mmjax.gan.dcgan import step as dcgan
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source as dcgan_source
from mmjax.gan.dcgan.data import model_batch
from mmjax.gan.dcgan.model import condition_from_labels
from mmjax.gan.gan2d import step as gan2d
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.gan.gan2d.data import make_source as gan2d_source
from mmjax.train.state import learning_rate

TINY_2D = Gan2dConfig(g_width=16, g_depth=2, d_width=8, d_depth=1, batch_size=16, num_train_examples=512)
TINY_DC = DCGANConfig(latent_dim=8, width=4, embed_dim=8, batch_size=4, num_train_examples=8)
STEPS = 4  # the run length the optimisers' schedules span


def _copy(tree):
    return jax.tree.map(jnp.array, tree)


def _real(config, num):
    return jnp.asarray(gan2d_source(config, "train").points[:num])


@pytest.mark.parametrize("config", [TINY_2D, dataclasses.replace(TINY_2D, pack=2, loss="hinge", d_steps=2)])
def test_discriminator_update_lowers_its_loss_on_a_fixed_batch(config):
    spec = gan2d.spec(config)
    optimizer = gan2d.make_optimizer(config, 100)  # early in a long run: the step size is near its peak
    state = gan2d.init(config, jax.random.key(0), optimizer)
    real = _real(config, config.batch_size * config.pack)
    key = jax.random.key(1)  # the same key gives the same fakes before and after the update
    d_opt = optimizer["discriminator"]
    game, batch = two_player.game(spec), {"x": real}
    loss = jax.jit(lambda s: rounds.discriminator_loss(game, s["discriminator"]["params"], s, batch, key)[0])
    update = jax.jit(lambda s: rounds.discriminator_update(game, s, batch, key, d_opt)[0])
    before = loss(state)
    for _ in range(3):
        state = update(state)
    after = loss(state)
    assert float(after) < float(before)
    assert int(state["discriminator"]["step"]) == 3 and int(state["generator"]["step"]) == 0


def test_step_is_deterministic_for_a_fixed_key_and_changes_with_the_key():
    optimizer = gan2d.make_optimizer(TINY_2D, STEPS)
    step = jax.jit(lambda s, b, k: gan2d.train_step(s, b, k, TINY_2D, optimizer))
    state = gan2d.init(TINY_2D, jax.random.key(0), optimizer)
    batch = {"x": _real(TINY_2D, 16)}
    a, metrics_a = step(_copy(state), batch, jax.random.key(5))
    b, metrics_b = step(_copy(state), batch, jax.random.key(5))
    c, _ = step(_copy(state), batch, jax.random.key(6))
    jax.tree.map(np.testing.assert_array_equal, a, b)
    assert set(metrics_a) == {
        "d_loss",
        "d_real",
        "d_fake",
        "g_loss",
        "d_grad_norm",
        "g_grad_norm",
        "grad_norm",
        "learning_rate",
    }
    assert set(a) == {"generator", "discriminator"}
    for player in ("generator", "discriminator"):
        assert set(a[player]) == {"params", "state", "opt_state", "step"}
        assert int(a[player]["step"]) == 1
    leaves_a, leaves_c = jax.tree.leaves(a["generator"]), jax.tree.leaves(c["generator"])
    assert any(not np.array_equal(x, y) for x, y in zip(leaves_a, leaves_c))


def test_d_steps_advance_the_discriminator_and_its_schedule_spans_its_own_updates():
    config = dataclasses.replace(TINY_2D, d_steps=2, end_learning_rate=1e-4)
    optimizer = gan2d.make_optimizer(config, 2)
    step = jax.jit(lambda s, b, k: gan2d.train_step(s, b, k, config, optimizer))
    state = gan2d.init(config, jax.random.key(0), optimizer)
    batch = {"x": _real(config, 16)}
    for index in range(2):
        state, _ = step(state, batch, jax.random.key(index))
    assert int(state["generator"]["step"]) == 2 and int(state["discriminator"]["step"]) == 4
    for player in ("generator", "discriminator"):  # both reach the end of their schedules at the run's end
        np.testing.assert_allclose(learning_rate(state[player]["opt_state"]), 1e-4, rtol=1e-6)


def test_steps_scanned_in_one_call_equal_the_same_steps_taken_one_by_one_bit_for_bit():
    optimizer = gan2d.make_optimizer(TINY_2D, STEPS)
    points = _real(TINY_2D, TINY_2D.num_train_examples)
    state = gan2d.init(TINY_2D, jax.random.key(0), optimizer)
    key = jax.random.key(7)

    def steps(num):
        return jax.jit(lambda s, first: gan2d.train_steps(TINY_2D, optimizer, points, s, key, first, num))

    scanned = steps(STEPS)(_copy(state), 0)
    halves = steps(STEPS // 2)(steps(STEPS // 2)(_copy(state), 0), STEPS // 2)
    # the reference: the task's own train_step, one jitted call per step, on batches drawn here
    one_step = jax.jit(lambda s, b, k: gan2d.train_step(s, b, k, TINY_2D, optimizer)[0])
    by_hand = _copy(state)
    for t in range(STEPS):
        key_batch, key_step = jax.random.split(jax.random.fold_in(key, t))
        indices = jax.random.randint(key_batch, (TINY_2D.batch_size,), 0, TINY_2D.num_train_examples)
        by_hand = one_step(by_hand, {"x": points[indices]}, key_step)
    jax.tree.map(np.testing.assert_array_equal, scanned, by_hand)
    jax.tree.map(np.testing.assert_array_equal, halves, by_hand)
    assert int(scanned["generator"]["step"]) == STEPS
    assert not np.array_equal(
        scanned["generator"]["params"]["out"]["kernel"], state["generator"]["params"]["out"]["kernel"]
    )


def test_seeds_trained_in_turn_or_in_parallel_give_the_same_per_seed_metrics_and_curve():
    seen = []
    result = gan2d.train_and_evaluate_seeds(
        TINY_2D, [0, 1], num_steps=STEPS, eval_every=STEPS // 2, on_eval=lambda step, m: seen.append(step)
    )
    assert result["modes"].shape == (2,) and result["high_quality"].shape == (2,)
    assert result["samples"].shape == (2, 500, 2)
    assert not np.array_equal(result["samples"][0], result["samples"][1])
    assert seen == [2, 4] and result["curve"]["step"].tolist() == [2, 4]
    assert result["curve"]["high_quality"].shape == (2, 2)
    np.testing.assert_array_equal(result["curve"]["high_quality"][-1], result["high_quality"])
    parallel = gan2d.train_and_evaluate_seeds(TINY_2D, [0, 1], num_steps=STEPS, parallel_seeds=2)
    # a batched matmul may sum in another order than two single ones: equal up to rounding
    np.testing.assert_allclose(parallel["samples"], result["samples"], rtol=1e-4, atol=1e-5)
    alone = gan2d.train_and_evaluate_seeds(TINY_2D, [1], num_steps=STEPS)
    np.testing.assert_array_equal(alone["samples"][0], result["samples"][1])
    with pytest.raises(ValueError, match="multiple of eval_every"):
        gan2d.train_and_evaluate_seeds(TINY_2D, [0], num_steps=STEPS, eval_every=3)
    with pytest.raises(ValueError, match="at least one seed"):
        gan2d.train_and_evaluate_seeds(TINY_2D, [], num_steps=STEPS)


def test_dcgan_donated_step_updates_spectral_state_and_bad_settings_are_clear_errors():
    from mmjax.data.loader import Loader

    config = dataclasses.replace(TINY_DC, image_size=16, loss="non_saturating", matching_aware=True)
    batch = next(Loader(dcgan_source(config), config.batch_size))
    optimizer = dcgan.make_optimizer(config, STEPS)
    state = dcgan.init(config, jax.random.key(0), optimizer)
    u_before = np.array(jax.tree.leaves(state["discriminator"]["state"])[0])
    step = jax.jit(lambda s, b, k: dcgan.train_step(s, b, k, config, optimizer), donate_argnums=0)
    state, metrics = step(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["d_loss"])) and np.isfinite(float(metrics["g_loss"]))
    assert not np.array_equal(u_before, jax.tree.leaves(state["discriminator"]["state"])[0])
    images = dcgan.generate(config, state, condition_from_labels(batch), jax.random.key(2))
    assert images.shape == (4, 16, 16, 3) and images.dtype == np.uint8

    packed = dataclasses.replace(dcgan.spec(config), pack=2)
    with pytest.raises(ValueError, match="packing is only implemented for unconditional"):
        two_player.train_step(packed, state, model_batch(batch), jax.random.key(3), optimizer)
    with pytest.raises(ValueError, match="matching_aware needs"):
        dcgan.spec(dataclasses.replace(config, loss="hinge"))
    with pytest.raises(ValueError, match="unknown GAN loss"):
        gan2d.spec(dataclasses.replace(TINY_2D, loss="nope"))
