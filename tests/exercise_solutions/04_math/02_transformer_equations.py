# Exercise 1
from mmjax.utils.selfcheck import check

ex1_rng = np.random.default_rng(1)
d_k = 256
ex1_q = jnp.asarray(ex1_rng.normal(size=(1, rows, 1, d_k)) / np.sqrt(d_k), jnp.float32)
ex1_k = jnp.asarray(ex1_rng.normal(size=(1, num_keys, 1, d_k)) / np.sqrt(d_k), jnp.float32)
ex1_logits = jnp.einsum("bthd,bshd->bts", ex1_q, ex1_k)  # no division by sqrt(d_k)
variance = float(jnp.var(ex1_logits))
top = float(jnp.mean(jax.nn.softmax(ex1_logits, axis=-1).max(-1)))
ex1_flatter = float(jnp.mean(jax.nn.softmax(ex1_logits / np.sqrt(d_k), axis=-1).max(-1)))
print(f"entries of variance 1/d_k: Var(q.k) = {variance:.5f} (1/d_k = {1 / d_k:.5f}), max weight {top:.4f}")
assert check(variance, expected=1 / 256, rtol=0.15, name="variance")
assert check(top, expected=0.035, tol=0.003, name="top")
assert 1 / num_keys < ex1_flatter < top  # dividing as well makes it flatter still

# Exercise 2
out = scaled_dot_product_attention(q, k, v)  # section 2's q, k, v, no mask
perm = rng.permutation(6)
out_kv = scaled_dot_product_attention(q, k[:, perm], v[:, perm])
out_q = scaled_dot_product_attention(q[:, perm], k, v)
assert check(float(jnp.abs(out_kv - out).max()), expected=0, tol=1e-5, name="keys and values permuted")
assert check(float(jnp.abs(out_q - out[:, perm]).max()), expected=0, tol=1e-5, name="queries permuted")
assert float(jnp.abs(out_q - out).max()) > 1e-2  # the rows did move (perm is not the identity)

# Exercise 3
ex3_formula = np.log(30 / 0.1 - 5) / 4  # 30 / (e^{4 beta} + 5) < 0.1  <=>  beta > log(295) / 4


def ex3_query(beta: float) -> jax.Array:
    return jnp.asarray(beta * keys[2], jnp.float32)[None, None, None, :]


beta = next(
    b
    for b in np.round(np.arange(0, 3, 0.01), 2)
    if abs(float(scaled_dot_product_attention(ex3_query(b), K, V)[0, 0, 0, 0]) - 20) < 0.1
)
print(f"formula: beta > {ex3_formula:.4f}; scan: beta = {beta}")
assert check(np.ceil(ex3_formula * 100) / 100, expected=1.43, tol=0.01, name="beta from the formula")
assert check(beta, expected=1.43, tol=0.01)
