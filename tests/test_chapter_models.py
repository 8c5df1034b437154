"""Chapters and the shipped models they describe (chapters/README.md, "When a model ships or changes").

A chapter that loads a shipped file (a model under ``mmjax/artifacts/``, or the judge) describes that file's
behaviour in its prose, figures and Expected results. Its full-run record names every shipped file the run
loaded with the file's SHA-256 (``shipped_files``, written by ``Chapter.finish`` and kept by
``mmjax chapters verify --record``). A content hash, not a date: file times mean nothing in a fresh clone, and
a hash needs no git history. So when a model ships again, every chapter recorded with the old file fails
here, by name, until it is re-read and re-recorded.

Two checks, neither of which runs a chapter:

* the source: what a chapter's code visibly loads (``load_pretrained("shapes-video")``, ``load_judge()``,
  ``export.load()`` of a model package, ``load_generator("text2video")``, a literal ``"shapes/....npz"``) must
  be named in its record, so a chapter cannot load a model its record knows nothing of;
* the files: every hash a record names must be the hash of that file today.
"""

import json
import re
from pathlib import Path

import jupytext
import pytest

from mmjax.utils import artifacts
from mmjax.utils.chapter import records_dir

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO / "chapters").glob("*/*.py"))
SHIPPED = REPO / "mmjax" / "artifacts"  # the package's own files, not $MMJAX_ARTIFACTS

# What a call reads: shipped files by their name under mmjax/artifacts/.
CALLS = {
    r"\bload_pretrained\(\s*(?:\"shapes\"|'shapes'|name\s*=\s*\"shapes\")?\s*\)": (
        "shapes/text2image.npz",
        "shapes/captioner.npz",
    ),
    r"\bload_pretrained\(\s*[\"']shapes-video[\"']\s*\)": ("shapes-video/text2video.npz",),
    r"\bload_pretrained\(\s*[\"']shapes-audio[\"']\s*\)": ("shapes-audio/audio2image.npz",),
    r"\bload_judge\(": ("judge/judge.npz",),
    r"\bload_encoder\(": ("judge/contrastive.npz",),
    r"\bload_generator\(\s*[\"']text2image[\"']\s*\)": ("shapes/text2image.npz",),
    r"\bload_generator\(\s*[\"']captioner[\"']\s*\)": ("shapes/captioner.npz",),
    r"\bload_generator\(\s*[\"']text2video[\"']\s*\)": ("shapes-video/text2video.npz",),
    r"\bload_generator\(\s*[\"']audio2image[\"']\s*\)": ("shapes-audio/audio2image.npz",),
}
# A model package whose ``export`` module loads its shipped file (``load``, ``load_players``, ``default_path``).
EXPORTS = {
    "text2image": "shapes/text2image.npz",
    "captioner": "shapes/captioner.npz",
    "text2video": "shapes-video/text2video.npz",
    "audio2image": "shapes-audio/audio2image.npz",
    "metrics.judge": "judge/judge.npz",
    "metrics.contrastive": "judge/contrastive.npz",
}
EXPORT_USE = r"\b{alias}\.(?:load|load_players|default_path|read_metadata)\("
LITERAL = re.compile(r"[\"'](?:mmjax/artifacts/|data/)?((?:judge|shapes|shapes-video|shapes-audio)/[\w.-]+\.npz)[\"']")


def code_of(source: str) -> str:
    """The code cells of a jupytext percent script (markdown may name a model without loading it)."""
    notebook = jupytext.reads(source, fmt="py:percent")
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def shipped_files_loaded_by(source: str) -> set[str]:
    """The shipped files a chapter's code visibly loads, by name (``"shapes/text2image.npz"``)."""
    code = code_of(source)
    found = {name for pattern, names in CALLS.items() if re.search(pattern, code) for name in names}
    for package, name in EXPORTS.items():
        imports = rf"from mmjax\.{re.escape(package)} import (?:[\w, ]*\b)?export(?: as (\w+))?"
        for match in re.finditer(imports, code):
            if re.search(EXPORT_USE.format(alias=match[1] or "export"), code):
                found.add(name)
    found |= set(LITERAL.findall(code))
    return found


def unnamed_loads(source: str, record: dict, root: Path) -> set[str]:
    """Shipped files (present under ``root``) that a chapter's code loads but its record does not name."""
    loaded = {name for name in shipped_files_loaded_by(source) if (root / name).is_file()}
    return loaded - set(record.get("shipped_files", {}))


def stale_files(record: dict, root: Path) -> dict[str, str]:
    """``{name: why}`` for every shipped file a record names whose bytes under ``root`` are not the ones the
    record was made with (changed, or gone)."""
    stale = {}
    for name, recorded in record.get("shipped_files", {}).items():
        path = root / name
        if not path.is_file():
            stale[name] = f"{name} is no longer shipped"
        elif artifacts.sha256(path) != recorded:
            stale[name] = f"{name} has changed since the record was made"
    return stale


def record_of(path: Path) -> dict | None:
    record = records_dir(path) / f"{path.stem}.json"
    return json.loads(record.read_text()) if record.is_file() else None


def chapter_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def rerecord(path: Path) -> str:
    return f"re-read chapters/{chapter_id(path)} and run `mmjax chapters verify chapters/{chapter_id(path)} --record`"


LOADING = [path for path in CHAPTERS if shipped_files_loaded_by(path.read_text())]


