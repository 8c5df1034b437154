"""Configs, dotted overrides, the task registry and the CLI parser (no training here)."""

import dataclasses
import sys
import types

import pytest

from mmjax.train import config as config_lib
from mmjax.train import registry
from mmjax.train.cli import parse_train_args
from mmjax.train.config import TrainConfig
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.task import TASK as TOY


@dataclasses.dataclass(frozen=True)
class Inner:
    width: int = 8  # units
    dims: tuple[int, ...] = (1, 2)  # a tuple field
    act: str = "gelu"  # activation name


@dataclasses.dataclass(frozen=True)
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)  # nested
    rate: float = 0.1  # learning rate
    flag: bool = False  # a switch
    maybe: int | None = None  # optional


def test_apply_overrides_parses_each_type_and_nests():
    cfg = config_lib.apply_overrides(
        Outer(),
        {"inner.width": "64", "inner.dims": "3,4,5", "rate": "3e-4", "flag": "true", "maybe": "7", "inner.act": "relu"},
    )
    assert cfg == Outer(Inner(64, (3, 4, 5), "relu"), 3e-4, True, 7)
    assert config_lib.apply_overrides(cfg, {"maybe": "none"}).maybe is None
    assert Outer().inner.width == 8  # the original is untouched (frozen, replaced)


def test_bad_overrides_say_what_is_accepted():
    with pytest.raises(ValueError, match=r"unknown config field 'width'.*did you mean inner.width"):
        config_lib.apply_overrides(Outer(), {"width": "3"})
    with pytest.raises(ValueError, match=r"--inner.width: expected int, got 'wide'"):
        config_lib.apply_overrides(Outer(), {"inner.width": "wide"})
    with pytest.raises(ValueError, match="expected true or false"):
        config_lib.apply_overrides(Outer(), {"flag": "maybe"})


def test_dict_round_trip_and_diff():
    cfg = Outer(Inner(3, (9,), "tanh"), 0.5, True, None)
    data = config_lib.to_dict(cfg)
    assert data["inner"]["dims"] == [9]  # JSON-ready
    assert config_lib.from_dict(Outer, data) == cfg
    assert config_lib.diff(data, config_lib.to_dict(Outer())) == [
        "flag: True (saved) -> False (now)",
        "inner.act: 'tanh' (saved) -> 'gelu' (now)",
        "inner.dims: [9] (saved) -> [1, 2] (now)",
        "inner.width: 3 (saved) -> 8 (now)",
        "rate: 0.5 (saved) -> 0.1 (now)",
    ]
    with pytest.raises(ValueError, match="has no fields"):
        config_lib.from_dict(Outer, {"nope": 1})


def test_field_comments_become_help():
    assert config_lib.field_comments(Inner) == {"width": "units", "dims": "a tuple field", "act": "activation name"}
    assert config_lib.leaf_fields(Outer)["inner.width"] == (int, "units")


def test_train_config_validates():
    for steps in (-1, 0):
        with pytest.raises(ValueError, match=r"steps \(--steps\) must be an int >= 1"):
            TrainConfig(steps=steps)
    with pytest.raises(ValueError, match=r"keep \(--keep\) must be an int >= 1"):
        TrainConfig(keep=0)
    for seed in (-1, 2**32, 2**64):
        with pytest.raises(ValueError, match=r"seed \(--seed\) must be an int in 0 .. 2\*\*32 - 1"):
            TrainConfig(seed=seed)
    assert TrainConfig(seed=2**32 - 1, steps=1).seed == 2**32 - 1


