# %% [markdown]
# # Chapter 7.3: Checkpoints, exact resume, and guards
#
# A run in mmjax survives `kill -9`. The loop (`mmjax.train.loop.train`, or `mmjax train TASK` on the
# command line) saves with **Orbax**'s `CheckpointManager`, each checkpoint holding
#
# * the task state: parameters and optimiser states of every player, the step counter;
# * the PRNG key of the loop (each step uses `key, step_key = split(key)`);
# * the data loader's `(epoch, step)`;
# * the task name, its config and the seed, checked before anything is loaded.
#
# Orbax writes into `<step>.orbax-checkpoint-tmp` and renames the folder when it is complete, so a
# checkpoint either exists whole or not at all. Restarting the same command finds the newest complete
# one and continues; since every input of every remaining step is restored, the result is **bit
# identical** on CPU to a run that was never stopped. This page checks that claim on the toy task.

# %%
import dataclasses
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from mmjax.train import loop, restore
from mmjax.train.config import TrainConfig
from mmjax.train.guards import NonFiniteError
from mmjax.train.metrics_log import read_metrics
from mmjax.train.plot import plot_run
from mmjax.train.toy import step as toy_step
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.task import TASK
from mmjax.utils.chapter import output_dir, quick_mode

QUICK = quick_mode()
OUT = output_dir("07_tools")
RUNS = OUT / "runs"
shutil.rmtree(RUNS, ignore_errors=True)
STEPS = 30 if QUICK else 400
config = ToyConfig(num_train_examples=64, batch_size=16)


def settings(name, **changes):
    return TrainConfig(**{"steps": STEPS, "run_dir": str(RUNS / name), "checkpoint_every": 10, "log_every": 5,
                          "eval_every": 20, "sample_every": -1, "progress": False, **changes})


# %% [markdown]
# ## Orbax in five lines
# The loop wraps this, but the idea is small: a manager over a folder, `save(step, args)` returns as
# soon as the arrays are copied (the writing happens in a background thread), `restore` needs the
# *abstract* target (shapes, dtypes, shardings) so it can lay the arrays out correctly.

# %%
state = TASK.init_state(config, jax.random.key(0), num_steps=STEPS)
options = ocp.CheckpointManagerOptions(max_to_keep=2)
with ocp.CheckpointManager((RUNS / "orbax_demo").absolute(), options=options) as manager:
    for step in (1, 2, 3):
        manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
    abstract = jax.eval_shape(lambda: state)  # shapes and dtypes: where to put what is read
    restored = manager.restore(manager.latest_step(), args=ocp.args.StandardRestore(abstract))
    print("kept steps:", manager.all_steps())
assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(restored), jax.tree.leaves(state)))

# %% [markdown]
# ## Interrupted and uninterrupted runs end bit-identical
# Run A trains for `STEPS` steps. Run B trains for 15 steps and stops (as if killed after its step-10
# checkpoint; we also leave behind a half-written checkpoint folder, as `kill -9` during a save
# would), then the same call continues it to `STEPS`.

# %%
run_a = loop.train(TASK, config, settings("uninterrupted"))
loop.train(TASK, config, settings("interrupted", steps=15, checkpoint_every=10))
shutil.rmtree(RUNS / "interrupted" / "checkpoints" / "15")  # pretend we died before saving step 15...
(RUNS / "interrupted" / "checkpoints" / "15.orbax-checkpoint-tmp").mkdir()  # ...half-way through it
run_b = loop.train(TASK, config, settings("interrupted"))
print("run B resumed from step", run_b.resumed_from)
same = all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(run_a.state), jax.tree.leaves(run_b.state)))
print("bit-identical parameters and optimiser state:", same)
assert same and run_b.resumed_from == 10

# %% [markdown]
# ## Guards: a NaN stops the run and says where
# A step that produces a non-finite value (here an `inf` injected into one weight at step 7) stops the
# run before anything from that step is saved. The error names the step and the tree path.

# %%
def poisoned_step(state, batch, key, config, optimizer):
    state, metrics = toy_step.train_step(state, batch, key, config, optimizer)
    kernel = state["params"]["hidden"]["kernel"]
    state["params"]["hidden"]["kernel"] = jnp.where(state["step"] == 7, kernel.at[0, 0].set(jnp.inf), kernel)
    return state, metrics


try:
    loop.train(dataclasses.replace(TASK, train_step=poisoned_step), config,
               settings("nan", checkpoint_every=5))
except NonFiniteError as error:
    print("NonFiniteError:", str(error)[:160], "...")
    assert str(error).startswith("non-finite values (NaN or inf) at step 7 in: state['params']['hidden']['kernel']")
else:
    raise AssertionError("the guard did not stop the poisoned run")

# %% [markdown]
# ## A checkpoint from another config is refused, clearly

# %%
try:
    loop.train(TASK, ToyConfig(num_train_examples=64, batch_size=16, learning_rate=0.1), settings("uninterrupted"))
except ValueError as error:
    print("ValueError:", error)
    assert "learning_rate: 0.01 (saved) -> 0.1 (now)" in str(error)
else:
    raise AssertionError("a checkpoint of another config was resumed")

# %% [markdown]
# ## Logs and curves
# Every `log_every` steps the loop appends one JSON object per line to `metrics.jsonl`; `mmjax plot
# RUN_DIR` (or `plot_run`) draws them. A resumed run drops the records past its checkpoint first, so
# the interrupted run's log equals the uninterrupted one's, apart from wall-clock times.

# %%
def records(name):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(RUNS / name / "metrics.jsonl")]


assert records("interrupted") == records("uninterrupted")
print(open(RUNS / "uninterrupted" / "metrics.jsonl").read().splitlines()[0])
plot_run(RUNS / "uninterrupted", OUT / "curves.png")
task, loaded_config, loaded_state, step = restore.load_run(RUNS / "uninterrupted")  # what `mmjax eval` uses
print(f"load_run: task {task.name}, step {step}, config == ours: {loaded_config == config}")
assert (task.name, step, loaded_config) == ("toy", STEPS, config)

# %% [markdown]
# ## Summary
# * Orbax `CheckpointManager`: atomic step folders, background writes, keep the last N (and the best
#   by an evaluation metric when the task names one).
# * Exact resume = restore *every* input of the remaining steps: state, PRNG key, data position.
# * Guards turn a NaN into a message with a step and a tree path, and never checkpoint it.
# * On the command line: `mmjax train toy --steps 2000 --run-dir runs/toy`, kill it with `kill -9`,
#   run the same command again, then `mmjax plot runs/toy`.
#
# ## Exercises
# 1. Resume run B with a different `--seed`. Read the error. Why must the seed match?
# 2. Set `async_checkpoints=False` and compare the time per step with `checkpoint_every=1`.
# 3. Why would resuming *not* be bit-identical on a GPU with atomics-based reductions?
