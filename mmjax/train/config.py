"""Configs as small dataclasses, with dotted command-line overrides and JSON round trips.

A task's config is a (possibly nested) frozen dataclass whose fields all have defaults, one comment per
field. ``mmjax train toy --model.width 64`` becomes ``apply_overrides(config, {"model.width": "64"})``:
the text is parsed with the field's annotated type, and a wrong name or value is a clear ValueError that
lists what is accepted. The loop's own settings live in :class:`TrainConfig`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import re
import types
import typing
from typing import Any


def progress_default() -> bool:
    """Progress bars are for people: off when ``MMJAX_NO_PROGRESS=1`` or under CI (``CI`` is set)."""
    if os.environ.get("MMJAX_NO_PROGRESS", "0") not in ("", "0"):
        return False
    return not os.environ.get("CI")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of the loop itself, the same for every task (``mmjax train TASK --steps ...``)."""

    steps: int = 1000  # total train steps; a resumed run continues up to this many
    seed: int = 0  # the one seed of a run: init key, per-step key chain, data order
    run_dir: str = ""  # checkpoints, config.json, metrics.jsonl, samples; "" = runs/<task>
    checkpoint_every: int = 100  # save every N steps (and at the last); 0 = only at the end; a kill loses <= 2N steps
    keep: int = 3  # keep the N most recent checkpoints (plus the best one if the task names a metric)
    log_every: int = 10  # append train metrics to metrics.jsonl every N steps
    eval_every: int = 0  # call task.evaluate every N steps and at the end; 0 = only at the end; -1 = never
    sample_every: int = 0  # call task.sample every N steps and at the end; 0 = only at the end; -1 = never
    num_devices: int = 0  # data-parallel over this many local devices; 0 = all of them
    progress: bool = dataclasses.field(default_factory=progress_default)  # tqdm bar, else plain lines
    #   (the default is off under CI or with MMJAX_NO_PROGRESS=1)
    async_checkpoints: bool = True  # write checkpoints in a background thread
    resume: bool = True  # continue from the latest checkpoint in run_dir if there is one

    def __post_init__(self):
        # Named as both the field and its option, since the command line and Python both build these.
        lowest = {"steps": 1, "keep": 1, "log_every": 1, "eval_every": -1, "sample_every": -1}
        for name in ("steps", "checkpoint_every", "keep", "log_every", "eval_every", "sample_every", "num_devices"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < lowest.get(name, 0):
                raise ValueError(
                    f"TrainConfig.{name} (--{name.replace('_', '-')}) must be an int >= {lowest.get(name, 0)}, "
                    f"got {value!r}"
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ValueError(f"TrainConfig.seed (--seed) must be an int in 0 .. 2**32 - 1, got {self.seed!r}")
        if not isinstance(self.run_dir, str):
            raise ValueError(f"TrainConfig.run_dir (--run-dir) must be a string, got {self.run_dir!r}")

    def folder(self, task_name: str) -> str:
        """The run folder: ``run_dir``, or ``runs/<task>`` when it is empty."""
        return self.run_dir or os.path.join("runs", task_name)


# Settings that may change between a run and its resumption (everything else must match).
RESUMABLE_TRAIN_FIELDS = (
    "steps",
    "run_dir",
    "checkpoint_every",
    "keep",
    "log_every",
    "eval_every",
    "sample_every",
    "num_devices",
    "progress",
    "async_checkpoints",
    "resume",
)


def field_comments(cls: type) -> dict[str, str]:
    """The ``# comment`` after each field in a dataclass's source (used as command-line help)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    pattern = re.compile(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+)$", re.MULTILINE)
    return {name: text.strip() for name, text in pattern.findall(source)}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_dataclass_type(tp) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def leaf_fields(cls: type, prefix: str = "") -> dict[str, tuple[Any, str]]:
    """Every overridable field of a (nested) config class: dotted path -> (type, help text)."""
    hints, comments = _hints(cls), field_comments(cls)
    out = {}
    for field in dataclasses.fields(cls):
        tp, path = hints[field.name], prefix + field.name
        if _is_dataclass_type(tp):
            out.update(leaf_fields(tp, path + "."))
        else:
            out[path] = (tp, comments.get(field.name, ""))
    return out


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def parse_value(text: str, tp, where: str = "value") -> Any:
    """Parse command-line text as the annotated type ``tp`` (int, float, str, bool, tuples, X | None)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if text.lower() == "none" and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return parse_value(text, option, where)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError(f"{where}: cannot parse {text!r} as {_type_name(tp)}")
    if origin is tuple:
        items = [s.strip() for s in text.split(",") if s.strip()]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(parse_value(s, args[0], where) for s in items)
        if len(items) != len(args):
            raise ValueError(f"{where}: expected {len(args)} comma-separated values, got {text!r}")
        return tuple(parse_value(s, a, where) for s, a in zip(items, args))
    if origin is typing.Literal:
        for option in args:
            if str(option) == text:
                return option
        raise ValueError(f"{where}: {text!r} is not one of {', '.join(map(str, args))}")
    if tp is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{where}: expected true or false, got {text!r}")
    if tp in (int, float, str):
        try:
            return tp(text)
        except ValueError:
            raise ValueError(f"{where}: expected {tp.__name__}, got {text!r}") from None
    raise ValueError(f"{where}: fields of type {_type_name(tp)} cannot be set from the command line")


def apply_overrides(config, overrides: dict[str, Any]):
    """A copy of ``config`` with dotted ``{"model.width": "64"}`` overrides applied.

    Values may be strings (parsed with the field's type) or already-typed Python values.
    """
    fields = leaf_fields(type(config))
    for path, value in overrides.items():
        if path not in fields:
            close = [p for p in fields if p.split(".")[-1] == path.split(".")[-1]]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"unknown config field {path!r}{hint}; fields of {type(config).__name__}: {', '.join(fields)}"
            )
        tp = fields[path][0]
        if isinstance(value, str) and tp is not str:
            value = parse_value(value, tp, where=f"--{path}")
        config = _replace_path(config, path.split("."), value)
    return config


def _replace_path(config, parts: list[str], value):
    if len(parts) == 1:
        return dataclasses.replace(config, **{parts[0]: value})
    child = getattr(config, parts[0])
    return dataclasses.replace(config, **{parts[0]: _replace_path(child, parts[1:], value)})


def to_dict(config) -> dict:
    """A JSON-ready nested dict (tuples become lists)."""

    def convert(value):
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [convert(v) for v in value]
        return value

    return convert(config)


def _fits(value, tp) -> bool:
    """Whether a JSON value can stand for a field annotated ``tp`` (annotations it does not know pass)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(value is None if option is type(None) else _fits(value, option) for option in args)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(item, args[0]) for item in value)
        return len(value) == len(args) and all(_fits(item, a) for item, a in zip(value, args))
    if origin is typing.Literal:
        return value in args
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:  # JSON writes 1.0 as 1.0 but a hand-made file may say 1; NaN and inf are no settings
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if tp is str:
        return isinstance(value, str)
    return True


def from_dict(cls: type, data: dict, where: str = ""):
    """Rebuild a config from :func:`to_dict` output.

    Unknown keys, and values of the wrong type for their field (a string for an int, NaN for a float),
    are a ValueError naming the field: a config read from a file never reaches a model it would break.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{where or cls.__name__} must be a JSON object of {cls.__name__} fields, got {data!r:.80}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}; it has {sorted(names)}")
    kwargs = {}
    for name, value in data.items():
        tp, path = hints[name], f"{where or cls.__name__}.{name}"
        if _is_dataclass_type(tp):
            value = from_dict(tp, value, path)
        elif not _fits(value, tp):
            raise ValueError(f"{path} must be {_type_name(tp)}, got {value!r:.80} ({type(value).__name__})")
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def diff(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """Human-readable differences between two :func:`to_dict` trees: ``"model.width: 32 -> 64"``."""
    lines = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<missing>"), current.get(key, "<missing>")
        if isinstance(a, dict) and isinstance(b, dict):
            lines += diff(a, b, f"{prefix}{key}.")
        elif a != b:
            lines.append(f"{prefix}{key}: {a!r} (saved) -> {b!r} (now)")
    return lines
