"""One writer per run folder: an OS file lock that lives and dies with the process holding it.

Two ``mmjax train`` processes on one ``--run-dir`` used to find no lock: started together, the second died
on orbax's missing ``_METADATA``; started seconds apart, the second's start-up clean-up deleted the first's
save in flight, both crashed and the folder kept more checkpoints than ``keep``. Now the writer holds
``fcntl.flock`` on ``RUN_DIR/.mmjax-run.lock`` from before its clean-up until its last save is committed.

* A second writer exits at once with :class:`RunFolderBusy` (a ValueError: one line from the CLI) naming the
  holder: its pid, host and start time, which the holder writes into the lock file.
* The lock is the kernel's, on the open file: it is released when the holder exits, however it exits
  (kill -9 included), so there is never a stale lock to delete by hand. The file itself stays; its text
  is only a note about the last holder.
* Everything a writer does to the folder at start (orbax removing interrupted saves, damaged steps set
  aside) happens under the lock, so it never touches what a live process owns.
* Readers (``mmjax eval``, ``mmjax export``) take no lock: they change nothing.

The lock is re-entrant within a thread (``mmjax train`` takes it before JAX loads, so a busy folder is
refused in well under a second, and :func:`mmjax.train.loop.train` takes it again). On a network file
system the lock is as good as its ``flock`` support (Linux NFS emulates it with byte-range locks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path

LOCK_NAME = ".mmjax-run.lock"


class RunFolderBusy(ValueError):
    """Another process (or thread) is writing this run folder."""


_held: dict[str, list] = {}  # resolved folder -> [file descriptor, depth, owning thread id]
_guard = threading.Lock()


def _holder(fd: int) -> str:
    """The lock file's note about its holder; it may be mid-write for a moment, so read a few times."""
    for _ in range(20):
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode())
            return f"pid {info['pid']} on {info['host']}, running since {info['started']}"
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            time.sleep(0.025)
    return "another process (it has not written its pid yet)"


@contextlib.contextmanager
def run_lock(run_dir):
    """Hold the run folder ``run_dir`` (made if missing) for the ``with`` block; RunFolderBusy if taken."""
    folder = Path(run_dir).resolve()
    key, me = str(folder), threading.get_ident()
    with _guard:
        entry = _held.get(key)
        if entry is not None and entry[2] != me:
            raise RunFolderBusy(f"run folder {folder} is in use by another thread of this process (pid {os.getpid()})")
        if entry is not None:
            entry[1] += 1
        else:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise RunFolderBusy(
                    f"run folder {folder} is in use by {holder} (lock file {folder / LOCK_NAME}); "
                    "wait for that run to end, stop it, or choose another --run-dir"
                ) from None
            note = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(note) + "\n").encode(), 0)
            _held[key] = [fd, 1, me]
    try:
        yield folder
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                os.close(entry[0])  # closing the descriptor releases the flock
