"""Checkpoints with orbax: the full run in one atomic step directory, written in the background.

Layout of ``RUN_DIR/checkpoints/``:

* ``<step>/state``: the loop's carry ``{"state": task state, "rng": PRNG key data}`` (orbax arrays);
* ``<step>/loader``: the data loader's position ``{"epoch", "step"}`` (JSON);
* ``<step>/run``: the task name, its config and the seed (JSON), checked before anything is restored;
* ``<step>.sha256.json``: the step's checksum (:mod:`mmjax.train.checksums`), written before the save.

Orbax writes a step into ``<step>.orbax-checkpoint-tmp`` and renames it when complete, so a process
killed mid-save leaves only a temporary folder: :class:`Checkpointer` reports it and never loads it. A
finished step that cannot be read (a file deleted by hand), or whose arrays no longer match its checksum
(flipped bytes on a disk, a bad copy), is set aside, renamed ``<step>.unreadable`` or ``<step>.damaged``
with a message, and the step before it is tried. A checkpoint whose config differs from the current one,
or whose arrays have other shapes than the model, raises a ValueError that says what differs.

What a kill costs. Saves run in the background, one at a time: the save of step s is in flight while the
loop trains on, and the next due save (step s + N, N = ``--checkpoint-every``) first waits for it to
commit. So when a kill lands, the newest committed step is at most 2N steps behind the loop: a kill loses
at most ``2 x --checkpoint-every`` steps (the N since the save in flight began, and the N it covered), and
exactly the steps since the newest committed save. The first save of a run is the slowest (orbax sets up
the folder), so a toy run saving every 20 steps and killed at step 39, its first save still uncommitted,
restarts from step 0; killed at 59 it restarts from 20. SIGTERM instead saves and stops cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
from orbax.checkpoint import checkpoint_managers as policies

from mmjax.train import checksums
from mmjax.train import config as config_lib

TMP_MARKER = ".orbax-checkpoint-tmp"


def _path_tokens(path) -> tuple[str, ...]:
    """A tree path as plain strings, so dict keys, attributes and indices compare equal."""
    tokens = []
    for key in path:
        for attr in ("key", "name", "idx"):
            if hasattr(key, attr):
                tokens.append(str(getattr(key, attr)))
                break
        else:
            tokens.append(str(key))
    return tuple(tokens)


def shape_mismatches(saved_tree, abstract_tree) -> list[str]:
    """Differences in tree paths, shapes and dtypes between checkpoint metadata and a target."""

    def table(tree):
        leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
        return {".".join(_path_tokens(p)): (tuple(leaf.shape), np.dtype(leaf.dtype)) for p, leaf in leaves}

    saved, wanted = table(saved_tree), table(abstract_tree)
    lines = [f"{p}: only in the checkpoint" for p in saved if p not in wanted]
    lines += [f"{p}: missing from the checkpoint" for p in wanted if p not in saved]
    lines += [
        f"{p}: checkpoint has shape {saved[p][0]} {saved[p][1]}, model wants {wanted[p][0]} {wanted[p][1]}"
        for p in wanted
        if p in saved and saved[p] != wanted[p]
    ]
    return lines


class DamagedCheckpoint(ValueError):
    """A step's restored contents differ from the checksum written when it was saved."""


