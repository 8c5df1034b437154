"""Exercises you can check: ``check(your_value, expected, tol)`` answers "right" or "not yet, because ...".

    from mmjax.utils.selfcheck import check
    check(my_fid, expected=2.7, tol=0.5, hint="compare the real set with itself, 500 samples per split")

Every numeric exercise in the chapters states what you should observe as a number with a tolerance; this is
that statement, run. It returns True or False and prints one line, so it works in a notebook and a script.
"""

from __future__ import annotations

import math


def check(
    answer, expected: float, tol: float | None = None, rtol: float | None = None, hint: str = "", name: str = "answer"
) -> bool:
    """Right when ``|answer - expected| <= tol + rtol * |expected|`` (default ``rtol`` 1%)."""
    if tol is None and rtol is None:
        rtol = 0.01
    allowed = (tol or 0.0) + (rtol or 0.0) * abs(expected)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        print(f"not yet, because {name} should be a number, got {type(answer).__name__} {answer!r}")
        return False
    if not math.isfinite(value):
        print(f"not yet, because {name} is {value}: something diverged or divided by zero")
        return False
    error = value - expected
    if abs(error) <= allowed:
        print(f"right: {name} = {value:.4g} (expected {expected:.4g} ± {allowed:.2g})")
        return True
    direction = "above" if error > 0 else "below"
    message = f"not yet, because {name} = {value:.4g} is {direction} the expected {expected:.4g} ± {allowed:.2g}"
    print(message + (f"; hint: {hint}" if hint else ""))
    return False
