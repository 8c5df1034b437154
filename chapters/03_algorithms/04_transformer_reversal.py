# %% [markdown]
# # Chapter 3.4: does the Transformer learn? Sequence reversal in a minute on a CPU
#
# A task is only a proof of learning if the answer cannot be memorised. Here the model reads a sequence
# of up to 10 symbols and must write it backwards; the test sequences are *held out by construction*
# (a sequence whose CRC32 is divisible by 5 never appears in training), so exact match on them measures
# whether the encoder-decoder learnt the rule.
#
# Reversal is a good first task because the right attention pattern is known in advance: to write output
# position $t$ of a length-$n$ input, cross-attention must look at input position $n - 1 - t$, an
# anti-diagonal.

# %%
import json
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from flax import nnx

from mmjax.nn.attention_maps import attention_maps
from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import ModelConfig, Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.seq2seq.evaluate import exact_match
from mmjax.seq2seq.fit import fit
from mmjax.seq2seq.plots import plot_attention
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("03_algorithms")
QUICK = quick_mode()

# %% [markdown]
# ## The configuration
# The defaults of `Seq2SeqConfig` are the full run: a 2+2-layer model of width 64, batch 64, AdamW with
# warm-up and cosine decay over 1500 steps. Quick mode shrinks everything so the script runs in seconds.

# %%
if QUICK:
    config = Seq2SeqConfig(model=ModelConfig(d_model=32, num_heads=4, num_layers=1, d_hidden=64), num_symbols=8,
                           min_length=2, max_length=5, batch_size=32, learning_rate=3e-3, warmup_steps=20,
                           decay_steps=200, num_test=128)
    steps = 200
else:
    config = Seq2SeqConfig()
    steps = config.decay_steps
print(config)
example = SequenceSource(config, "test")[0]
print("held-out example:", example["source"].tolist(), "->", example["target"].tolist())

# %% [markdown]
# ## Train
# `fit` is a minimal loop around the same jitted `train_step` the full training loop (`mmjax train
# seq2seq`) uses: teacher-forced cross-entropy on the non-padding target tokens.

# %%
start = time.perf_counter()
def report(step, record):
    print(f"step {step:5d}  loss {record['loss']:.4f}  token accuracy {record['token_accuracy']:.3f}")


state, history = fit(config, steps, seed=0, log_every=max(steps // 15, 1), on_log=report)
seconds = time.perf_counter() - start
result = exact_match(config, state["params"])
print(f"trained {steps} steps in {seconds:.0f} s; held-out exact match {result['exact_match']:.2%} "
      f"(token accuracy {result['token_accuracy']:.2%}) on {config.num_test} unseen sequences")
losses = {"first_loss": history[0]["loss"], "last_loss": history[-1]["loss"]}
summary = {"steps": steps, "seconds": seconds, **losses, **result}
(OUT / "transformer_reversal.json").write_text(json.dumps(summary, indent=2) + "\n")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot([r["step"] for r in history], [r["loss"] for r in history], marker=".")
ax.set(xlabel="step", ylabel="train cross-entropy", yscale="log",
       title=f"reversal: held-out exact match {result['exact_match']:.1%}")
fig.tight_layout()
fig.savefig(OUT / "transformer_reversal_loss.png", dpi=90)
plt.close(fig)

# %% [markdown]
# ## Decoding strategies on the held-out set
# Greedy decoding is already exact when the model is confident; beam search can only help when the
# per-token distribution is uncertain early in training.

# %%
for method in ("greedy",) if QUICK else ("greedy", "beam"):
    print(method, exact_match(config, state["params"], method=method))

# %% [markdown]
# ## The attention the model learnt
# Rows are the decoder's inputs (`<bos>` then the output so far), columns the source symbols.

# %%
batch = SequenceSource(config, "test").batch([0])
forward = nnx.jit(lambda model: model(batch["source"], batch["target"][:, :-1]))
maps = attention_maps(M.model(config, state["params"]), forward)
layer = f"decoder/blocks/{config.model.num_layers - 1}/cross_attention"
plot_attention(maps[layer][0], batch["source"][0], batch["target"][0, :-1], OUT / "transformer_reversal_attention.png",
               title="reversal: cross-attention of the last decoder layer")
weights = np.asarray(maps[layer][0]).mean(0)  # [T, S], averaged over heads
length = int((batch["source"][0] != 0).sum())
anti_diagonal = np.mean([weights[t, length - 1 - t] for t in range(length)])
print(f"mean cross-attention on the anti-diagonal: {anti_diagonal:.2f} (uniform would be {1 / length:.2f})")

# %% [markdown]
# ## Summary
# * On sequences it never saw, the trained encoder-decoder reverses exactly (>= 99% exact match in the full
#   run, about a minute on a laptop CPU), so it learnt the rule, not the data.
# * Its cross-attention concentrates on the anti-diagonal: each output reads the one input it copies.
#
# ## Exercises
# 1. Set `transform="sort"`. Is it harder? What does the cross-attention look like now?
# 2. Train on lengths up to 10 and test on length 12 (raise `max_length` only at test time). Why does it fail,
#    and does `position="learned"` fail differently from sinusoids?
# 3. Remove the cosine decay (`decay_steps` = `warmup_steps`). Plot held-out exact match every 100 steps.
