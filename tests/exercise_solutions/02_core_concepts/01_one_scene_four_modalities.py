# Exercise 1
# The change is made in a throw-away copy of the package and its data tests, never in the checkout itself.
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mmjax

ex1_source = Path(mmjax.__file__).resolve().parents[1]
ex1_copy = Path(tempfile.mkdtemp(prefix="diamond_"))
shutil.copytree(ex1_source / "mmjax", ex1_copy / "mmjax", ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
(ex1_copy / "tests").mkdir()
ex1_tests = ["test_data_render.py", "test_data_audio.py", "test_data_text.py"]
for ex1_name in ["conftest.py", *ex1_tests]:
    shutil.copy(ex1_source / "tests" / ex1_name, ex1_copy / "tests" / ex1_name)
shutil.copy(ex1_source / "pyproject.toml", ex1_copy / "pyproject.toml")  # pythonpath = ["."]: the copy is tested
ex1_attributes = ex1_copy / "mmjax" / "data" / "attributes.py"
ex1_old = 'SHAPES = ("circle", "square", "triangle", "cross")'
assert ex1_old in ex1_attributes.read_text()
ex1_attributes.write_text(ex1_attributes.read_text().replace(ex1_old, ex1_old[:-1] + ', "diamond")'))
ex1_render = ex1_copy / "mmjax" / "data" / "render.py"
ex1_branch = '    if name == "cross":\n'
assert ex1_branch in ex1_render.read_text()
ex1_render.write_text(
    ex1_render.read_text().replace(
        ex1_branch,
        '    if name == "diamond":\n        return (np.abs(dy) + np.abs(dx) - radius) / np.sqrt(2)\n' + ex1_branch,
    )
)
ex1_run = subprocess.run(
    [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        *(f"tests/{t}" for t in ex1_tests),
    ],
    cwd=ex1_copy,
    env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},  # a pytest of its own
    capture_output=True,
    text=True,
    timeout=120,
)
ex1_failed = [line for line in ex1_run.stdout.splitlines() if line.startswith("FAILED")]
print("\n".join(ex1_failed))
shutil.rmtree(ex1_copy, ignore_errors=True)  # "undo the change"
assert len(ex1_failed) == 4, ex1_run.stdout[-3000:]
assert sum("test_data_audio.py" in line for line in ex1_failed) == 2 and "IndexError" in ex1_run.stdout
assert "in note" in ex1_run.stdout or "def note" in ex1_run.stdout
assert (
    sum("test_data_text.py" in line for line in ex1_failed) == 2
    and "'diamond' is not in the vocabulary" in ex1_run.stdout
)
assert A.SHAPES == ("circle", "square", "triangle", "cross")  # the checkout is untouched

# Exercise 2
from mmjax.data.render import render_image
from mmjax.data.scene import scene_from_labels
from mmjax.utils.selfcheck import check


def ex2_area(shape: int, colour: int = 0) -> float:
    """Pixels covered by one small object of ``shape`` in the centre cell of a 16 x 16 image."""
    labels = {"num_objects": 1, "shape": [shape, 0], "colour": [colour, 0], "size": [A.SIZES.index("small"), 0]}
    labels |= {"row": [1, 0], "col": [1, 0], "relation": A.NO_RELATION, "motion": 0}
    image = render_image(scene_from_labels(labels), image_size=16)
    return float((image.max(-1) / max(A.COLOUR_RGB[colour])).sum())


ex2_areas = {name: ex2_area(shape) for shape, name in enumerate(A.SHAPES)}
print({name: round(area, 2) for name, area in ex2_areas.items()})
area_triangle = ex2_areas["triangle"]
assert check(area_triangle, expected=5.9, tol=0.3, hint="a small object's half-extent is 0.11 * image_size")
assert check(ex2_areas["circle"], expected=10, tol=0.3, name="area_circle")

# Exercise 3
ex3_spectrum = np.abs(np.fft.rfft(ex["audio"][:512]))
peak_hz = np.fft.rfftfreq(512, 1 / 8000)[np.argmax(ex3_spectrum)]
assert check(peak_hz, expected=296.9, tol=1, hint="slot 0 holds the object in cell 0")
