"""Graded tests of the ``spectral_norm`` assignment, against NumPy's singular value decomposition."""

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.assignments.testing import close, graded

RNG = np.random.default_rng(0)
MATRIX = RNG.normal(size=(6, 10)).astype(np.float32)  # [out, in]
U0 = RNG.normal(size=6).astype(np.float32)
U0 /= np.linalg.norm(U0)


@graded(points=2, timeout=60)
def test_power_iteration_converges_to_the_top_singular_value(student):
    """After many iterations sigma is the largest singular value and u the top left singular vector (up to sign)."""
    sigma, u = student.spectral_norm.power_iteration(jnp.asarray(MATRIX), jnp.asarray(U0), 100)
    left, singular, _ = np.linalg.svd(MATRIX)
    close(sigma, singular[0], "sigma after 100 iterations", 1e-3, 1e-4)
    u = np.asarray(u)
    close(u * np.sign(u @ left[:, 0]), left[:, 0], "u after 100 iterations", 1e-3)


@graded(points=1, timeout=60)
def test_one_iteration_is_a_lower_bound(student):
    """With one iteration, u is a unit vector and sigma = u^T W v <= sigma_max for unit u, v."""
    sigma, u = student.spectral_norm.power_iteration(jnp.asarray(MATRIX), jnp.asarray(U0), 1)
    close(np.linalg.norm(np.asarray(u)), 1.0, "||u||", 1e-4)
    top = np.linalg.svd(MATRIX, compute_uv=False)[0]
    if not 0 < float(sigma) <= top * (1 + 1e-5):
        raise AssertionError(f"sigma = {float(sigma):.4f} after one iteration, expected in (0, {top:.4f}]")


@graded(points=2, timeout=60)
def test_gradient_treats_u_and_v_as_constants(student):
    """With u and v held constant, sigma = u^T W v has the gradient u v^T: rank one, unit norm, <G, W> = sigma."""

    def sigma_of(matrix):
        return student.spectral_norm.power_iteration(matrix, jnp.asarray(U0), 1)[0]

    matrix = jnp.asarray(MATRIX)
    gradient = np.asarray(jax.grad(sigma_of)(matrix))
    singular = np.linalg.svd(gradient, compute_uv=False)
    close(singular[:2], np.array([1.0, 0.0]), "the two largest singular values of d sigma / dW", 1e-4)
    close(np.sum(gradient * MATRIX), float(sigma_of(matrix)), "<d sigma / dW, W>", 1e-4)


@graded(points=2, timeout=60)
def test_normalised_conv_kernel_has_spectral_norm_one(student):
    """W_SN = W / sigma(W) for a conv kernel [kh, kw, c_in, c_out] seen as the matrix [c_out, kh kw c_in]."""
    kernel = RNG.normal(size=(3, 3, 2, 4)).astype(np.float32)
    u = RNG.normal(size=4).astype(np.float32)
    normalised, new_u = student.spectral_norm.spectral_normalise(jnp.asarray(kernel), jnp.asarray(u), 100)
    normalised = np.asarray(normalised)
    close(normalised.shape, np.array(kernel.shape), "shape of the normalised kernel", 0)
    matrix = kernel.reshape(-1, 4).T
    close(normalised, kernel / np.linalg.svd(matrix, compute_uv=False)[0], "W / sigma(W)", 1e-4)
    close(np.asarray(new_u).shape, np.array([4]), "shape of the updated u", 0)
