"""Model packages stand side by side: none reaches into another's training, export, tuning or data code.

A model package is a folder with a ``task.py`` (:func:`mmjax.train.registry.discover`). What several models
share lives in ``mmjax/gan/`` or ``mmjax/nn/``; a model built on another (text2video's frames on text2image's
players, tuning's captioner) may read that model's ``model.py`` and ``config.py``, its architecture, and
nothing else. Every import statement of every module is read with ``ast``, those inside functions included.
"""

import ast
from pathlib import Path

from mmjax.train import registry

PACKAGE = registry.PACKAGE
ALLOWED = ("model", "config")  # what one model package may import from another


def model_packages() -> dict[str, Path]:
    """``{dotted package name: folder}`` of every model package."""
    names = [module.rsplit(".", 1)[0] for module in registry.TASK_MODULES.values()]
    return {name: PACKAGE.parent.joinpath(*name.split(".")) for name in names}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as ``a.b`` and ``a.b.c``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sibling_imports() -> list[str]:
    """``"FILE imports PACKAGE.MODULE"`` for every import of another model package's module but its model/config."""
    packages = model_packages()
    wrong = set()
    for name, folder in packages.items():
        for path in sorted(folder.glob("*.py")):
            for module in imported_modules(path):
                for other, other_folder in packages.items():
                    if other == name or not module.startswith(other + "."):
                        continue
                    part = module[len(other) + 1 :].split(".")[0]
                    if part not in ALLOWED and (other_folder / f"{part}.py").exists():
                        wrong.add(f"{path.relative_to(PACKAGE.parent)} imports {other}.{part}")
    return sorted(wrong)


def test_the_model_packages_are_found():
    assert {"mmjax.text2image", "mmjax.text2video", "mmjax.audio2image", "mmjax.gan.dcgan"} <= set(model_packages())


def test_no_model_package_imports_another_ones_step_export_tuning_or_data():
    assert sibling_imports() == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from mmjax.text2image.export import load\n    import mmjax.captioner.step\n")
    assert {"mmjax.text2image.export", "mmjax.captioner.step"} <= imported_modules(module)
