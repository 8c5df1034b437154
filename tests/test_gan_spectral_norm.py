"""Spectral normalisation: the power-iteration estimate converges to the largest singular value."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mmjax.gan.spectral_norm import SNConv, SNLinear, as_matrix, power_iteration
from mmjax.nn import functional as F


@pytest.mark.parametrize("shape", [(16, 24), (3, 3, 8, 16), (4, 4, 32, 8)])
def test_power_iteration_converges_to_the_matrix_2_norm(shape):
    kernel = jax.random.normal(jax.random.key(0), shape)
    matrix = as_matrix(kernel)
    u = jax.random.normal(jax.random.key(1), (matrix.shape[0],))
    sigma, _ = jax.jit(power_iteration, static_argnums=2)(matrix, u, 100)
    np.testing.assert_allclose(sigma, jnp.linalg.norm(matrix, 2), rtol=1e-4)
    one_step, _ = power_iteration(matrix, u, num_iterations=1)
    assert one_step <= jnp.linalg.norm(matrix, 2) * (1 + 1e-5)  # u^T W v never exceeds sigma_max


def _called(module, x, times: int):
    """The module after ``times`` jitted calls on ``x``, each starting from the state the last one left."""
    graphdef, variables = F.split(module)
    call = jax.jit(lambda v: F.call(graphdef, v, x)[1])
    for _ in range(times):
        variables = call(variables)
    return F.merge(graphdef, variables)


def test_layers_become_1_lipschitz_as_u_persists_across_calls():
    x = jnp.ones((1, 12))
    layer = _called(SNLinear(12, 20, rngs=nnx.Rngs(0)), x, 60)  # one power iteration per call, u carried on
    kernel = layer.linear.kernel[...]
    sigma = jnp.linalg.norm(kernel, 2)
    w_sn = (layer(x, update_u=False) - layer.linear.bias[...]) / 1.0
    np.testing.assert_allclose(w_sn, x @ (kernel / sigma), rtol=1e-4, atol=1e-5)

    conv = _called(SNConv(3, 8, 3, strides=2, rngs=nnx.Rngs(1)), jnp.zeros((1, 8, 8, 3)), 60)
    sigma = jnp.linalg.norm(as_matrix(conv.conv.kernel[...]), 2)
    y = conv(jnp.ones((2, 8, 8, 3)), update_u=False)
    reference = nnx.Conv(3, 8, (3, 3), strides=2, rngs=nnx.Rngs(2))
    reference.kernel[...] = conv.conv.kernel[...] / sigma
    reference.bias[...] = conv.conv.bias[...]
    assert y.shape == (2, 4, 4, 8)
    np.testing.assert_allclose(y, reference(jnp.ones((2, 8, 8, 3))), rtol=1e-4, atol=1e-5)
