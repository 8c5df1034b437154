"""Metrics as one JSON object per line (``metrics.jsonl``): appendable, greppable, crash-tolerant.

Each record is ``{"step": int, "split": "train" | "eval", "time": seconds since this process
started training (0 again after a resume), <metric>: float, ...}``. A run that resumes from
checkpoint step s first drops every record with step > s (they describe steps that will be trained
again), so the log of a resumed run reads exactly like that of an uninterrupted one. A torn last
line (the process was killed mid-write) is skipped when reading.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path


def _jsonable(value):
    value = float(value) if not isinstance(value, (int, str, bool)) else value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf; keep them readable
    return value


def read_metrics(path) -> list[dict]:
    """All complete records of a JSONL file (an unfinished last line is ignored)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class MetricsLog:
    """Append-only JSONL writer; ``truncate_after(step)`` on resume."""

    def __init__(self, path, enabled: bool = True):
        self.path = Path(path)
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """Keep only records with ``step <= step`` (atomically rewritten)."""
        if not self.enabled or not self.path.exists():
            return
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= step]
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
        os.replace(tmp, self.path)

    def write(self, step: int, split: str, metrics: dict, **extra) -> dict:
        record = {
            "step": int(step),
            "split": split,
            **{k: _jsonable(v) for k, v in extra.items()},
            **{k: _jsonable(v) for k, v in metrics.items()},
        }
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
        return record
