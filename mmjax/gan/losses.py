"""GAN losses as small pure functions of discriminator outputs.

Every discriminator here returns *logits* ``s = logit D(x)`` (D(x) = sigmoid(s)), never probabilities:
``log D = -softplus(-s)`` and ``log(1 - D) = -softplus(s)`` are then exact and stable where
``log(sigmoid(s))`` would underflow. Every function returns a scalar that its player *minimises*.

The value function of Goodfellow et al. (2014, eq. 1) is

    min_G max_D V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))].

Note: the generator is fed noise z, never data x, and both terms carry logarithms.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def minimax_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """-V(D, G) = -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-s_real)] + E[softplus(s_fake)].

    Equal to the binary cross-entropy with label 1 for real and 0 for fake samples.
    """
    # BEGIN SOLUTION
    return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))
    # END SOLUTION


def minimax_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """The *saturating* generator loss, the literal minimax: E[log(1 - D(G(z)))] = -E[softplus(s_fake)].

    Its gradient vanishes when D confidently rejects fakes (s_fake << 0), i.e. early in training.
    """
    # BEGIN SOLUTION
    return -jnp.mean(jax.nn.softplus(fake_logits))
    # END SOLUTION


def non_saturating_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """The non-saturating generator loss of Goodfellow et al. (2014, sec. 3): -E[log D(G(z))] = E[softplus(-s_fake)].

    Same fixed point as the minimax loss, but strong gradients exactly when D rejects the fakes.
    """
    # BEGIN SOLUTION
    return jnp.mean(jax.nn.softplus(-fake_logits))
    # END SOLUTION


def hinge_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): E[max(0, 1 - s_real)] + E[max(0, 1 + s_fake)]."""
    # BEGIN SOLUTION
    return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))
    # END SOLUTION


def hinge_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """Generator side of the hinge game: -E[s_fake]."""
    # BEGIN SOLUTION
    return -jnp.mean(fake_logits)
    # END SOLUTION


def least_squares_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """LSGAN (Mao et al. 2017, a=0, b=c=1): 1/2 E[(s_real - 1)^2] + 1/2 E[s_fake^2]."""
    return 0.5 * jnp.mean((real_logits - 1.0) ** 2) + 0.5 * jnp.mean(fake_logits**2)


def least_squares_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """LSGAN generator: 1/2 E[(s_fake - 1)^2]."""
    return 0.5 * jnp.mean((fake_logits - 1.0) ** 2)


def wasserstein_critic_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """WGAN critic (Arjovsky et al. 2017): E[f(G(z))] - E[f(x)] (add a Lipschitz constraint, e.g. the GP)."""
    return jnp.mean(fake_logits) - jnp.mean(real_logits)


def wasserstein_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """WGAN generator: -E[f(G(z))]."""
    return -jnp.mean(fake_logits)


def _per_example_gradient_norms(critic: Callable[[jax.Array], jax.Array], x: jax.Array) -> jax.Array:
    """||grad_x f(x_i)||_2 for every example; ``critic`` maps [B, ...] to [B] and treats examples independently."""
    # BEGIN SOLUTION
    grads = jax.grad(lambda inputs: jnp.sum(critic(inputs)))(x)  # [B, ...]
    return jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1) + 1e-12)  # [B]
    # END SOLUTION


def gradient_penalty(
    critic: Callable[[jax.Array], jax.Array], real: jax.Array, fake: jax.Array, key: jax.Array
) -> jax.Array:
    """WGAN-GP (Gulrajani et al. 2017, eq. 3): E_{x_hat}[(||grad f(x_hat)||_2 - 1)^2],

    x_hat = eps * x + (1 - eps) * G(z),  eps ~ U[0, 1] per example: the norm is taken on *interpolates*.
    The summed-over-batch gradient equals the per-example gradients because examples are independent.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {real.shape} and {fake.shape}")
    # BEGIN SOLUTION
    eps = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
    interpolates = eps * real + (1.0 - eps) * fake
    return jnp.mean((_per_example_gradient_norms(critic, interpolates) - 1.0) ** 2)
    # END SOLUTION


def r1_penalty(critic: Callable[[jax.Array], jax.Array], real: jax.Array) -> jax.Array:
    """R1 (Mescheder et al. 2018, eq. 9) without its weight: E_{x~p_data}[||grad_x D(x)||^2].

    The discriminator's loss adds gamma / 2 times it.
    """
    grads = jax.grad(lambda inputs: jnp.sum(critic(inputs)))(real)
    return jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1))


def matching_aware_discriminator_loss(
    real_logits: jax.Array, mismatched_logits: jax.Array, fake_logits: jax.Array
) -> jax.Array:
    """GAN-INT-CLS (Reed et al. 2016, Alg. 1): a real image with the *wrong* text also counts as fake,

    L_D = -log D(x, h) - 1/2 [log(1 - D(x, h_wrong)) + log(1 - D(G(z, h), h))]
        = E[softplus(-s_real)] + 1/2 (E[softplus(s_mismatched)] + E[softplus(s_fake)]).
    """
    return jnp.mean(jax.nn.softplus(-real_logits)) + 0.5 * (
        jnp.mean(jax.nn.softplus(mismatched_logits)) + jnp.mean(jax.nn.softplus(fake_logits))
    )


def source_text_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """WRONG on purpose, kept to show what goes wrong. The source text's section 4.1 has D maximise

        E[D(x)] + E[D(G(x))]

    (no logarithms, a + where V has log(1 - D(.)), and data x fed to G). Minimising its negative,
    D is rewarded for calling *fakes* real too, so nothing makes it separate the two distributions.
    """
    return -(jnp.mean(jax.nn.sigmoid(real_logits)) + jnp.mean(jax.nn.sigmoid(fake_logits)))


def source_text_generator_loss(fake_logits: jax.Array) -> jax.Array:
    """WRONG on purpose: the source text has G minimise E[D(G(.))], i.e. make its samples look *fake*."""
    return jnp.mean(jax.nn.sigmoid(fake_logits))


# name -> (discriminator loss, generator loss); the train step looks losses up here.
LOSSES: dict[str, tuple[Callable[..., jax.Array], Callable[[jax.Array], jax.Array]]] = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (minimax_discriminator_loss, non_saturating_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss),
    "source_text": (source_text_discriminator_loss, source_text_generator_loss),
}


def get_losses(name: str) -> tuple[Callable[..., jax.Array], Callable[[jax.Array], jax.Array]]:
    """The (discriminator, generator) loss pair called ``name``; a ValueError lists the accepted names."""
    if name not in LOSSES:
        raise ValueError(f"unknown GAN loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name]
