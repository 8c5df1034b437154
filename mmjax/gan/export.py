"""A trained GAN as mmjax ships it, and the weights a run starts from: one helper for every model package.

    SHIPPED = Shipped("shapes/text2image.npz", MAKE_COMMAND, TextToImageConfig, build_players)
    SHIPPED.export(state, config, path)        # G's sampling weights (its moving average), D's weights, the config
    config, g_variables = SHIPPED.load(path)   # default: the shipped file
    config, players = SHIPPED.load_players(path)          # {"generator": ..., "discriminator": ...}

The file is a safe ``.npz`` (no pickle) with the config as JSON beside the arrays
(:mod:`mmjax.utils.npz_checkpoint`, which checks every array against the model its config describes); the
optimiser states stay in the run folder. A model whose config has a ``tokenizer()`` also stores its vocabulary,
and a file written with another vocabulary is refused. ``discriminator=False`` ships G alone, its variables at
the top of the file.

Warm starts: :func:`players_from` reads the players a run starts from (an exported ``.npz`` or a run folder),
outside any ``jit``; a task's ``warm_start(config)`` hook (:class:`mmjax.train.task.Task`) calls it, the loop
hands what it read to ``init``, and :func:`start_states` makes train states of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import jax

from mmjax.gan.rounds import with_average
from mmjax.gan.sampler import sampling_variables
from mmjax.nn import functional as F
from mmjax.train.state import new_train_state
from mmjax.utils import artifacts, npz_checkpoint


def variables_of(build_players: Callable, config, discriminator: bool = True) -> dict:
    """The shapes of the players' variables for ``config`` (``{"generator", "discriminator"}``, or G's alone)."""

    def build():
        generator, judge = build_players(config, jax.random.key(0))
        if not discriminator:
            return F.split(generator)[1]
        return {"generator": F.split(generator)[1], "discriminator": F.split(judge)[1]}

    return jax.eval_shape(build)


def check_vocabulary(path, config) -> None:
    """A ValueError if ``path`` was trained with another caption vocabulary than ``config.tokenizer()``'s."""
    stored = npz_checkpoint.read_metadata(path)["extra"].get("vocabulary")
    if stored is not None and stored != config.tokenizer().vocabulary:
        raise ValueError(
            f"{path} was trained with a caption vocabulary of {len(stored)} words that differs from the "
            f"{getattr(config, 'dataset', 'shapes')!r} vocabulary of this mmjax ({config.tokenizer().vocab_size} "
            "words); it was written by another version of mmjax"
        )


@dataclasses.dataclass(frozen=True)
class Shipped:
    """Where a model ships and how its file is written and read."""

    artifact: str  # the file's place among the package's artifacts, e.g. "shapes/text2image.npz"
    make_command: str  # the command that makes it (named when it is missing)
    config_cls: type
    build_players: Callable  # (config, key) -> (G, D)
    discriminator: bool = True  # D rides along (so tuning can start from the file)

    def default_path(self) -> Path:
        """The shipped file's path (a FileNotFoundError saying how to make it if it is missing)."""
        return artifacts.artifact_path(self.artifact, self.make_command)

    def export(self, state: dict, config, path: str | Path, extra: dict | None = None) -> None:
        """Write G's sampling weights (and D's weights) of train state ``state``, ``config`` (and its vocabulary)."""
        facts = {"step": int(jax.device_get(state["generator"]["step"]))}
        if hasattr(config, "tokenizer"):
            facts["vocabulary"] = config.tokenizer().vocabulary
        variables = sampling_variables(config, state)
        if self.discriminator:
            d = state["discriminator"]
            variables = {"generator": variables, "discriminator": {"params": d["params"], "state": d["state"]}}
        npz_checkpoint.save(path, config, variables, extra={**facts, **(extra or {})})

    def load_players(self, path: str | Path | None = None) -> tuple[object, dict]:
        """``(config, {"generator": G's sampling variables, "discriminator": D's variables})`` stored at ``path``
        (default: the shipped file); G's variables alone for a model shipped without D."""
        path = self.default_path() if path is None else path
        config, variables = npz_checkpoint.load(
            path, self.config_cls, lambda config: variables_of(self.build_players, config, self.discriminator)
        )
        if hasattr(config, "tokenizer"):
            check_vocabulary(path, config)
        return config, variables

    def load(self, path: str | Path | None = None) -> tuple[object, dict]:
        """``(config, G's sampling variables)`` stored at ``path`` (default: the shipped file)."""
        config, variables = self.load_players(path)
        return config, variables["generator"] if self.discriminator else variables


def players_from(source: str | Path, shipped: Shipped, config, task_name: str, same: tuple[str, ...]) -> dict:
    """The players a run of ``config`` starts from, read now (outside ``jit``). ``source``: an exported ``.npz``
    (``{"players": {"generator": G's sampling variables, "discriminator": D's}}``: the optimisers start fresh)
    or a ``task_name`` run folder (``{"states": its latest train states}``, optimiser states and G's moving
    average included). The fields ``same`` (those that fix the players' shapes) must agree with ``config``."""
    if str(source).endswith(".npz"):
        saved, players = shipped.load_players(source)
        warm = {"players": players}
    else:
        saved, states = _run_states(source, task_name)
        warm = {"states": states}
    check_same(saved, config, same, f"{source} has other")
    return warm


def check_same(saved, config, same: tuple[str, ...], what: str, hint: str = "") -> None:
    """A ``ValueError`` "``what`` [fields] than this config``hint``" where ``saved`` and ``config`` differ in a
    field of ``same`` (those that fix the players' shapes)."""
    differ = [field for field in same if getattr(saved, field) != getattr(config, field)]
    if differ:
        raise ValueError(f"{what} {differ} than this config{hint}")


def start_states(warm: dict, optimizers: dict) -> dict:
    """The players' train states of a warm start: a run's own, or fresh optimiser states (step 0) for an exported
    file's variables, G's moving average starting at its weights."""
    if "states" in warm:
        return dict(warm["states"])
    states = {name: new_train_state(variables, optimizers[name]) for name, variables in warm["players"].items()}
    return with_average(states)


def _run_states(run_dir: str | Path, task_name: str) -> tuple[object, dict]:
    from mmjax.train.restore import load_run

    if not Path(run_dir, "checkpoints").is_dir():
        raise FileNotFoundError(f"{run_dir} is neither an exported .npz nor a run folder of `mmjax train {task_name}`")
    task, saved, state, _ = load_run(run_dir)
    if task.name != task_name:
        raise ValueError(f"{run_dir} holds a {task.name!r} run, not a {task_name!r} run")
    return saved, {player: state[player] for player in ("generator", "discriminator")}
