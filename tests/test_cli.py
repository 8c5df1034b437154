"""The ``mmjax`` command line: help, the data preview, and one-line errors for bad input."""

import subprocess
import sys

from mmjax.cli import main


def test_help_lists_subcommands(capsys):
    assert main([]) == 0
    assert "data" in capsys.readouterr().out


def test_data_preview_writes_a_png(tmp_path):
    out = tmp_path / "preview.png"
    assert main(["data", "preview", "--out", str(out), "--num-images", "4", "--num-videos", "1"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    code = main(["data", "preview", "--out", str(tmp_path / "x.png"), "--image-size", "8"])
    assert code == 2
    err = capsys.readouterr().err
    assert "image_size 8 cannot hold" in err and "Traceback" not in err


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "mmjax.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "data" in result.stdout
