"""The one training loop every mmjax model shares.

Per step ``k`` (1-based; the state after step k is "step k"):

1. dispatch the jitted, donated step on batch k (JAX returns at once, the device works);
2. meanwhile load batch k+1 on the host, so data loading overlaps computation;
3. read step k's metrics and finiteness flags (the only host-device sync) and stop on a NaN;
4. every N steps: log, evaluate, sample, checkpoint (state, PRNG key, loader position).

One process writes a run folder at a time: ``train`` holds its lock (:mod:`mmjax.train.run_lock`) from
before the checkpointer's start-up clean-up until the last save is committed.

The PRNG key is part of the donated carry: ``key, step_key = split(key)`` inside the step, so the
sequence of keys depends only on the seed and the step, and a resumed run draws the same ones.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax

from mmjax.data.loader import Loader
from mmjax.train import checkpoint as ckpt
from mmjax.train import config as config_lib
from mmjax.train import guards, parallel
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import MetricsLog
from mmjax.train.run_lock import run_lock
from mmjax.train.task import Task
from mmjax.utils.safe_files import output_folder


@dataclasses.dataclass
class RunResult:
    state: Any  # the task state after the last step
    step: int  # the last step trained (== TrainConfig.steps unless stopped early)
    run_dir: Path  # where checkpoints, config.json and metrics.jsonl were written
    resumed_from: int | None  # the checkpoint step the run continued from, if any
    last_metrics: dict  # train metrics of the last step, as floats
    stopped_early: bool = False  # True when SIGTERM asked the run to save and stop


def make_loop_step(train_step: Callable) -> Callable:
    """Wrap a task's ``(state, batch, key) -> (state, metrics)`` into the loop's carry step.

    carry = {"state": task state, "rng": key data}; also returns the finiteness flags of
    (metrics, new state) for :mod:`mmjax.train.guards`.
    """

    def loop_step(carry, batch):
        key, step_key = jax.random.split(jax.random.wrap_key_data(carry["rng"]))
        state, metrics = train_step(carry["state"], batch, step_key)
        new_carry = {"state": state, "rng": jax.random.key_data(key)}
        flags = guards.finite_flags({"metrics": metrics, "state": state})
        return new_carry, metrics, flags

    return loop_step


def _init_carry(task: Task, config, num_steps: int, seed: int, warm=None):
    init_key, chain_key = jax.random.split(jax.random.key(seed))
    return {"state": task.init_state(config, init_key, num_steps, warm), "rng": jax.random.key_data(chain_key)}


def _build_functions(task: Task, config, num_steps: int, mesh, seed: int):
    replicated = parallel.replicated(mesh)
    # ``warm``: the trained weights a run starts from, read by the task's hook outside jit (task.start_from)
    init_fn = jax.jit(lambda warm: _init_carry(task, config, num_steps, seed, warm), out_shardings=replicated)
    step_fn = jax.jit(
        make_loop_step(task.bound_train_step(config, num_steps)),
        donate_argnums=0,
        out_shardings=(replicated, replicated, replicated),
    )
    return init_fn, step_fn


_cached_functions = functools.lru_cache(maxsize=8)(_build_functions)


def compiled_functions(task: Task, config, num_steps: int, mesh, seed: int):
    """Jitted ``init(warm) -> carry`` and ``step(carry, batch) -> (carry, metrics, flags)``.

    Reused for the same (task, config, run length, mesh, seed) within a process, so a second run (a
    test, a notebook cell, a resumed run) does not compile again; unhashable configs are not cached.
    """
    try:
        return _cached_functions(task, config, num_steps, mesh, seed)
    except TypeError:  # an unhashable config (e.g. a non-frozen dataclass)
        return _build_functions(task, config, num_steps, mesh, seed)


def abstract_carry(task: Task, config, mesh, seed: int = 0, num_steps: int = 1):
    """Shapes, dtypes and (replicated) shardings of the carry, without computing it.

    The run's length changes the values of a learning-rate schedule, never the state's structure.
    """
    warm = task.start_from(config)  # read here, outside the trace
    shapes = jax.eval_shape(lambda warm: _init_carry(task, config, num_steps, seed, warm), warm)
    sharding = parallel.replicated(mesh)
    return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding), shapes)


def _due(step: int, every: int, last: int) -> bool:
    """Every ``every`` steps and at the last one; never if ``every`` is negative."""
    return every >= 0 and (step == last or (every > 0 and step % every == 0))


def _format_metrics(metrics: dict) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in metrics.items())


def sample_files(task: Task, state, config, key, out_dir: Path) -> None:
    """``task.sample`` on every process, files kept from process 0 only.

    A sampler's jitted calls on the replicated state are programs over all devices, so every process
    of a multi-host run must make them; the other processes write into a scratch folder that is
    deleted, so no two processes write the same file of a shared run folder.
    """
    if jax.process_index() == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        task.sample(state, config, key, out_dir)
        return
    with tempfile.TemporaryDirectory(prefix="mmjax-samples-") as scratch:
        task.sample(state, config, key, Path(scratch))


class _StopRequest:
    """SIGTERM (a scheduler pre-empting the job) -> save at the end of the current step and stop."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def train(
    task: Task, config=None, train_config: TrainConfig | None = None, log: Callable[[str], None] | None = None
) -> RunResult:
    """Train ``task`` for ``train_config.steps`` steps, resuming from ``run_dir`` if it has a checkpoint.

    ``log`` receives every message (resumes, evaluations, skipped checkpoints); by default they are
    printed. Raises NonFiniteError on a NaN/inf, ValueError on a config or shape mismatch.
    """
    config = task.default_config() if config is None else config
    tc = train_config or TrainConfig()
    if not isinstance(config, task.config_cls):
        raise TypeError(f"task {task.name!r} needs a {task.config_cls.__name__}, got {type(config).__name__}")
    run_dir = output_folder(tc.folder(task.name), "--run-dir")  # a file there, or no right to write, fails now
    is_main = jax.process_index() == 0
    say = _Console(log, enabled=is_main)

    mesh = parallel.make_mesh(tc.num_devices)
    global_batch = int(task.batch_size(config))
    parallel.check_batch_size(global_batch, mesh)
    # One writer per folder, from before the checkpointer's start-up clean-up until its last save commits.
    with run_lock(run_dir) if is_main else contextlib.nullcontext():
        return _train_holding_the_folder(task, config, tc, run_dir, mesh, global_batch, say)


