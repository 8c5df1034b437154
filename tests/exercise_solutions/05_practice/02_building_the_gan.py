# Exercise 1
import dataclasses

from mmjax.utils.selfcheck import check

ex1_caption = "a big red circle above a small red square"
ex1_tokens = jnp.asarray(config.tokenizer().encode_batch([ex1_caption]))
ex1_vocab = config.tokenizer().vocab_size
y = jnp.zeros((1, ex1_vocab)).at[jnp.arange(1)[:, None], ex1_tokens].set(1.0)  # as bce_words builds it
y = y.at[:, : len(SPECIALS)].set(0.0)
ex1_words = sorted(config.tokenizer().vocabulary[i] for i in np.flatnonzero(np.asarray(y[0])))
print("words(t):", ex1_words)
assert check(int(y.sum()), expected=7, tol=0)
assert ex1_words == sorted(set(ex1_caption.split()))

# Exercise 2
# As the exercise says: the configuration changed, then the chapter's own check of the losses (`losses`, traced
# afresh so that it reads the new config), first with `d_loss` as written, then with its `wrong` term dropped.
import types


def ex2_losses():
    """The chapter's `losses` traced afresh, reading the config and `d_loss` as they are now (jax.jit keeps the
    trace of a function it has seen, so the chapter's code is wrapped in a new function object)."""
    return jax.jit(types.FunctionType(losses.__wrapped__.__code__, globals()))(state, raw, key)


ex2_original_config = config
config = dataclasses.replace(config, matching_aware=False)
ex2_hand, ex2_library = ex2_losses()
print(f"L_D by hand {float(ex2_hand[0]):.6f} (wrong term kept), library {float(ex2_library[0]):.6f}")
try:
    np.testing.assert_allclose(ex2_hand, ex2_library, rtol=1e-5)  # the chapter's check of the losses ...
    raise RuntimeError("the hand loss with the wrong term should no longer match the library's")
except AssertionError:
    pass  # ... fails
np.testing.assert_allclose(ex2_hand[1], ex2_library[1], rtol=1e-5)  # (G's loss has no wrong term)


def d_loss(d_params, state, x, t, key):
    g, d = state["generator"], state["discriminator"]
    fake = jax.lax.stop_gradient(draw({"params": g["params"], "state": g["state"]}, t, key))
    out, new_state = judge({"params": d_params, "state": d["state"]}, jnp.concatenate([x, fake, x]),
                           jnp.concatenate([t, t, jnp.roll(t, 1, axis=0)]))  # fmt: skip
    real, fake, wrong = jnp.split(out["logits"], 3)
    b = x.shape[0]
    gan = jnp.mean(sp(-real)) + jnp.mean(sp(fake))  # the wrong-caption term dropped
    words = bce_words(out["words"][:b], t) + bce_words(out["words"][b : 2 * b], t[:, :0])
    return gan + LAMBDA * nce(out["u"][:b], out["v"][:b]) + MU * words, new_state


ex2_hand, ex2_library = ex2_losses()
print(f"L_D by hand {float(ex2_hand[0]):.6f} (wrong term dropped), library {float(ex2_library[0]):.6f}")
np.testing.assert_allclose(ex2_hand, ex2_library, rtol=1e-5)  # ... and passes again
config = ex2_original_config

# Exercise 3
g = F.merge(g_graph, {"params": result.state["generator"]["params"], "state": result.state["generator"]["state"]})
short = raw["tokens"][:, : int((raw["tokens"] != 0).sum(1).max())]
assert short.shape[1] < raw["tokens"].shape[1]  # something was cut
difference = float(jnp.max(jnp.abs(sentence(g, jnp.asarray(raw["tokens"])) - sentence(g, jnp.asarray(short)))))
print(f"sentence vectors of padded and cut captions differ by at most {difference:.2e}")
assert check(difference, expected=0, tol=1e-5)
