"""Shipped artifacts: found inside the package by any install, overridable, and a clear error when missing."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mmjax
from mmjax.utils.artifacts import ENV_VAR, artifact_path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ("judge/judge.npz", "judge/contrastive.npz", "judge/README.md")


def test_shipped_files_live_in_the_package():
    package_dir = Path(mmjax.__file__).resolve().parent
    for name in SHIPPED:
        assert artifact_path(name, "unused").resolve() == package_dir / "artifacts" / name


def test_data_folder_of_the_clone_is_a_link_to_the_package_artifacts():
    data = REPO / "data"
    assert data.is_symlink() and os.readlink(data) == "mmjax/artifacts"  # relative: works wherever the clone is
    assert (data / "judge" / "judge.npz").is_file()
    if (REPO / ".git").exists() and shutil.which("git"):
        stored = subprocess.run(["git", "ls-files", "-s", "data"], cwd=REPO, capture_output=True, text=True).stdout
        assert stored.startswith("120000 "), stored  # git keeps it as a symbolic link, not a copy


def test_override_folder_and_the_error_that_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        artifact_path("judge/judge.npz", "mmjax train judge ... && mmjax export RUN")
    message = str(error.value)
    assert str(tmp_path / "judge" / "judge.npz") in message and ENV_VAR in message
    assert f"make it with: mmjax train judge ... && mmjax export RUN --out {tmp_path / 'judge/judge.npz'}" in message
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "judge.npz").write_bytes(b"")
    assert artifact_path("judge/judge.npz", "unused") == tmp_path / "judge" / "judge.npz"


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip())


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_loads_the_shipped_judge(tmp_path):
    """Build the wheel, install it alone into a new venv (its dependencies borrowed from this one), judge an image."""
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.fail(f"building the wheel needs setuptools>=77 (the dev extra), found {setuptools.__version__}")
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    shutil.copytree(REPO / "mmjax", source / "mmjax", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["pyproject.toml", "README.md", *(p.name for p in REPO.glob("LICENSE*"))]:
        shutil.copy(REPO / name, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", ENV_VAR)}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheels"), str(source)],
        check=True,
        env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        cwd=tmp_path,
    )
    wheel = next((tmp_path / "wheels").glob("mmjax-*.whl"))

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    site = _site_packages(python)
    # jax, flax, numpy... come from this environment's site-packages (a plain path: its editable mmjax
    # finder is a .pth file there, and .pth files of a path listed this way are not run).
    import sysconfig

    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, env=env)

    check = textwrap.dedent(f"""
        from pathlib import Path
        import numpy as np
        import mmjax
        from mmjax.data.render import render_image
        from mmjax.data.scene import sample_scene
        from mmjax.metrics.coherence import attribute_accuracy
        from mmjax.metrics.judge import judge_labels, load_judge
        from mmjax.metrics.judge.export import default_path
        from mmjax.metrics.judge.step import stack_labels

        fresh = Path({str(fresh)!r})
        assert Path(mmjax.__file__).resolve().is_relative_to(fresh), mmjax.__file__
        assert default_path().resolve().is_relative_to(fresh), default_path()
        judge, _ = load_judge()
        scenes = [sample_scene(0, "test", i) for i in range(16)]
        images = np.stack([render_image(scene) for scene in scenes])
        scores = attribute_accuracy(judge_labels(judge, images), stack_labels(scenes))
        assert scores["all_correct"] >= 15 / 16, scores
        print("judged", scores["all_correct"])
    """)
    outside = tmp_path / "elsewhere"  # not the checkout: nothing can be imported from the working directory
    outside.mkdir()
    result = subprocess.run([str(python), "-c", check], cwd=outside, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "judged" in result.stdout