def _train_holding_the_folder(task: Task, config, tc: TrainConfig, run_dir: Path, mesh, global_batch: int, say):
    is_main = jax.process_index() == 0
    info = ckpt.run_info(task.name, config, tc.seed)
    checkpointer = ckpt.Checkpointer(
        run_dir / "checkpoints",
        keep=tc.keep,
        best_metric=task.best_metric,
        best_mode=task.best_mode,
        async_save=tc.async_checkpoints,
        log=say,
    )
    try:
        abstract = abstract_carry(task, config, mesh, tc.seed, tc.steps)
        if checkpointer.all_steps() and not tc.resume:
            raise ValueError(
                f"{run_dir} already has checkpoints (steps {checkpointer.all_steps()}) and resume "
                "is off; resume it, or choose a new --run-dir"
            )
        restored = checkpointer.restore_latest(abstract, info) if tc.resume else None
        loader = Loader(
            task.make_source(config, "train"),
            batch_size=global_batch // jax.process_count(),
            seed=tc.seed,
            shuffle=True,
            drop_remainder=True,
            process_index=jax.process_index(),
            process_count=jax.process_count(),
        )
        metrics_log = MetricsLog(run_dir / "metrics.jsonl", enabled=is_main)
        init_fn, step_fn = compiled_functions(task, config, tc.steps, mesh, tc.seed)
        if restored is None:
            start, carry = 0, init_fn(task.start_from(config))
        else:
            start, carry, loader_state = restored
            loader.restore(loader_state)
            say(f"resuming {task.name} from checkpoint step {start} in {run_dir}")
            _warn_if_length_changed(run_dir, tc.steps, say)
        metrics_log.truncate_after(start)  # records past the checkpoint describe steps trained again
        if is_main:
            ckpt.write_json_atomic(
                run_dir / "config.json",
                {"task": task.name, "config": config_lib.to_dict(config), "train": config_lib.to_dict(tc)},
            )

        run = _Run(
            task=task,
            config=config,
            train_config=tc,
            run_dir=run_dir,
            mesh=mesh,
            loader=loader,
            step_fn=step_fn,
            checkpointer=checkpointer,
            metrics_log=metrics_log,
            info=info,
            sample_key=jax.random.fold_in(jax.random.key(tc.seed), 0x5A3),
            say=say,
        )
        return _run_steps(run, carry, start)
    finally:
        checkpointer.close()  # waits for background saves: the last good checkpoint is complete


def _warn_if_length_changed(run_dir: Path, steps: int, say) -> None:
    """Schedules span the run: a resumed run with another --steps follows a stretched schedule from here on."""
    try:
        saved = json.loads((run_dir / "config.json").read_text())["train"]["steps"]
    except (OSError, KeyError, ValueError):
        return
    if saved != steps:
        say(
            f"note: this run was started with --steps {saved}, now {steps}: learning-rate schedules span the "
            f"run, so from here on they follow a {steps}-step schedule"
        )


