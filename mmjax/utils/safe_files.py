"""Checks every reader of a user's file makes before opening it, and every writer before doing the work.

``regular_file`` refuses what is not a plain file before anything opens it: a FIFO or a terminal would block
``open`` or ``read`` forever, a device such as ``/dev/zero`` would never end, and a folder is a mistake
to name, not a file to read. ``output_file`` and ``output_folder`` check that a result can be written where
the user asked, so a long run never ends in a failed write. Every refusal is a ValueError naming the path
and what is wrong (``mmjax``'s CLI prints it as one line); a path that does not exist stays a
FileNotFoundError.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS.items() if test(mode)), "not a regular file")


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def regular_file(path: str | Path, what: str = "file") -> Path:
    """``path`` as a Path if it names a readable regular file (symlinks followed); otherwise
    FileNotFoundError (nothing there) or ValueError (a folder, FIFO, device or socket; unreadable)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no {what} at {path}") from None
    except OSError as error:  # a loop of symlinks, a name too long, a folder on the way we may not enter
        raise ValueError(f"cannot reach the {what} {path}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is {_kind(info.st_mode)}, not {_a(what)}: mmjax reads only regular files")
    if not os.access(path, os.R_OK):
        raise ValueError(f"cannot read the {what} {path}: permission denied")
    return path


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists (what a ``mkdir(parents=True)`` would start from)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_can_create_in(path: Path, option: str) -> None:
    """ValueError unless the folders missing above ``path`` can be made and ``path`` written."""
    base = _nearest_existing(path.parent)
    if not base.is_dir():
        raise ValueError(f"{option} {path}: {base} is a file, so no folder can be made inside it")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot write in {base} (permission denied)")


def output_file(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a Path if a file can be written there: an existing regular file we may overwrite, or a new
    name in a folder we may write in (missing folders above it are allowed: writers make them). Checked
    before the work, so an hour of training or sampling never ends in a failed write."""
    path = Path(path)
    if str(path).endswith(os.sep) or path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give a file name, e.g. {path / 'out'}")
    if path.exists() or path.is_symlink():
        info = os.stat(path) if path.exists() else None
        if info is None or not stat.S_ISREG(info.st_mode):
            kind = "a broken symlink" if info is None else _kind(info.st_mode)
            raise ValueError(f"{option} {path} is {kind}; give the name of a regular file to write")
        if not os.access(path, os.W_OK):
            raise ValueError(f"{option} {path} exists and cannot be overwritten (permission denied)")
        return path
    _check_can_create_in(path, option)
    return path


def output_folder(path: str | Path, option: str = "--run-dir") -> Path:
    """``path`` as a Path if it is a folder we may write in, or can be made as one."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{option} {path} is a file, not a folder; give a folder (it is made if missing)")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {path}: cannot write in this folder (permission denied)")
        return path
    _check_can_create_in(path, option)
    return path
