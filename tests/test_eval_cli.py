"""``mmjax eval``: reference generators give the expected floors and ceilings; report and errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from mmjax.cli import main
from mmjax.eval import generators as G
from mmjax.eval.evaluate import evaluate_captions, evaluate_images
from mmjax.eval.prompts import caption_targets, prompt_batch
from mmjax.metrics.judge import load_judge

NUM = 64


@pytest.fixture(scope="module")
def judge():
    return load_judge()[0]


@pytest.fixture(scope="module")
def scores(judge):
    kwargs = dict(split="test", num_samples=NUM, seed=0, diversity_prompts=6, samples_per_prompt=6)
    return {
        name: evaluate_images(G.BUILTIN[name][1], judge, **kwargs)
        for name in ("real", "text_ignoring", "collapsed", "deterministic")
    }


def test_perfect_generator_is_coherent_and_random_one_is_near_chance(scores):
    assert scores["real"]["coherence_all_correct"] >= 0.97
    assert scores["real"]["coherence_colour"] >= 0.99 and scores["real"]["coherence_shape"] >= 0.99
    ignoring = scores["text_ignoring"]
    assert ignoring["coherence_all_correct"] < 0.05
    assert ignoring["coherence_colour"] < 0.3  # chance is 1/6 for colour
    assert ignoring["coherence_shape"] < 0.4  # chance is 1/4 for shape


def test_quality_metrics_rank_real_above_collapsed(scores):
    real, collapsed = scores["real"], scores["collapsed"]
    assert real["shapes_fid"] < collapsed["shapes_fid"] / 5
    assert real["recall"] > 0.5 > collapsed["recall"]
    # Text-ignoring samples are real renders: quality metrics cannot see that they ignore the prompt.
    assert scores["text_ignoring"]["precision"] > 0.7


def test_diversity_catches_the_generator_that_ignores_its_noise(scores):
    assert scores["deterministic"]["pairwise_feature_distance"] < 1e-5  # float32 features: round-off only
    assert scores["deterministic"]["distinct_free_line"] == pytest.approx(1 / 3)
    assert scores["real"]["distinct_free_line"] > 0.6
    assert scores["real"]["pairwise_feature_distance"] > 0.1


def test_caption_evaluation_perfect_constant_and_stuttering():
    oracle = evaluate_captions(G.oracle_captioner, "test", 40, seed=0)
    constant = evaluate_captions(G.constant_captioner, "test", 40, seed=0)
    stutter = evaluate_captions(G.stuttering_captioner, "test", 40, seed=0)
    assert oracle["exact_match"] == 1.0 and oracle["bleu_4"] > 0.3 and oracle["cider_d"] > constant["cider_d"] + 1
    assert constant["exact_match"] < 0.1
    assert stutter["repetition"] > oracle["repetition"] + 0.1 and stutter["exact_match"] == 0.0


def test_caption_targets_leave_unstated_cells_absent():
    prompts = prompt_batch("test", 0, 30)
    targets = caption_targets(prompts["caption"])
    two = prompts["num_objects"] == 2
    assert (targets["row"][two] == -1).all() and (targets["row"][~two, 0] == prompts["row"][~two, 0]).all()
    np.testing.assert_array_equal(targets["num_objects"], prompts["num_objects"])


def test_eval_command_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["eval", "real", "--num-samples", "32", "--splits", "test", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "shapes_fid" in printed and "coherence_all_correct" in printed
    report = json.loads(out.read_text())
    assert report["num_samples"] == 32 and report["seed"] == 0 and report["splits"] == ["test"]
    assert report["results"]["real"]["test"]["coherence_all_correct"] >= 0.9
    assert report["judge"].endswith("judge/judge.npz") and Path(report["judge"]).is_file()  # the judge that scored


def test_eval_command_rejects_bad_input(capsys):
    assert main(["eval", "nonsense", "--num-samples", "32"]) == 2
    assert "unknown generator" in capsys.readouterr().err
    assert main(["eval", "real", "--splits", "validation"]) == 2
    assert "unknown split" in capsys.readouterr().err
    assert main(["eval", "real", "--checkpoint", "x"]) == 2
    assert "takes no --checkpoint" in capsys.readouterr().err


def test_video_evaluation_catches_a_frozen_video(judge):
    from mmjax.eval.evaluate import evaluate_videos

    real = evaluate_videos(G.real_video_generator, judge, "test", 32, seed=0)
    frozen = evaluate_videos(G.frozen_video_generator, judge, "test", 32, seed=0)
    assert real["coherence_motion"] >= 0.95 and real["coherence_frame_all_correct"] >= 0.95
    assert frozen["coherence_motion"] == 0.0 and frozen["coherence_frame_shape"] >= 0.95
    assert frozen["temporal_change"] == 0.0 < real["temporal_change"]


def test_audio_to_image_evaluation_scores_cells_too(judge):
    scores = evaluate_images(
        G.audio_decoding_generator, judge, "test", 32, seed=0, diversity_prompts=2, samples_per_prompt=2, audio=True
    )
    assert scores["coherence_all_correct"] >= 0.95
    assert "coherence_row" in scores and "coherence_relation" in scores
    assert "distinct_free_line" not in scores  # audio states every cell: nothing is free
