"""Test-session settings that make the suite compile less, without changing what any test asserts.

The tests compile far more than they compute: tiny models, a few steps, each a new XLA program. Two settings
cut that cost, for this process and (through the environment) for every subprocess a test starts:

* XLA's CPU backend at optimisation level 1 (``--xla_backend_optimization_level=1``; the default is 3): LLVM
  spends less time optimising the generated loops. Measured on one core: a 4-step audio2image run with resume
  32 -> 28 s. Results differ from the default level only in float rounding (a train step's loss agrees to the
  last digit or two); every comparison a test makes is between runs under the same settings, or has a
  tolerance. Level 0 would compile faster still (21 s) but is not used: on XLA CPU it returned NaN from a
  small dot_general that levels 1 to 3 compute correctly (chapter 4.1's discriminator). Speed is measured by
  ``python -m bench``, at the default level, never here.
* One persistent compilation cache for the session, shared by the xdist workers and by subprocesses (chapters,
  the CLI): a program one test compiled (the shipped models' sampling, a tiny config's step) is loaded by the
  next. It lives under pytest's temporary folder, which pytest prunes, so nothing is written to ``~/.cache``;
  tests that choose their own cache folder (``MMJAX_CACHE_DIR``, ``--compile-cache-dir``) still get theirs.
"""

import os

import pytest

# Before any test starts JAX's backend, which reads XLA_FLAGS once.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=1").strip()

from mmjax.train.compile_cache import enable_compilation_cache  # noqa: E402  (imports JAX)