def test_the_chapters_that_show_shipped_models_are_found():
    """The scan sees the chapters that run each shipped model (a scan that found nothing would pass vacuously)."""
    loads = {chapter_id(path): shipped_files_loaded_by(path.read_text()) for path in CHAPTERS}
    assert "shapes/text2image.npz" in loads["01_background/01_multimodal_generation.py"]
    assert "shapes-video/text2video.npz" in loads["06_applications/01_animation.py"]
    assert "shapes-audio/audio2image.npz" in loads["06_applications/02_music_visualisation.py"]
    assert "shapes/captioner.npz" in loads["05_practice/03_building_the_captioner.py"]
    assert "judge/contrastive.npz" in loads["09_faq/04_coherence_diversity.py"]
    assert not loads["04_math/02_transformer_equations.py"]
    shipped = {str(path.relative_to(SHIPPED)) for path in SHIPPED.glob("*/*.npz")}
    assert shipped <= set().union(*loads.values()), (
        f"shipped but in no chapter: {shipped - set().union(*loads.values())}"
    )


@pytest.mark.parametrize("path", LOADING, ids=chapter_id)
def test_the_record_names_every_shipped_file_the_chapter_loads(path):
    record = record_of(path)
    assert record is not None, f"no full-run record: {rerecord(path)}"
    missing = unnamed_loads(path.read_text(), record, SHIPPED)
    assert not missing, f"the chapter loads {sorted(missing)}, which its record does not name: {rerecord(path)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_the_record_was_made_with_the_shipped_files_of_today(path):
    """A model that ships again flags every chapter recorded with the old file."""
    record = record_of(path)
    if record is None:
        pytest.skip("no full-run record")
    stale = stale_files(record, SHIPPED)
    assert not stale, f"{'; '.join(stale.values())}: {rerecord(path)}"


# The two checks on made-up chapters and files: each can fail.


def test_a_changed_model_file_flags_the_record_made_with_the_old_one(tmp_path):
    (tmp_path / "shapes").mkdir()
    model = tmp_path / "shapes" / "text2image.npz"
    model.write_bytes(b"the generator as shipped")
    record = {
        "chapter": "01_background/01_topic.py",
        "shipped_files": {"shapes/text2image.npz": artifacts.sha256(model)},
    }
    assert stale_files(record, tmp_path) == {}
    model.write_bytes(b"the generator trained again")
    assert stale_files(record, tmp_path) == {
        "shapes/text2image.npz": "shapes/text2image.npz has changed since the record was made"
    }
    model.unlink()
    assert "no longer shipped" in stale_files(record, tmp_path)["shapes/text2image.npz"]
    assert stale_files({"chapter": "x.py"}, tmp_path) == {}  # a record that loaded nothing


def test_the_hash_is_the_one_artifact_path_records(tmp_path, monkeypatch):
    """What Chapter.finish writes (artifacts.used) is what the check compares: the hash of the file's bytes."""
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "judge.npz").write_bytes(b"a judge")
    monkeypatch.setenv(artifacts.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(artifacts, "_USED", {})
    artifacts.artifact_path("judge/judge.npz", "mmjax train judge")
    record = {"shipped_files": artifacts.used()}
    assert list(record["shipped_files"]) == ["judge/judge.npz"]
    assert stale_files(record, tmp_path) == {}
    (tmp_path / "judge" / "judge.npz").write_bytes(b"a judge, retrained")
    assert list(stale_files(record, tmp_path)) == ["judge/judge.npz"]


def test_the_scan_reads_code_not_prose():
    source = """# %% [markdown]
# The judge (`load_judge()`) and `mmjax.load_pretrained("shapes-audio")` are only named here.

# %%
import mmjax
from mmjax.captioner import export as captioner_export
from mmjax.text2image import export, step

video = mmjax.load_pretrained("shapes-video")
config, captioner = captioner_export.load()
print(export.default_path(), "mmjax/artifacts/judge/contrastive.npz")
"""
    assert shipped_files_loaded_by(source) == {
        "shapes-video/text2video.npz",
        "shapes/captioner.npz",
        "shapes/text2image.npz",
        "judge/contrastive.npz",
    }
    assert shipped_files_loaded_by("# %%\nfrom mmjax.text2image import export\nexport.MAKE_COMMAND\n") == set()
    assert shipped_files_loaded_by("# %%\nmodel = mmjax.load_pretrained()\n") == {
        "shapes/text2image.npz",
        "shapes/captioner.npz",
    }


def test_a_record_that_does_not_name_a_loaded_model_fails(tmp_path):
    """The source check on a made-up chapter: it loads the video model, its record names only the judge."""
    for name in ("judge/judge.npz", "shapes-video/text2video.npz"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    source = '# %%\nimport mmjax\nmodel = mmjax.load_pretrained("shapes-video")\njudge = load_judge()[0]\n'
    record = {"shipped_files": {"judge/judge.npz": artifacts.sha256(tmp_path / "judge" / "judge.npz")}}
    assert unnamed_loads(source, record, tmp_path) == {"shapes-video/text2video.npz"}
    record["shipped_files"]["shapes-video/text2video.npz"] = "0" * 64
    assert unnamed_loads(source, record, tmp_path) == set()  # named (and stale: the other check catches that)
    assert list(stale_files(record, tmp_path)) == ["shapes-video/text2video.npz"]
