"""The evaluation report: one JSON document and a plain-text table of every figure."""

from __future__ import annotations

import json
import math
from pathlib import Path


def format_table(columns: dict[str, dict[str, float]]) -> str:
    """Metrics as rows, one column per evaluated setting (e.g. split or generator)."""
    names = list(dict.fromkeys(k for column in columns.values() for k in column))
    width = max(len(n) for n in names) + 2
    header = "metric".ljust(width) + "".join(c.rjust(max(14, len(c) + 2)) for c in columns)
    lines = [header, "-" * len(header)]
    for name in names:
        cells = []
        for column_name, column in columns.items():
            value = column.get(name)
            text = "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
            cells.append(text.rjust(max(14, len(column_name) + 2)))
        lines.append(name.ljust(width) + "".join(cells))
    return "\n".join(lines)


def write_report(report: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