@pytest.fixture(scope="session", autouse=True)
def shared_compilation_cache(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    # xdist workers get sibling folders (.../popen-gw0, .../popen-gw1): the parent is the session's
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "jax-cache"
    folder.mkdir(exist_ok=True)
    for name, value in {
        "JAX_COMPILATION_CACHE_DIR": str(folder),  # read by subprocesses when they import JAX
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        "MMJAX_CACHE_DIR": str(folder),  # what `mmjax train` / `mmjax demo` enable by default
    }.items():
        os.environ.setdefault(name, value)
    enable_compilation_cache(os.environ["JAX_COMPILATION_CACHE_DIR"])
    return folder


# The slow tier (``-m slow``), beside the tests marked ``@pytest.mark.slow`` in their own files: the tests below
# train a model through the loop (a tiny one, but every task compiles its full train step, evaluation and
# sampling), start training processes, grade an assignment whose tests compile JAX programs in a worker, or
# compile a full-size model's train step or sampler. The fast tier still imports every module these touch
# (tests/test_package_imports.py) and tests their parts at small sizes: layers, losses, decoding, data, the
# loop's resume on the toy task; the slow tier is what runs each model's whole step and each shipped model.
SLOW_TIER = {
    "tests/test_tasks.py::test_two_steps_stop_resume_two_more_equals_four_uninterrupted": "compile + resume",
    "tests/test_audio2image.py::test_a_short_run_evaluates_exports_and_draws_the_same_images_everywhere": "a run",
    "tests/test_captioner.py::test_a_short_run_lowers_the_loss_and_evaluates_its_keys": "a run",
    "tests/test_text2image_tfds.py::test_tiny_run_on_mock_cifar10_draws_a_cat_and_exports_its_vocabulary": "a run",
    "tests/test_text2video_run.py::test_train_frames_false": "a run (shared module fixture)",
    "tests/test_text2video_run.py::test_a_few_steps_through_the_loop": "a run (shared module fixture)",
    "tests/test_text2video_run.py::test_export_then_load": "a run (shared module fixture)",
    "tests/test_text2video_run.py::test_mmjax_eval_scores_the_run": "a run (shared module fixture)",
    "tests/test_text2video_run.py::test_frames_from_a_text2image_file": "a run",
    "tests/test_train_subprocess.py::": "training processes, killed and resumed",
    "tests/test_distributed.py::test_two_slurm_processes": "two training processes",
    "tests/test_eval_models.py::test_text2image_run_export": "a run, exported and evaluated",
    "tests/test_eval_models.py::test_captioner_run_export": "a run, exported and evaluated",
    "tests/test_gan_tasks.py::test_mmjax_train_gan2d_anneals": "runs",
    "tests/test_assignments.py::test_reference_scores_full_marks": "grades every assignment's compiled tests",
    "tests/test_assignments.py::test_planted_mistake_loses": "grades every assignment with a mistake planted",
    "tests/test_eval_dcgan.py::test_trained_run_loads_as_an_image_generator": "a run, exported and evaluated",
    "tests/test_bench.py::test_bench_cli_writes_every_figure_it_prints": "compiles and times every bench case",
    "tests/test_bench.py::test_bench_scaling_fits_the_batch_law": "times a case at several batch sizes",
    "tests/test_bench.py::test_scanned_gan2d_case_counts_every_step": "compiles a scanned training run",
    "tests/test_gan_two_player.py::test_seeds_trained_in_turn_or_in_parallel": "two short runs per seed",
    "tests/test_gan_two_player.py::test_dcgan_donated_step": "compiles the full-size DCGAN step",
    "tests/test_gan_two_player.py::test_steps_scanned_in_one_call": "compiles a scanned and an unscanned run",
    "tests/test_gan_identity.py::": "samples every shipped GAN at full size",
    "tests/test_captioner.py::test_train_step_loss_is_the_teacher_forced": "compiles the captioner's train step",
    "tests/test_captioner.py::test_beam_search_captions_match": "compiles beam search at several widths",
    "tests/test_text2image.py::test_train_step_updates_both_players": "compiles the text-to-image train step",
    "tests/test_text2image_slots.py::test_a_train_step_with_slots_trains_the_reading_and_both_cell_heads": (
        "compiles the text-to-image train step with slots"
    ),
    "tests/test_text2image.py::test_tuning_starts_from_an_export": "exports, then compiles the tuning step",
    "tests/test_judge.py::test_export_command_writes_the_judge_a_run_trained": "a run, exported",
    "tests/test_judge.py::test_training_step_lowers_the_loss": "compiles the judge's train step",
    "tests/test_gan_models.py::test_dcgan_shapes_dtypes_and_bad_conditions": "compiles DCGAN at full size",
    "tests/test_audio2image.py::test_players_draw_images_in_range": "compiles both players at full size",
    "tests/test_audio2image.py::test_the_clip_and_the_latent_both_change_the_image": "compiles G twice",
    "tests/test_text2image.py::test_generator_draws_images_in_range": "compiles both players",
    "tests/test_text2image.py::test_captions_change_the_image": "compiles G for three caption sets",
    "tests/test_text2image.py::test_the_tuning_captioner_is_read_the_same": "compiles the captioner in and out of jit",
    "tests/test_captioner.py::test_logits_and_decoded_shapes": "compiles the captioner's forward and decoding",
    "tests/test_text2video.py::test_cell_moves_one_grid_cell": "compiles G and D_clip on four slides",
    "tests/test_text2video.py::test_clips_have_the_configured_shape": "compiles G and both discriminators",
    "tests/test_text2video.py::test_discriminator_loss_is_the_frame_loss": "compiles the video D loss",
    "tests/test_text2video.py::test_generator_loss_reads_both": "compiles the video G loss",
    "tests/test_text2video.py::test_cell_direction_loss_is_the_cross_entropy": "compiles the video G loss (cell)",
    "tests/test_text2video.py::test_an_untrained_generator_draws_still_clips_and_its_motion_layer_moves_them[code]": (
        "the per-frame-code generator (shift and cell stay fast)"
    ),
    "tests/test_seq2seq.py::test_task_follows_the_training_contract": "compiles seq2seq's train step and decoding",
    "tests/test_metrics_r_precision.py::test_clip_loss_matches_a_numpy_reference": "compiles the encoder's step",
}
FAST_EXCEPTIONS = ("[toy]",)  # the toy task's resume stays in the fast tier: the loop's contract, in seconds


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        slow = any(item.nodeid.startswith(prefix) for prefix in SLOW_TIER)
        if slow and not item.nodeid.endswith(FAST_EXCEPTIONS):
            item.add_marker(pytest.mark.slow)
    # A renamed test would silently fall back into the fast tier: every entry of a collected file must match.
    collected = {item.nodeid.split("::")[0] for item in items}
    stale = [
        prefix
        for prefix in SLOW_TIER
        if prefix.split("::")[0] in collected and not any(item.nodeid.startswith(prefix) for item in items)
    ]
    whole_files = not any("::" in arg for arg in config.args)  # one test asked for by its id leaves its file partial
    if stale and whole_files and not config.getoption("keyword") and not config.getoption("deselect"):
        raise pytest.UsageError(f"tests/conftest.py SLOW_TIER names tests that do not exist: {stale}")
