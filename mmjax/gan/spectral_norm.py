"""Spectral normalisation from scratch (Miyato et al. 2018): divide a weight by its largest singular value.

sigma(W) = max_{||v||=1} ||W v||, estimated by power iteration with a persistent vector u:

    v <- W^T u / ||W^T u||,   u <- W v / ||W v||,   sigma ~= u^T W v.

One iteration per training step suffices because W changes slowly, so u stays close to the top left
singular vector from step to step. u and v are constants for the gradient (as in the paper).
A convolution kernel [kh, kw, c_in, c_out] is treated as the matrix [c_out, kh * kw * c_in].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


class SpectralState(nnx.Variable):
    """The power-iteration vector u: state carried between steps, not a trainable parameter."""


def _l2_normalise(x: jax.Array, eps: float = 1e-12) -> jax.Array:
    return x / (jnp.linalg.norm(x) + eps)


def as_matrix(kernel: jax.Array) -> jax.Array:
    """A dense [in, out] or conv [..., in, out] kernel as the [out, fan_in] matrix whose norm we bound."""
    return kernel.reshape(-1, kernel.shape[-1]).T  # [out, fan_in]


def power_iteration(matrix: jax.Array, u: jax.Array, num_iterations: int = 1) -> tuple[jax.Array, jax.Array]:
    """Refine the top left singular vector ``u`` [out] of ``matrix`` [out, in]; return (sigma, u)."""

    # BEGIN SOLUTION
    def iteration(_, u):
        v = _l2_normalise(matrix.T @ u)  # [in]
        return _l2_normalise(matrix @ v)  # [out]

    u = jax.lax.stop_gradient(jax.lax.fori_loop(0, num_iterations, iteration, u))
    v = jax.lax.stop_gradient(_l2_normalise(matrix.T @ u))
    sigma = u @ matrix @ v
    return sigma, u
    # END SOLUTION


def spectral_normalise(kernel: jax.Array, u: jax.Array, num_iterations: int = 1) -> tuple[jax.Array, jax.Array]:
    """W_SN = W / sigma(W) (eq. 8 of Miyato et al.); returns the normalised kernel and the updated u."""
    # BEGIN SOLUTION
    sigma, u = power_iteration(as_matrix(kernel), u, num_iterations)
    return kernel / sigma, u
    # END SOLUTION


class SNLinear(nnx.Module):
    """A dense layer whose kernel is spectrally normalised on every call (u is updated when ``update_u``)."""

    def __init__(self, in_features: int, out_features: int, *, rngs: nnx.Rngs, num_iterations: int = 1):
        self.linear = nnx.Linear(in_features, out_features, rngs=rngs)
        self.u = SpectralState(_l2_normalise(jax.random.normal(rngs.params(), (out_features,))))
        self.num_iterations = num_iterations

    def __call__(self, x: jax.Array, update_u: bool = True) -> jax.Array:
        kernel, u = spectral_normalise(self.linear.kernel[...], self.u[...], self.num_iterations)
        if update_u:
            self.u[...] = u
        return x @ kernel + self.linear.bias[...]


class SNConv(nnx.Module):
    """A 2-D convolution (NHWC, 'SAME' padding) with a spectrally normalised kernel."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int,
        *,
        strides: int = 1,
        rngs: nnx.Rngs,
        num_iterations: int = 1,
    ):
        self.conv = nnx.Conv(in_features, out_features, (kernel_size, kernel_size), strides=strides, rngs=rngs)
        self.u = SpectralState(_l2_normalise(jax.random.normal(rngs.params(), (out_features,))))
        self.num_iterations = num_iterations
        self.strides = strides

    def __call__(self, x: jax.Array, update_u: bool = True) -> jax.Array:
        kernel, u = spectral_normalise(self.conv.kernel[...], self.u[...], self.num_iterations)
        if update_u:
            self.u[...] = u
        y = jax.lax.conv_general_dilated(
            x, kernel, (self.strides, self.strides), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return y + self.conv.bias[...]