class _Console:
    """Messages go through the progress bar when there is one, so they do not break it."""

    def __init__(self, log: Callable[[str], None] | None, enabled: bool):
        self.log, self.enabled, self.bar = log, enabled, None

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        if self.log is not None:
            self.log(message)
        elif self.bar is not None and not self.bar.disable:
            self.bar.write(message)
        else:
            print(message, flush=True)


@dataclasses.dataclass(frozen=True)
class _Run:
    """What stays the same for a whole run; the steps change only the carry and the objects' own state
    (the loader's position, the checkpoints and metrics written)."""

    task: Task
    config: Any  # the task's config (task.config_cls)
    train_config: TrainConfig
    run_dir: Path
    mesh: Any  # jax.sharding.Mesh the batches are sharded over
    loader: Loader  # the train batches, already restored to the resume point
    step_fn: Callable  # jitted step(carry, batch) -> (carry, metrics, flags)
    checkpointer: ckpt.Checkpointer
    metrics_log: MetricsLog
    info: dict  # run identity stored with every checkpoint (task, config, seed)
    sample_key: jax.Array  # samples at step k use fold_in(sample_key, k)
    say: _Console


def _run_steps(run: _Run, carry, start: int) -> RunResult:
    """Steps ``start + 1 .. train_config.steps`` from ``carry`` (see the module docstring)."""
    from tqdm.auto import tqdm

    task, config, tc = run.task, run.config, run.train_config  # the pieces nearly every line below reads
    loader, checkpointer, say = run.loader, run.checkpointer, run.say
    last, paths = tc.steps, None
    last_saved = checkpointer.latest_step()
    last_metrics: dict = {}
    started = time.perf_counter()
    logged = (start, started)  # (step, time) of the last log line
    bar = tqdm(
        total=last,
        initial=start,
        desc=task.name,
        unit="step",
        dynamic_ncols=True,
        disable=not tc.progress or jax.process_index() != 0,
        file=sys.stderr,
    )
    say.bar = bar
    step = start
    stopped_early = False
    with _StopRequest() as stop:
        batch = parallel.shard_batch(next(loader), run.mesh) if start < last else None
        try:
            for step in range(start + 1, last + 1):
                carry, metrics, flags = run.step_fn(carry, batch)
                loader_state = loader.state  # the position right after batch `step`
                batch = parallel.shard_batch(next(loader), run.mesh) if step < last else None
                metrics, flags = jax.device_get((metrics, flags))
                if paths is None:
                    paths = guards.leaf_paths({"metrics": metrics, "state": carry["state"]})
                guards.check_finite(flags, paths, step, last_saved, str(checkpointer.directory))
                last_metrics = {k: float(v) for k, v in metrics.items()}
                bar.update(1)

                if _due(step, tc.log_every, last):
                    now = time.perf_counter()
                    run.metrics_log.write(step, "train", last_metrics, time=round(now - started, 6))
                    if tc.progress:
                        bar.set_postfix(last_metrics, refresh=False)
                    else:  # the rate over the last interval (the first one includes compiling)
                        rate = (step - logged[0]) / max(now - logged[1], 1e-9)
                        say(f"step {step}/{last} {_format_metrics(last_metrics)} ({rate:.1f} steps/s)")
                    logged = (step, now)
                eval_metrics = None
                if task.evaluate is not None and _due(step, tc.eval_every, last):
                    eval_metrics = task.check_eval_metrics(task.evaluate(carry["state"], config), config)
                    run.metrics_log.write(step, "eval", eval_metrics, time=round(time.perf_counter() - started, 3))
                    say(f"eval at step {step}: {_format_metrics(eval_metrics)}")
                if task.sample is not None and _due(step, tc.sample_every, last):
                    out_dir = run.run_dir / "samples" / f"step_{step:07d}"
                    sample_files(task, carry["state"], config, jax.random.fold_in(run.sample_key, step), out_dir)
                best_due = eval_metrics is not None and task.best_metric is not None
                if _due(step, tc.checkpoint_every, last) or best_due or stop.requested:
                    checkpointer.save(step, carry, loader_state, run.info, metrics=eval_metrics)
                    last_saved = step
                if stop.requested:
                    say(f"SIGTERM: saved checkpoint step {step}; run the same command to resume")
                    stopped_early = True
                    break
        finally:
            bar.close()
            say.bar = None
    return RunResult(
        state=carry["state"],
        step=step,
        run_dir=run.run_dir,
        resumed_from=start if start else None,
        last_metrics=last_metrics,
        stopped_early=stopped_early,
    )
