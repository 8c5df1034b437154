"""Expected results: the numbers a chapter's prose quotes, stated once in a table and checked by the chapter.

A chapter records what it measures (``chapter.record("exact_match", 0.998)``) and ends with a markdown
cell headed ``## Expected results`` that holds a table, one row per recorded figure:

    | figure | full run | quick run |
    |---|---|---|
    | `exact_match`: held-out sequences decoded exactly | 0.99 .. 1.00 | > 0.4 |
    | `final_loss` | < 0.05 | - |

A band is ``v ± t``, ``a .. b``, ``> v``, ``>= v``, ``< v``, ``<= v``, or ``-`` (not checked in that mode:
the text after it says why, e.g. quick mode is too short to show the lesson). The chapter checks the column
of the mode it runs in; a committed full-run record (``chapters/records/``) lets the tests check the full
column, and every number the prose quotes next to a recorded name in backticks, without rerunning.
"""

from __future__ import annotations

import dataclasses
import math
import re

HEADING = re.compile(r"^#+\s*Expected results\s*$", re.IGNORECASE)
KEY = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
NUMBER = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
MODES = ("full", "quick")


@dataclasses.dataclass(frozen=True)
class Band:
    """An accepted interval ``[low, high]`` (either end may be open or infinite); ``None`` = not checked."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    text: str = ""

    def holds(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def parse_band(text: str) -> Band | None:
    """``"0.5 ± 0.1"``, ``"0.4 .. 0.6"``, ``"> 3"``, ``"<= 1e-5"``, or ``"-"`` (None); a ValueError otherwise."""
    text = text.strip()
    if text.startswith("-") and not re.match(NUMBER, text):
        return None  # "-" or "- (quick mode cannot show it)"
    if m := re.fullmatch(rf"({NUMBER})\s*(?:±|\+-|\+/-)\s*({NUMBER})\s*(%?)", text):
        centre, tol = float(m[1]), float(m[2])
        if m[3]:
            tol = abs(centre) * tol / 100
        return Band(centre - tol, centre + tol, text=text)
    if m := re.fullmatch(rf"({NUMBER})\s*\.\.\s*({NUMBER})", text):
        return Band(float(m[1]), float(m[2]), text=text)
    if m := re.fullmatch(rf"(>=|<=|>|<|≥|≤)\s*({NUMBER})", text):
        op, value = m[1], float(m[2])
        if op in (">", ">=", "≥"):
            return Band(low=value, low_open=op == ">", text=text)
        return Band(high=value, high_open=op == "<", text=text)
    raise ValueError(f"cannot read the band {text!r}; write 'v ± t', 'a .. b', '> v', '<= v' or '-'")


def _markdown_lines(source: str) -> list[str]:
    """The text of a jupytext percent script's markdown cells, ``# `` prefixes removed."""
    lines, in_markdown = [], False
    for line in source.splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
            continue
        if in_markdown and (line.startswith("# ") or line == "#"):
            lines.append(line[2:])
    return lines


def expected_table(source: str) -> dict[str, dict[str, Band | None]]:
    """``{figure: {"full": Band | None, "quick": Band | None}}`` from the chapter's Expected results table."""
    lines = _markdown_lines(source)
    start = next((i for i, line in enumerate(lines) if HEADING.match(line)), None)
    if start is None:
        return {}
    table = {}
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break  # the next heading ends the section
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.strip().startswith("|") else []
        if len(cells) < 3 or not KEY.search(cells[0]):
            continue
        name = KEY.search(cells[0])[1]
        table[name] = {"full": parse_band(cells[1]), "quick": parse_band(cells[2])}
    return table


def prose_quotes(source: str) -> list[tuple[str, float, str]]:
    """``(figure, number, line)`` for every markdown line outside the table that names one of the table's
    figures in backticks and quotes a number after it (``the `exact_match` reaches 0.99``); the tests check
    those numbers against the full-run record too."""
    figures = set(expected_table(source))
    lines = _markdown_lines(source)
    quotes, in_table_section = [], False
    for line in lines:
        if HEADING.match(line):
            in_table_section = True
            continue
        if line.startswith("#"):
            in_table_section = False
        if in_table_section:
            continue
        for match in KEY.finditer(line):
            if match[1] not in figures:
                continue
            number = re.search(rf"(?<![\w.`])({NUMBER})(?![\w`])", line[match.end() :].split(";")[0])
            if number:
                quotes.append((match[1], float(number[1]), line))
    return quotes


def check(values: dict[str, float], table: dict[str, dict[str, Band | None]], mode: str) -> list[dict]:
    """One row per table figure: ``{"figure", "value", "expected", "status"}`` with status pass / FAIL /
    not checked; a figure the chapter never recorded fails."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    rows = []
    for name, bands in table.items():
        band = bands[mode]
        value = values.get(name)
        if band is None:
            status = "not checked"
        elif value is None:
            status = "FAIL (never recorded)"
        else:
            status = "pass" if band.holds(float(value)) else "FAIL"
        rows.append({"figure": name, "value": value, "expected": band.text if band else "-", "status": status})
    return rows


def format_rows(rows: list[dict]) -> str:
    """The check as a plain-text table."""
    lines = [f"{'figure':32s} {'value':>12s}  {'expected':18s} status"]
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:.4g}"
        lines.append(f"{row['figure']:32s} {value:>12s}  {row['expected']:18s} {row['status']}")
    return "\n".join(lines)
