"""GAN losses against hand-computed values, optax's cross-entropy, and closed-form penalties."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from mmjax.gan import losses

LOG3 = math.log(3.0)
REAL = jnp.array([0.0, LOG3])  # D(x) = 0.5, 0.75
FAKE = jnp.array([0.0, -LOG3])  # D(G(z)) = 0.5, 0.25


def test_minimax_discriminator_loss_by_hand():
    # -1/2 (log .5 + log .75) - 1/2 (log(1 - .5) + log(1 - .25)) = -(log .5 + log .75)
    expected = -(math.log(0.5) + math.log(0.75))
    assert losses.minimax_discriminator_loss(REAL, FAKE) == pytest.approx(expected, rel=1e-6)


def test_generator_losses_by_hand():
    # saturating: E[log(1 - D)] = 1/2 (log .5 + log .75); non-saturating: -E[log D] = -1/2 (log .5 + log .25)
    assert losses.minimax_generator_loss(FAKE) == pytest.approx(0.5 * (math.log(0.5) + math.log(0.75)), rel=1e-6)
    assert losses.non_saturating_generator_loss(FAKE) == pytest.approx(
        -0.5 * (math.log(0.5) + math.log(0.25)), rel=1e-6
    )


def test_cross_entropy_losses_equal_optax_sigmoid_binary_cross_entropy():
    real, fake = jax.random.normal(jax.random.key(0), (2, 64)) * 3
    bce = optax.sigmoid_binary_cross_entropy
    d_expected = jnp.mean(bce(real, jnp.ones_like(real))) + jnp.mean(bce(fake, jnp.zeros_like(fake)))
    np.testing.assert_allclose(losses.minimax_discriminator_loss(real, fake), d_expected, rtol=1e-5)
    np.testing.assert_allclose(
        losses.non_saturating_generator_loss(fake), jnp.mean(bce(fake, jnp.ones_like(fake))), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.minimax_generator_loss(fake), -jnp.mean(bce(fake, jnp.zeros_like(fake))), rtol=1e-5
    )


def test_hinge_least_squares_wasserstein_by_hand():
    real, fake = jnp.array([0.5, 2.0]), jnp.array([-2.0, 0.5])
    # relu(1 - r) = [.5, 0]; relu(1 + f) = [0, 1.5]
    assert losses.hinge_discriminator_loss(real, fake) == pytest.approx(0.25 + 0.75)
    assert losses.hinge_generator_loss(fake) == pytest.approx(0.75)
    real, fake = jnp.array([1.0, 3.0]), jnp.array([0.0, 2.0])
    assert losses.least_squares_discriminator_loss(real, fake) == pytest.approx(0.5 * 2 + 0.5 * 2)
    assert losses.least_squares_generator_loss(fake) == pytest.approx(0.5 * 1.0)
    assert losses.wasserstein_critic_loss(real, fake) == pytest.approx(1.0 - 2.0)
    assert losses.wasserstein_generator_loss(fake) == pytest.approx(-1.0)


def test_matching_aware_loss_by_hand():
    # -log D(x,h) - 1/2 [log(1 - D(x, h_wrong)) + log(1 - D(G(z), h))] with D = .75, .25, .5
    expected = -math.log(0.75) - 0.5 * (math.log(0.75) + math.log(0.5))
    value = losses.matching_aware_discriminator_loss(jnp.array([LOG3]), jnp.array([-LOG3]), jnp.array([0.0]))
    assert value == pytest.approx(expected, rel=1e-6)


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    rejected = jnp.array([-10.0])  # D is sure the fake is fake: D(G(z)) ~ 4.5e-5
    saturating = jax.grad(losses.minimax_generator_loss)(rejected)[0]
    non_saturating = jax.grad(losses.non_saturating_generator_loss)(rejected)[0]
    # d/ds of -softplus(s) = -sigmoid(s); of softplus(-s) = -sigmoid(-s)
    assert abs(saturating) < 1e-4 and non_saturating < -0.99


def test_gradient_penalty_of_a_linear_critic_in_closed_form():
    w = jnp.array([3.0, 4.0])  # grad f = w everywhere, ||w|| = 5
    real, fake = jax.random.normal(jax.random.key(1), (2, 16, 2))
    value = losses.gradient_penalty(lambda x: x @ w, real, fake, jax.random.key(2))
    assert value == pytest.approx((5.0 - 1.0) ** 2, rel=1e-5)
    assert losses.r1_penalty(lambda x: x @ w, real) == pytest.approx(25.0, rel=1e-5)


def test_gradient_penalty_is_taken_on_interpolates():
    # f(x) = ||x||^2 / 2 has grad x, so the penalty reveals where the gradient was evaluated.
    real, fake = jax.random.normal(jax.random.key(3), (2, 32, 3))
    key = jax.random.key(4)
    eps = jax.random.uniform(key, (32, 1))
    interpolates = eps * real + (1 - eps) * fake
    expected = jnp.mean((jnp.linalg.norm(interpolates, axis=1) - 1.0) ** 2)
    value = losses.gradient_penalty(lambda x: 0.5 * jnp.sum(x**2, axis=1), real, fake, key)
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    at_real = jnp.mean((jnp.linalg.norm(real, axis=1) - 1.0) ** 2)
    assert abs(float(value - at_real)) > 1e-3


def test_source_text_objective_rewards_d_for_calling_fakes_real():
    # The correct D loss rises when D calls fakes real; the source text's D "loss" falls.
    fake_called_fake, fake_called_real = jnp.array([-3.0]), jnp.array([3.0])
    real = jnp.array([3.0])
    assert losses.minimax_discriminator_loss(real, fake_called_real) > losses.minimax_discriminator_loss(
        real, fake_called_fake
    )
    assert losses.source_text_discriminator_loss(real, fake_called_real) < losses.source_text_discriminator_loss(
        real, fake_called_fake
    )


def test_unknown_loss_name_is_a_clear_error():
    with pytest.raises(ValueError, match="expected one of"):
        losses.get_losses("wgan")
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(lambda x: x.sum(1), jnp.ones((2, 2)), jnp.ones((3, 2)), jax.random.key(0))
