"""Options of every ``mmjax`` command: no abbreviations, and a misspelt option names the closest real one."""

import argparse
import subprocess
import sys

import pytest

from mmjax.cli import build_parser, main
from mmjax.cli_parser import Parser
from mmjax.train import registry
from mmjax.train.cli import build_task_parser, parse_train_args


def _refused(argv, capsys) -> str:
    """stderr of ``mmjax ARGV``, which must stop with status 2 and no traceback."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return captured.err


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_every_command_parser_is_the_shared_one_without_abbreviations():
    parsers = list(_parsers(build_parser()))
    names = {parser.prog for parser in parsers}
    # sub-commands registered in other modules (assignment, its actions) inherit the class too
    assert {"mmjax", "mmjax demo", "mmjax data sound", "mmjax assignment grade", "mmjax train"} <= names
    for parser in [*parsers, build_task_parser(registry.get_task("toy"))]:
        assert isinstance(parser, Parser) and parser.allow_abbrev is False, parser.prog


def test_an_abbreviated_option_is_refused_naming_the_full_one(capsys):
    err = _refused(["train", "toy", "--step", "10"], capsys)
    assert err == "mmjax train toy: error: unknown option --step; did you mean --steps?\n"


def test_a_misspelt_option_names_the_closest_and_leaves_the_prompt_out(capsys):
    err = _refused(["demo", "--seeed", "3", "a big red circle at the upper left"], capsys)
    assert err == "mmjax demo: error: unknown option --seeed; did you mean --seed?\n"
    err = _refused(["data", "preview", "--num-image=4"], capsys)  # the value after = is not part of the name
    assert err == "mmjax data preview: error: unknown option --num-image; did you mean --num-images?\n"


def test_an_unknown_option_with_no_close_one_points_to_help(capsys):
    err = _refused(["demo", "--zzz", "a big red circle at the upper left"], capsys)
    assert err == "mmjax demo: error: unknown option --zzz; `mmjax demo --help` lists the options\n"
    # "--" shared by every long option must not make --steps look like --help
    assert "did you mean" not in _refused(["train", "--steps", "3"], capsys)


def test_other_parse_errors_are_one_line_from_the_parser_given_them(capsys):
    assert _refused(["demo", "a", "b"], capsys).startswith("mmjax demo: error: unexpected argument: 'b'")
    err = _refused(["demo", "--seed", "x"], capsys)
    assert err.count("\n") == 1 and err.startswith("mmjax demo: error: argument --seed: invalid int value: 'x'")


def test_full_options_still_work():
    args = build_parser().parse_args(["demo", "--seed", "3", "a big red circle at the upper left"])
    assert (args.seed, args.text) == (3, "a big red circle at the upper left")
    _, train_config, extras = parse_train_args(registry.get_task("toy"), ["--steps", "10", "--no-compile-cache"])
    assert train_config.steps == 10 and extras["compile_cache"] is False


def test_short_flags_still_group_and_take_attached_values():
    parser = Parser(prog="t")
    parser.add_argument("-n", type=int, default=0)
    parser.add_argument("-v", action="store_true")
    assert vars(parser.parse_args(["-n3"])) == {"n": 3, "v": False}
    assert vars(parser.parse_args(["-vn", "4"])) == {"n": 4, "v": True}
    assert vars(parser.parse_args(["-n", "-5"])) == {"n": -5, "v": False}  # a negative number is a value


def test_stand_alone_scripts_refuse_abbreviations_too(capsys):
    from mmjax.pretrained.model_card import main as model_card

    with pytest.raises(SystemExit) as stop:
        model_card(["--text2image-run", "a", "--captioner-run", "b", "--reports", "c", "--out", "d", "--tuning", "e"])
    assert stop.value.code == 2
    assert "unknown option --tuning; did you mean --tuning-run?" in capsys.readouterr().err


def test_console_reports_a_misspelt_option_as_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "mmjax.cli", "demo", "--seeed", "3", "a big red circle"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr == "mmjax demo: error: unknown option --seeed; did you mean --seed?\n"
