# Exercise 1
# Each exercise retrains the full-size model (2 minutes); here they run on quick mode's model (1 layer, width
# 32, 8 symbols, lengths 2 to 5) trained for 600 steps as one lax.scan, where the same effects show.
import dataclasses
import time

from mmjax.seq2seq.config import BOS_ID
from mmjax.utils.selfcheck import check

EX_STEPS = 600


def ex_train(ex_config, optimizer=None, eval_every=None):
    """``ex_config``'s model trained for EX_STEPS steps (the library's step, the run's own batches); with
    ``eval_every``, the held-out exact match after every ``eval_every`` steps too."""
    optimizer = optimizer or TASK.make_optimizer(ex_config, EX_STEPS)
    ex_state = TASK.init(ex_config, jax.random.key(0), optimizer)
    data = SequenceSource(ex_config, "train").batch(range(EX_STEPS * ex_config.batch_size))
    data = {k: jnp.asarray(v.reshape(EX_STEPS, ex_config.batch_size, -1)) for k, v in data.items()}

    def body(s, xs):
        return TASK.train_step(s, xs[0], jax.random.key(xs[1]), config=ex_config, optimizer=optimizer)

    run = jax.jit(lambda s, d, i: jax.lax.scan(body, s, (d, i)))
    start, chunk, evals = time.perf_counter(), eval_every or EX_STEPS, []
    for first in range(0, EX_STEPS, chunk):
        part = {k: v[first : first + chunk] for k, v in data.items()}
        ex_state, _ = run(ex_state, part, jnp.arange(first, first + chunk))
        if eval_every:
            evals.append(S.exact_match(ex_config, ex_state)["exact_match"])
    print(f"trained {EX_STEPS} steps in {time.perf_counter() - start:.1f} s")
    return ex_state, evals


ex1_config = dataclasses.replace(config, transform="sort")
ex1_state, _ = ex_train(ex1_config)
ex1_held_out = S.exact_match(ex1_config, ex1_state)
some = SequenceSource(ex1_config, "test").batch(range(64))
assert (some["target"][:, 0] == BOS_ID).all()
weights = np.asarray(S.cross_attention(ex1_config, {"params": ex1_state["params"], "state": ex1_state["state"]}, some))
lengths = (some["source"] != PAD_ID).sum(1)
ex1_anti = np.mean([weights[b, :, np.arange(n), n - 1 - np.arange(n)].mean() for b, n in enumerate(lengths)])
ex1_uniform = np.mean(1 / lengths)
on = [
    weights[b, :, t, :n][:, some["source"][b, :n] == some["target"][b, t + 1]].sum(-1).mean()
    for b, n in enumerate(lengths)
    for t in range(n)
]
print(f"sort: held-out exact {ex1_held_out['exact_match']:.3f}; anti-diagonal {ex1_anti:.2f} (uniform "
      f"{ex1_uniform:.2f}); on the symbol being written {np.mean(on):.2f}")  # fmt: skip
assert check(ex1_held_out["exact_match"], expected=1.0, tol=0.02, name="held-out exact match, sort")
assert not ex1_anti > 1.4 * ex1_uniform  # the chapter's check of the anti-diagonal fails for sorting
assert np.mean(on) > 1.5 * ex1_uniform and np.mean(on) > 1.5 * ex1_anti  # it reads by content

# Exercise 2
ex2_state, ex2_evals = ex_train(config, eval_every=EX_STEPS // 6)  # reversal, sinusoidal (exercise 3 reuses it)
ex2_learned_config = dataclasses.replace(config, model=dataclasses.replace(config.model, position="learned"))
ex2_learned, _ = ex_train(ex2_learned_config)


def grow(params, rows):
    return jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.pad(x, ((0, rows - x.shape[0]), (0, 0))) if "position" in jax.tree_util.keystr(path) else x,
        params,
    )


ex2_scores = {}
for n in (config.max_length, config.max_length + 1, config.max_length + 2):
    longer = dataclasses.replace(config, min_length=n, max_length=n)
    ex2_scores["sinusoidal", n] = S.exact_match(longer, ex2_state)
    longer_learned = dataclasses.replace(ex2_learned_config, min_length=n, max_length=n)
    grown = {"params": grow(ex2_learned["params"], longer_learned.target_length), "state": ex2_learned["state"]}
    ex2_scores["learned", n] = S.exact_match(longer_learned, grown)
for (name, n), s in ex2_scores.items():
    print(f"{name:10s} length {n}: exact {s['exact_match']:.3f}, token accuracy {s['token_accuracy']:.3f}")
top = config.max_length
assert ex2_scores["sinusoidal", top]["exact_match"] > 0.85 and ex2_scores["learned", top]["exact_match"] > 0.85
assert check(ex2_scores["sinusoidal", top + 2]["exact_match"], expected=0.0, tol=0.01, name="exact, 2 beyond")
assert check(ex2_scores["learned", top + 1]["exact_match"], expected=0.0, tol=0.01, name="exact_11, learned")
# one step beyond, the sinusoid still carries some position; a zero row carries none
assert ex2_scores["sinusoidal", top + 1]["token_accuracy"] > ex2_scores["learned", top + 1]["token_accuracy"] + 0.05

# Exercise 3
constant = optax.chain(
    optax.clip_by_global_norm(1.0), optax.adamw(config.learning_rate, weight_decay=config.weight_decay)
)
ex3_constant_state, ex3_constant = ex_train(config, constant, eval_every=EX_STEPS // 6)
print("held-out exact match every 100 steps, constant:", ex3_constant, "\n  scheduled:", ex2_evals)
assert ex3_constant[-1] < ex2_evals[-1]  # ends below the scheduled run