class Checkpointer:
    """Save and restore a run's checkpoints under ``directory``; keep the last N and the best."""

    def __init__(
        self,
        directory,
        keep: int = 3,
        best_metric: str | None = None,
        best_mode: str = "min",
        async_save: bool = True,
        log: Callable[[str], None] = print,
        read_only: bool = False,
    ):
        self.directory = Path(directory).absolute()
        self.log = log
        self.best_metric = best_metric
        self.read_only = read_only  # a reader (``mmjax eval``) never touches a run that may be writing
        if not read_only:
            self._report_incomplete()
        policy = policies.LatestN(n=keep)
        if best_metric:
            best = policies.BestN(
                get_metric_fn=lambda metrics: metrics[best_metric],
                n=1,
                reverse=best_mode == "min",
                keep_checkpoints_without_metrics=False,
            )
            policy = policies.AnyPreservationPolicy([policy, best])
        options = ocp.CheckpointManagerOptions(
            preservation_policy=policy,
            enable_async_checkpointing=async_save,
            cleanup_tmp_directories=not read_only,
            create=not read_only,
            read_only=read_only,
        )
        self.manager = ocp.CheckpointManager(
            self.directory,
            options=options,
            item_handlers={
                "state": ocp.StandardCheckpointHandler(),
                "loader": ocp.JsonCheckpointHandler(),
                "run": ocp.JsonCheckpointHandler(),
            },
        )
        self._writes_checksums = not read_only and jax.process_index() == 0
        self._remove_orphan_checksums()

    def _step_folders(self) -> set[int]:
        return {int(p.name) for p in self.directory.iterdir() if p.name.isdigit()} if self.directory.exists() else set()

    def _remove_orphan_checksums(self, *also: int) -> None:
        """Checksums of steps whose folder is gone (deleted by the keep policy, or never committed)."""
        if self._writes_checksums:
            checksums.remove_orphans(self.directory, self._step_folders() | set(also))

    def _report_incomplete(self) -> None:
        if not self.directory.exists():
            return
        for path in sorted(self.directory.iterdir()):
            if TMP_MARKER in path.name:
                self.log(
                    f"ignoring incomplete checkpoint {path.name} (a save was interrupted); "
                    "it is never loaded and will be removed"
                )

    def all_steps(self) -> list[int]:
        return list(self.manager.all_steps())

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def save(self, step: int, carry, loader_state: dict, run_info: dict, metrics: dict | None = None) -> None:
        """Start saving; returns once the arrays are copied, the writing goes on in the background."""
        args = ocp.args.Composite(
            state=ocp.args.StandardSave(carry),
            loader=ocp.args.JsonSave(dict(loader_state)),
            run=ocp.args.JsonSave(run_info),
        )
        saved_metrics = None
        if self.best_metric and metrics and self.best_metric in metrics:
            saved_metrics = {self.best_metric: float(metrics[self.best_metric])}
        if self._writes_checksums:  # before the save starts, so no step ever commits without one
            checksums.write(self.directory, step, checksums.digest(carry, dict(loader_state), run_info))
        self.manager.save(step, args=args, metrics=saved_metrics, force=True)
        self._remove_orphan_checksums(step)

    def read_run_info(self, step: int) -> dict:
        return self.manager.restore(step, args=ocp.args.Composite(run=ocp.args.JsonRestore()))["run"]

    def restore_latest(self, abstract_carry, run_info: dict):
        """``(step, carry, loader_state)`` from the newest readable checkpoint, or None if there is none.

        ``run_info`` must match what was saved (task, config, seed), and the saved arrays must have
        the shapes of ``abstract_carry``; otherwise a ValueError explains the difference.
        """
        for step in sorted(self.all_steps(), reverse=True):
            try:
                saved_info = self.read_run_info(step)
                saved_tree = self.manager.item_metadata(step)["state"].tree
                self.verify_run_info(step, saved_info)  # damage first: it must not read as another config
            except DamagedCheckpoint as error:
                self._set_aside(step, error, "damaged")
                continue
            except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is skipped
                self._set_aside(step, error)
                continue
            check_same_run(saved_info, run_info, where=f"{self.directory / str(step)}")
            mismatches = shape_mismatches(saved_tree, abstract_carry)
            if mismatches:
                raise ValueError(
                    f"checkpoint {self.directory / str(step)} does not fit this model:\n  "
                    + "\n  ".join(mismatches[:10])
                )
            try:
                carry, loader_state = self.restore_step(step, abstract_carry)
            except DamagedCheckpoint as error:
                self._set_aside(step, error, "damaged")
                continue
            except Exception as error:  # noqa: BLE001
                self._set_aside(step, error)
                continue
            return step, carry, loader_state
        return None

    def restore_step(self, step: int, abstract_carry) -> tuple[object, dict]:
        """``(carry, loader_state)`` of step ``step``, checked against its checksum: DamagedCheckpoint (a
        ValueError naming the folder) if the restored contents differ from what was saved."""
        restored = self.manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract_carry),
                loader=ocp.args.JsonRestore(),
                run=ocp.args.JsonRestore(),
            ),
        )
        carry, loader_state = restored["state"], dict(restored["loader"])
        self._verify(step, carry, loader_state, dict(restored["run"]))
        return carry, loader_state

    def verify_run_info(self, step: int, run_info: dict) -> None:
        """DamagedCheckpoint unless ``run_info`` (as read from step ``step``) matches its checksum."""
        self._verify(step, run_info=run_info)

    def _verify(self, step: int, carry=None, loader_state=None, run_info=None) -> None:
        """DamagedCheckpoint unless the parts given match the digests written with step ``step``."""
        expected = checksums.read(self.directory, step)
        if expected is None:
            if carry is not None:
                self.log(f"checkpoint step {step} has no checksum (written by an older mmjax): restored unverified")
            return
        bad = checksums.mismatches(expected, checksums.digest(carry, loader_state, run_info))
        if bad:
            verb = "matches" if len(bad) == 1 else "match"
            raise DamagedCheckpoint(
                f"checkpoint {self.directory / str(step)} is damaged: its {' and '.join(bad)} no longer {verb} the "
                f"sha256 written when it was saved ({checksums.path_of(self.directory, step).name}): a disk or "
                "copy error"
            )

    def _set_aside(self, step: int, error: Exception, label: str = "unreadable") -> None:
        """Rename a bad step folder (and its checksum) so it is neither loaded nor in the way of a new save."""
        if self.read_only or jax.process_index() != 0:
            self.log(f"skipping {label} checkpoint step {step} ({type(error).__name__})")
            return
        source = self.directory / str(step)
        target = self.directory / f"{step}.{label}"
        suffix = 1
        while target.exists():
            target, suffix = self.directory / f"{step}.{label}{suffix}", suffix + 1
        source.rename(target)
        checksum = checksums.path_of(self.directory, step)
        if checksum.exists():
            checksum.rename(target / checksum.name)  # kept with the evidence
        self.manager.reload()
        self.log(
            f"skipping {label} checkpoint step {step} ({type(error).__name__}: {str(error)[:300]}); "
            f"moved to {target.name}, trying the step before"
        )

    def wait(self) -> None:
        self.manager.wait_until_finished()

    def close(self) -> None:
        self.manager.close()  # waits for the save in flight, and the keep policy's deletions
        self._remove_orphan_checksums()


def run_info(task_name: str, config, seed: int) -> dict:
    """What must match for a checkpoint to be resumed: the task, its config, the seed."""
    return {"task": task_name, "config": config_lib.to_dict(config), "seed": int(seed)}


def check_same_run(saved: dict, current: dict, where: str) -> None:
    """ValueError listing every difference between a saved run's identity and the current one."""
    lines = []
    if saved.get("task") != current["task"]:
        lines.append(f"task: {saved.get('task')!r} (saved) -> {current['task']!r} (now)")
    if saved.get("seed") != current["seed"]:
        lines.append(f"seed: {saved.get('seed')!r} (saved) -> {current['seed']!r} (now)")
    lines += config_lib.diff(saved.get("config", {}), current["config"])
    if lines:
        raise ValueError(
            f"the checkpoint in {where} was made with a different configuration:\n  "
            + "\n  ".join(lines)
            + "\nRun with the same options to resume it, or choose a new --run-dir to start a new run."
        )


def write_json_atomic(path, data: dict) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
