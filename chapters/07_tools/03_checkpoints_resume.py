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
#
# Prerequisites: chapters 7.1 (the train state) and 7.2 (the loader's `(epoch, step)`). Run time: about
# 25 s on 2 CPU cores in quick mode (30 steps per run), 40 s in full mode (400 steps).

# %%
import dataclasses
import re
import shutil

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import orbax.checkpoint as ocp

from mmjax.train import loop, restore
from mmjax.train.config import TrainConfig
from mmjax.train.guards import NonFiniteError
from mmjax.train.metrics_log import read_metrics
from mmjax.train.toy import step as toy_step
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.task import TASK
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("07_tools/03_checkpoints_resume")
RUNS = chapter.out / "runs"
shutil.rmtree(RUNS, ignore_errors=True)
STEPS = 30 if chapter.quick else 400
config = ToyConfig(num_train_examples=64, batch_size=16)


def settings(name, **changes):
    return TrainConfig(
        **{
            "steps": STEPS,
            "run_dir": str(RUNS / name),
            "checkpoint_every": 10,
            "log_every": 5,
            "eval_every": 20,
            "sample_every": -1,
            "progress": False,
            **changes,
        }
    )


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
    chapter.record("kept_checkpoints", len(manager.all_steps()))  # max_to_keep=2 of 3 saves
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
diff = max(
    float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    for a, b in zip(jax.tree.leaves(run_a.state), jax.tree.leaves(run_b.state))
)
same = all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(run_a.state), jax.tree.leaves(run_b.state)))
print(f"bit-identical parameters and optimiser state: {same} (max |A - B| = {diff})")
assert same and run_b.resumed_from == 10
chapter.record("resumed_from", run_b.resumed_from)
chapter.record("max_state_difference", diff)

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
    loop.train(dataclasses.replace(TASK, train_step=poisoned_step), config, settings("nan", checkpoint_every=5))
except NonFiniteError as error:
    print("NonFiniteError:", str(error)[:160], "...")
    assert str(error).startswith("non-finite values (NaN or inf) at step 7 in: state['params']['hidden']['kernel']")
    chapter.record("nan_step", int(re.search(r"at step (\d+)", str(error))[1]))
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
# RUN_DIR` draws one panel per metric from it. A resumed run drops the records past its checkpoint first,
# so the interrupted run's log equals the uninterrupted one's, apart from wall-clock times. The figure
# draws both runs' logs: the interrupted run's points (crosses) lie exactly on the uninterrupted run's
# curves, on both sides of the resume.


# %%
def records(name):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(RUNS / name / "metrics.jsonl")]


assert records("interrupted") == records("uninterrupted")
chapter.record("logs_equal", records("interrupted") == records("uninterrupted"))
print(open(RUNS / "uninterrupted" / "metrics.jsonl").read().splitlines()[0])
fig, ax = plt.subplots(figsize=(7, 4))
for name, style in (("uninterrupted", "-"), ("interrupted", "x")):
    for split, metric, colour in (("train", "loss", "tab:blue"), ("test", "test_mse", "tab:orange")):
        points = [(r["step"], r[metric]) for r in records(name) if metric in r]
        ax.plot(*zip(*points), style, color=colour, label=f"{name}: {split} MSE")
ax.axvline(run_b.resumed_from, color="grey", ls="--", label=f"run B resumes (step {run_b.resumed_from})")
ax.set_yscale("log")
figures.label(ax, "Toy task: an interrupted run retraces the uninterrupted one", "step", "MSE", better="lower")
figures.save(fig, chapter.out / "curves.png")
test_mse = [r["test_mse"] for r in records("uninterrupted") if "test_mse" in r]
chapter.record("test_mse_first", test_mse[0])
chapter.record("test_mse_last", test_mse[-1])
task, loaded_config, loaded_state, step = restore.load_run(RUNS / "uninterrupted")  # what `mmjax eval` uses
print(f"load_run: task {task.name}, step {step}, config == ours: {loaded_config == config}")
assert (task.name, step, loaded_config) == ("toy", STEPS, config)

# %% [markdown]
# The test MSE falls from `test_mse_first` = 0.11 at step 20 to `test_mse_last` = 0.035 at step 400 (it
# wanders between 0.02 and 0.04 over the last 100 steps); quick mode stops at step 30 with 0.048.
#
# ## Summary
# * Orbax `CheckpointManager`: atomic step folders, background writes, keep the last N (and the best
#   by an evaluation metric when the task names one).
# * Exact resume = restore *every* input of the remaining steps: state, PRNG key, data position.
# * Guards turn a NaN into a message with a step and a tree path, and never checkpoint it.
# * On the command line: `mmjax train toy --steps 2000 --run-dir runs/toy`, kill it with `kill -9`,
#   run the same command again, then `mmjax plot runs/toy`.
#
# ## Exercises
# 1. Resume run B with a different seed: `loop.train(TASK, config, settings("interrupted", seed=1))`. You
#    should get `ValueError: the checkpoint ... was made with a different configuration: seed: 0 (saved) ->
#    1 (now)`. Why must the seed match? (It makes the initial parameters, the chain of per-step keys and the
#    data order; restoring a key chain made from seed 0 under seed 1 would make the run neither one.)
# 2. Run 100 steps with `checkpoint_every=1`, once with `async_checkpoints=False` and once with the default
#    `True` (set `eval_every` and `log_every` to 1000), and time them (about 30 s in all). On this 2-core
#    machine a checkpoint costs about 0.1 s, some 100 steps of this toy, in either mode: with about a
#    thousand parameters there is nothing worth writing in the background, and the time is Orbax's
#    bookkeeping (folders, metadata, the atomic rename), which both modes pay. Background writes pay off for
#    large states. Timings depend on the machine and its load; what must not depend on them is the result.
#    Check that both runs keep the same steps on disk and end at the same state:
#    `check(max_difference, expected=0.0, tol=0)`.
# 3. Make run B save every 7 steps instead of 10 (`checkpoint_every=7` in both of its calls), stop it at
#    15 and delete its step-15 checkpoint as above. From which step does it resume, and does it still end
#    bit-identical to run A? You should find step 14 (a run also saves at its last step, 15) and a
#    difference of exactly 0: `check(run_b.resumed_from, expected=14, tol=0)`,
#    `check(max_difference, expected=0.0, tol=0)`.
# 4. Why would resuming *not* be bit-identical on a GPU with atomics-based reductions? What you should be
#    able to say: floating-point addition is not associative, and atomics add in whatever order the threads
#    arrive, so two runs of the same step can differ in the last bits; then even two uninterrupted runs
#    differ, and a resumed run matches an uninterrupted one only to a tolerance.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `kept_checkpoints`: steps kept with `max_to_keep=2` | 2 ± 0 | 2 ± 0 |
# | `resumed_from`: checkpoint step run B continues from | 10 ± 0 | 10 ± 0 |
# | `max_state_difference`: max abs difference of run A and run B states | 0 ± 0 | 0 ± 0 |
# | `nan_step`: step the guard stops the poisoned run at | 7 ± 0 | 7 ± 0 |
# | `logs_equal`: interrupted and uninterrupted logs agree | 1 ± 0 | 1 ± 0 |
# | `test_mse_first`: test MSE at step 20 | 0.115 ± 10% | 0.115 ± 10% |
# | `test_mse_last`: test MSE at the last step | 0.02 .. 0.05 | 0.048 ± 10% |

# %%
chapter.finish()
