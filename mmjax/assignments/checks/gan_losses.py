"""Graded tests of the ``gan_losses`` assignment: the losses against optax's binary cross-entropy and
closed forms, the gradient penalty against critics whose gradients are known exactly.

Discriminators return logits s: D(x) = sigmoid(s), and every loss is the quantity its player minimises.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from mmjax.assignments.testing import close, graded

RNG = np.random.default_rng(0)
REAL = jnp.asarray(RNG.normal(1.0, 2.0, size=16), jnp.float32)
FAKE = jnp.asarray(RNG.normal(-1.0, 2.0, size=16), jnp.float32)
EXTREME = jnp.array([-100.0, 100.0, -30.0, 30.0])  # log(sigmoid(s)) underflows here; softplus does not


def _bce(logits, label):
    return np.asarray(jnp.mean(optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, label))))


@graded(points=2)
def test_minimax_discriminator_loss(student):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: cross-entropy with label 1 for real and 0 for fake, stable."""
    losses = student.losses
    close(losses.minimax_discriminator_loss(REAL, FAKE), _bce(REAL, 1) + _bce(FAKE, 0), "D loss", 1e-5)
    close(losses.minimax_discriminator_loss(EXTREME, EXTREME), 2 * _bce(EXTREME, 0.5), "D loss, large logits", 1e-3)


@graded(points=1)
def test_minimax_generator_loss(student):
    """The saturating loss E[log(1 - D(G(z)))] = minus the cross-entropy of the fakes with label 0."""
    close(student.losses.minimax_generator_loss(FAKE), -_bce(FAKE, 0), "saturating G loss", 1e-5)
    close(student.losses.minimax_generator_loss(EXTREME), -_bce(EXTREME, 0), "saturating G loss, large logits", 1e-3)


@graded(points=2)
def test_non_saturating_generator_loss(student):
    """-E[log D(G(z))]: the cross-entropy of the fakes with label 1, steep where D rejects them."""
    close(student.losses.non_saturating_generator_loss(FAKE), _bce(FAKE, 1), "non-saturating G loss", 1e-5)
    slope = jax.grad(student.losses.non_saturating_generator_loss)(jnp.array([-8.0]))
    close(slope, np.array([-1.0 / (1.0 + np.exp(-8.0))]), "slope at s_fake = -8 (D rejects the fake)", 1e-4)


@graded(points=1)
def test_hinge_losses(student):
    """D: E[max(0, 1 - s_real)] + E[max(0, 1 + s_fake)];  G: -E[s_fake]."""
    real, fake = np.asarray(REAL), np.asarray(FAKE)
    expected = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
    close(student.losses.hinge_discriminator_loss(REAL, FAKE), expected, "hinge D loss", 1e-5)
    close(student.losses.hinge_generator_loss(FAKE), -fake.mean(), "hinge G loss", 1e-5)


@graded(points=2, timeout=60)
def test_gradient_penalty_of_known_critics(student):
    """(||grad f(x_hat)||_2 - 1)^2 averaged over examples, for critics with known gradients."""
    w = jnp.array([[1.2, -1.6], [0.0, 0.0]])  # f(x) = sum(x * w): gradient w everywhere, norm 2, penalty 1
    real = jnp.asarray(RNG.normal(size=(5, 2, 2)), jnp.float32)
    fake = jnp.asarray(RNG.normal(size=(5, 2, 2)), jnp.float32)
    linear = student.losses.gradient_penalty(lambda x: jnp.sum(x * w, axis=(1, 2)), real, fake, jax.random.key(0))
    close(linear, 1.0, "penalty of a linear critic with gradient norm 2", 1e-4)
    # f(x) = ||x||^2 / 2 has gradient x; with real == fake every interpolate is real itself
    half_square = lambda x: 0.5 * jnp.sum(x**2, axis=(1, 2))  # noqa: E731
    norms = np.sqrt((np.asarray(real) ** 2).sum(axis=(1, 2)))
    penalty = student.losses.gradient_penalty(half_square, real, real, jax.random.key(1))
    close(penalty, np.mean((norms - 1) ** 2), "penalty of ||x||^2 / 2 (one norm per example)", 1e-4)


@graded(points=2, timeout=60)
def test_gradient_penalty_on_interpolates(student):
    """x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per example: for f = ||x||^2 / 2, real = 2 e_1 and fake
    = 0, the penalty is the mean of (2 eps - 1)^2 over 4096 examples, whose expectation is 1/3."""
    real = jnp.zeros((4096, 3)).at[:, 0].set(2.0)
    half_square = lambda x: 0.5 * jnp.sum(x**2, axis=1)  # noqa: E731
    for seed in (2, 3):
        penalty = float(student.losses.gradient_penalty(half_square, real, jnp.zeros_like(real), jax.random.key(seed)))
        if not abs(penalty - 1 / 3) < 0.03:
            raise AssertionError(
                f"penalty {penalty:.3f} with key {seed}, expected about 1/3: the norm must be taken at random "
                "interpolates between real and fake, with one eps per example"
            )
