"""Helpers shared by the chapter scripts: quick mode and the output folder for figures."""

from __future__ import annotations

import os
from pathlib import Path


def quick_mode() -> bool:
    """True when ``MMJAX_QUICK=1``: chapters then use tiny sizes so tests can run them in seconds."""
    return os.environ.get("MMJAX_QUICK", "0") == "1"


def output_dir(chapter: str) -> Path:
    """Folder for a chapter's figures: ``$MMJAX_OUT`` if set, else ``out/chapters/<chapter>``."""
    root = Path(os.environ.get("MMJAX_OUT", Path("out") / "chapters"))
    folder = root / chapter
    folder.mkdir(parents=True, exist_ok=True)
    return folder
