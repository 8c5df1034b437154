"""Command-line edges: each bad argument is one line on stderr and exit code 2, found before the work starts.

Every case here is refused before a model loads or a step compiles (the commands' checks run before JAX is
imported), so the whole file takes a few seconds.
"""

import os
import time

import numpy as np
import pytest

from mmjax.audio.wav import write_wav
from mmjax.cli import main
from mmjax.utils import safe_files


def refused(capsys, argv, *fragments):
    """Run ``mmjax argv``; assert exit 2, one line naming every fragment, no traceback, quickly."""
    start = time.perf_counter()
    code = main([str(a) for a in argv])
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("mmjax: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert str(fragment) in err, err
    assert seconds < 10, f"refused only after {seconds:.1f} s: the check came after the work"


@pytest.fixture
def places(tmp_path):
    """A file, a folder, and a name below a file (no folder can be made there)."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder").mkdir()
    return {"file": tmp_path / "a-file", "folder": tmp_path / "a-folder", "below a file": tmp_path / "a-file" / "x"}


@pytest.fixture
def wav(tmp_path):
    return write_wav(tmp_path / "tone.wav", 0.5 * np.sin(np.arange(4608) / 3.0))


def test_train_refuses_a_run_dir_that_is_a_file_or_below_one(capsys, places):
    refused(capsys, ["train", "toy", "--run-dir", places["file"]], places["file"], "is a file, not a folder")
    refused(capsys, ["train", "toy", "--run-dir", places["below a file"]], places["file"], "no folder can be made")


@pytest.mark.parametrize("seed", [2**32, 2**40, -1])
def test_seeds_outside_32_bits_are_refused_by_every_command(capsys, tmp_path, wav, seed):
    refused(capsys, ["train", "toy", "--seed", seed, "--run-dir", tmp_path / "run"], "--seed", str(seed))
    refused(capsys, ["eval", "real", "--seed", seed], "--seed", str(seed))
    refused(capsys, ["demo", "--seed", seed], "--seed", str(seed))
    refused(capsys, ["demo", "--audio", wav, "--seed", seed], "--seed", str(seed))
    refused(capsys, ["cycle", "--seed", seed], "--seed", str(seed))


def test_cycle_refuses_rounds_that_would_run_past_the_last_seed(capsys):
    refused(capsys, ["cycle", "--seed", 2**32 - 2, "--rounds", 3], "--seed + --rounds", str(2**32 + 1))


@pytest.mark.parametrize("steps", [0, -5])
def test_train_needs_at_least_one_step(capsys, tmp_path, steps):
    refused(capsys, ["train", "toy", "--steps", steps, "--run-dir", tmp_path / "run"], "--steps", "got " + str(steps))
    assert not (tmp_path / "run").exists()  # nothing was made


COMMANDS = {
    "eval --out": lambda out, wav: ["eval", "real", "--num-samples", "16", "--out", out],
    "export --out": lambda out, wav: ["export", "no-such-run", "--out", out],
    "demo --out": lambda out, wav: ["demo", "--out", out],
    "demo --sheet": lambda out, wav: ["demo", "--sheet", out],
    "demo --video --gif": lambda out, wav: ["demo", "--video", "a big red cross at the top moving left", "--gif", out],
    "demo --audio --out": lambda out, wav: ["demo", "--audio", wav, "--out", out],
    "plot --out": lambda out, wav: ["plot", "no-such-run", "--out", out],
    "cycle --out": lambda out, wav: ["cycle", "--out", out],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("place, message", [("folder", "is a folder"), ("below a file", "no folder can be made")])
def test_outputs_that_cannot_be_written_are_refused_before_the_work(capsys, places, wav, command, place, message):
    # export and plot name a run that does not exist: refusing the output first shows it is checked first
    refused(capsys, COMMANDS[command](places[place], wav), command.split()[-1], message)


def test_export_refuses_a_run_dir_that_is_a_file(capsys, places, tmp_path):
    refused(capsys, ["export", places["file"], "--out", tmp_path / "m.npz"], places["file"], "not a run folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere, so a read-only folder is not one")
def test_a_read_only_folder_is_refused(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    refused(capsys, ["train", "toy", "--run-dir", locked / "run"], "permission denied")
    refused(capsys, ["eval", "real", "--out", locked / "r.json"], "permission denied")


def test_permission_checks_use_the_os_answer(tmp_path, monkeypatch):
    """The same logic when the OS says no (run under any user, root included)."""
    monkeypatch.setattr(safe_files.os, "access", lambda path, mode: False)
    (tmp_path / "exists.json").write_text("{}")
    with pytest.raises(ValueError, match="cannot be overwritten"):
        safe_files.output_file(tmp_path / "exists.json")
    with pytest.raises(ValueError, match="cannot write in"):
        safe_files.output_file(tmp_path / "new" / "r.json")
    with pytest.raises(ValueError, match="cannot write in this folder"):
        safe_files.output_folder(tmp_path)


def test_good_outputs_pass(places, tmp_path):
    assert safe_files.output_file(places["file"]) == places["file"]  # overwritten
    assert safe_files.output_file(tmp_path / "new" / "deeper" / "r.json")  # folders made by the writer
    assert safe_files.output_folder(places["folder"]) == places["folder"]
    assert safe_files.output_folder(tmp_path / "new-run")