def test_cli_options_map_to_both_configs(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("MMJAX_NO_PROGRESS", raising=False)
    config, train_config, extras = parse_train_args(
        TOY, ["--steps", "7", "--model.width", "5", "--learning_rate", "0.5", "--no-compile-cache", "--run-dir", "r"]
    )
    assert config == ToyConfig(model=dataclasses.replace(ToyConfig().model, width=5), learning_rate=0.5)
    assert (train_config.steps, train_config.run_dir, train_config.progress) == (7, "r", True)
    assert extras["compile_cache"] is False
    assert parse_train_args(TOY, ["--no-progress"])[1].progress is False
    monkeypatch.setenv("MMJAX_NO_PROGRESS", "1")  # the CI switch, no flag needed
    assert parse_train_args(TOY, [])[1].progress is False
    assert TrainConfig().progress is False  # the library default follows it too
    monkeypatch.delenv("MMJAX_NO_PROGRESS")
    monkeypatch.setenv("CI", "true")
    assert TrainConfig().progress is False


def test_registry_lists_tasks_and_explains_missing_ones(monkeypatch):
    assert registry.get_task("toy") is TOY
    with pytest.raises(ValueError, match=r"unknown task 'nope'; available tasks: .*toy"):
        registry.get_task("nope")
    monkeypatch.setitem(registry.TASK_MODULES, "ghost", "mmjax.no_such_area.task")
    with pytest.raises(ValueError, match=r"'mmjax.no_such_area.task', which is not available.*available tasks"):
        registry.get_task("ghost")


def test_registry_module_conventions(monkeypatch):
    """A task module exposes one TASK; unregistered ones run by their module address."""
    a = dataclasses.replace(TOY, name="a")
    module = types.ModuleType("fake_pkg.task")
    module.TASK = a
    monkeypatch.setitem(sys.modules, "fake_pkg.task", module)
    monkeypatch.setitem(registry.TASK_MODULES, "a", "fake_pkg.task")
    assert registry.get_task("a") is a
    assert registry.get_task("fake_pkg.task") is a
    assert registry.get_task("fake_pkg.task:a") is a
    with pytest.raises(ValueError, match="has no task 'c'; its TASK is 'a'"):
        registry.get_task("fake_pkg.task:c")
    empty = types.ModuleType("fake_pkg.empty")
    monkeypatch.setitem(sys.modules, "fake_pkg.empty", empty)
    with pytest.raises(ValueError, match="defines no TASK"):
        registry.get_task("fake_pkg.empty")


def test_task_contract_checks_and_binding():
    with pytest.raises(TypeError, match="config_cls must be a dataclass"):
        dataclasses.replace(TOY, config_cls=dict)
    with pytest.raises(ValueError, match="best_mode must be 'min' or 'max'"):
        dataclasses.replace(TOY, best_mode="lowest")
    with pytest.raises(ValueError, match="name the metrics evaluate returns in eval_keys"):
        dataclasses.replace(TOY, eval_keys=(), best_metric=None)
    with pytest.raises(ValueError, match="best_metric 'loss' is not one of eval_keys"):
        dataclasses.replace(TOY, best_metric="loss")
    with pytest.raises(ValueError, match=r"evaluate returned \['mse'\], but eval_keys declares \['test_mse'\]"):
        TOY.check_eval_metrics({"mse": 1.0})
    bound = TOY.bound_train_step(ToyConfig(), num_steps=10)
    assert bound.func is TOY.train_step and set(bound.keywords) == {"config", "optimizer"}


def test_config_field_may_not_shadow_loop_options():
    @dataclasses.dataclass(frozen=True)
    class Clash:
        steps: int = 3  # would be ambiguous with --steps

    from mmjax.train.cli import build_task_parser

    with pytest.raises(ValueError, match="clashes with the loop option --steps"):
        build_task_parser(dataclasses.replace(TOY, config_cls=Clash))


@pytest.mark.parametrize("name", registry.available_tasks())
def test_every_registered_task_builds_its_help(name, capsys):
    """`mmjax train NAME --help` renders for every task (comments may hold '%', as in '10% of steps')."""
    from mmjax.train.cli import build_task_parser

    task = registry.get_task(name)
    build_task_parser(task).print_help()
    assert f"mmjax train {name}" in capsys.readouterr().out
