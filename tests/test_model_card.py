"""The model card is written from runs and reports alone: the command that reproduces a run, its figures."""

import argparse
import json

from mmjax.pretrained import model_card
from mmjax.train import loop, registry
from mmjax.train.config import TrainConfig, apply_overrides


def test_card_reconstructs_the_command_and_tabulates_reports(tmp_path):
    task = registry.get_task("toy")
    config = apply_overrides(task.default_config(), {"num_train_examples": 40, "batch_size": 8, "model.width": 16})
    run_dir = tmp_path / "run"
    loop.train(task, config, TrainConfig(steps=4, run_dir=str(run_dir), eval_every=2, progress=False, seed=3))
    facts = model_card.run_facts(run_dir)
    assert facts["steps"] == 4 and facts["evals"] and facts["wall_s"] > 0
    command = model_card.command_of(facts)
    assert command.startswith("mmjax train toy --steps 4 --seed 3")
    assert "--batch_size 8" in command and "--model.width 16" in command and "--seed 3" in command
    assert "learning_rate" not in command  # defaults are not repeated

    reports = tmp_path / "reports"
    reports.mkdir()
    scores = {"coherence_all_correct": 0.5, "shapes_fid": 3.0}
    (reports / "text2image_base.json").write_text(json.dumps({"results": {"text2image": {"test": scores}}}))
    cycle = {"split": "test", "rounds": [{"round": 1, "image_agreement": 0.4, "caption_agreement": 0.3}]}
    (reports / "cycle_test_base.json").write_text(json.dumps(cycle))
    args = argparse.Namespace(
        text2image_run=str(run_dir),
        captioner_run=str(run_dir),
        tuning_run=None,
        reports=str(reports),
        shipped_generator="base",
        note=["Measured on a shared machine."],
        out=str(tmp_path / "card"),
    )
    card = model_card.write_card(args).read_text()
    assert command in card and "| text2image_base | test | 0.500 |" in card and "| 0.400 | 0.300 |" in card
    assert "## Notes\n\nMeasured on a shared machine." in card
    assert (tmp_path / "card" / "eval_curves.png").stat().st_size > 0
    assert json.loads((tmp_path / "card" / "text2image.config.json").read_text())["config"]["model"]["width"] == 16


def test_a_tuned_generator_ships_the_tuning_runs_config_and_an_untrained_captioner_keeps_its_own(tmp_path):
    task = registry.get_task("toy")
    runs = {}
    for name, width in (("base", 16), ("tuned", 8)):
        config = apply_overrides(
            task.default_config(), {"num_train_examples": 40, "batch_size": 8, "model.width": width}
        )
        runs[name] = tmp_path / name
        loop.train(task, config, TrainConfig(steps=2, run_dir=str(runs[name]), eval_every=2, progress=False))
    (tmp_path / "reports").mkdir()
    out = tmp_path / "card"
    out.mkdir()
    (out / "captioner.config.json").write_text('{"kept": true}')
    args = argparse.Namespace(
        text2image_run=str(runs["base"]),
        captioner_run=None,
        tuning_run=str(runs["tuned"]),
        reports=str(tmp_path / "reports"),
        shipped_generator="tuned",
        note=[],
        out=str(out),
    )
    card = model_card.write_card(args).read_text()
    assert "| tuning | `mmjax train toy --steps 2" in card and "| captioner |" not in card
    assert json.loads((out / "text2image.config.json").read_text())["config"]["model"]["width"] == 8
    assert json.loads((out / "captioner.config.json").read_text()) == {"kept": True}
