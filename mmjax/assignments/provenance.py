"""Which graded functions a student's file takes from the installed library instead of writing them.

The reference solutions ship inside mmjax (the library runs them), so a body such as
``from mmjax.nn.attention import scaled_dot_product_attention as f; return f(q, k, v)`` would pass every
test. This reads each file of the assignment as a syntax tree (nothing is run) and follows every name that
leads into a *reference module*, the library module a file of the assignment was copied from:

    import mmjax.nn.attention [as a]          from mmjax.nn.attention import f [as g]
    import mmjax / import mmjax.nn             from mmjax.nn import attention / from mmjax import nn
    importlib.import_module("mmjax.nn.attention")      __import__("mmjax.nn.attention")
    sys.modules["mmjax.nn.attention"]

A use *reaches* the reference when its dotted path (the bound name, then its attributes:
``mmjax.nn.attention.causal_mask``) is the reference module, a package above it, or a graded name inside it;
``mmjax.data.audio.SAMPLE_RATE`` does not. The starter copy's own imports (``from mmjax.nn.attention import
MultiHeadAttention`` in the transformer's ``encoder.py``) are the assignment's and stay allowed.

A use inside a graded function costs that function. A use elsewhere taints the name it defines (a helper
function, ``f = mmjax...`` at module level) and costs every graded function that uses the tainted name; one
that defines nothing (``globals().update(...)``) costs every graded function of the file. A graded function
that merely calls a taken one is not charged here: the call raises the taken one's reason while it runs. Computed module
names (``"mmjax." + "nn.attention"``), ``open``/``exec`` of the installed source and ``getattr`` chains on
``sys`` are not seen here; ``guard.py`` catches most of them while the tests run.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from pathlib import Path

from mmjax.assignments import catalog
from mmjax.assignments.regions import stub_source


@dataclasses.dataclass(frozen=True)
class Taken:
    file: str  # the student's file, e.g. "attention.py"
    function: str  # the graded function's qualified name in it, e.g. "MultiHeadAttention.attend"
    line: int  # where the file reaches the reference module
    module: str  # the reference module, e.g. "mmjax.nn.attention"

    @property
    def message(self) -> str:
        short = self.function.split(".")[-1]
        return (
            f"{short} must be written, not imported: {self.file} line {self.line} takes it from {self.module}, "
            "the library module that holds the reference solution"
        )


def module_name(library_file: str) -> str:
    """'nn/attention.py' -> 'mmjax.nn.attention'."""
    return "mmjax." + library_file.removesuffix(".py").replace("/", ".")


def reference_modules(assignment: catalog.Assignment) -> dict[str, set[str]]:
    """Reference module -> the top-level names graded in it (a class, for a graded method)."""
    modules: dict[str, set[str]] = {}
    for library_file, functions in assignment.functions:
        modules.setdefault(module_name(library_file), set()).update(f.split(".")[0] for f in functions)
    return modules


def reaches(path: str, modules: dict[str, set[str]]) -> str | None:
    """The reference module that the dotted ``path`` leads into, or None."""
    for module, graded in modules.items():
        if module == path or module.startswith(path + "."):  # the module, or a package above it
            return module
        if path.startswith(module + ".") and path[len(module) + 1 :].split(".")[0] in graded:
            return module
    return None


def _import_keys(tree: ast.AST) -> set[tuple]:
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            keys |= {(node.module, a.name, a.asname) for a in node.names}
        elif isinstance(node, ast.Import):
            keys |= {(None, a.name, a.asname) for a in node.names}
    return keys


@functools.cache
def starter_imports(name: str, library_file: str) -> frozenset:
    """The imports of the student copy as handed out: the assignment's own, always allowed."""
    assignment = catalog.get(name)
    functions = dict(assignment.functions)[library_file]
    source = stub_source((catalog.PACKAGE / library_file).read_text(), functions, library_file)
    return frozenset(_import_keys(ast.parse(source)))


def _call_path(node: ast.Call) -> str | None:
    """'a.b' for import_module("a.b"); 'a' for __import__("a.b") (it returns the top package) unless a fromlist."""
    called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    if called not in ("import_module", "__import__") or not node.args:
        return None
    target = node.args[0]
    if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
        return None
    if called == "__import__" and len(node.args) < 4 and not any(k.arg == "fromlist" for k in node.keywords):
        return target.value.split(".")[0]
    return target.value


def _path(node: ast.AST, bindings: dict[str, str]) -> str | None:
    """The dotted path an expression leads to, when it starts from an imported module."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        base = bindings.get(node.id)
    elif isinstance(node, ast.Call):
        base = _call_path(node)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        holder = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        base = node.slice.value if holder == "modules" and isinstance(node.slice.value, str) else None
    else:
        base = None
    return None if base is None else ".".join([base, *reversed(attributes)])


def _units(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """'' -> the module's own statements; 'f' / 'C.m' -> the body of each function and method."""
    units: dict[str, list[ast.AST]] = {"": []}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            units[node.name] = [node]
        elif isinstance(node, ast.ClassDef):
            units[""].append(node)  # its decorators, bases and class-level statements
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    units[f"{node.name}.{item.name}"] = [item]
        else:
            units[""].append(node)
    return units


def _walk(nodes: list[ast.AST], inside_functions: bool):
    """Every node under ``nodes``; for the module unit, not into the methods (they are units of their own)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if inside_functions or not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                stack.append(child)


def _bindings(nodes: list[ast.AST], inside: bool, starter: frozenset, outer: dict) -> dict[str, tuple[str, int]]:
    """Name -> (dotted module path, line) for the imports (not the starter's) and module aliases in ``nodes``."""
    bound = dict(outer)
    for _ in range(2):  # a second pass for aliases of aliases (ref = mmjax.nn; att = ref.attention)
        for node in _walk(nodes, inside):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if (None, a.name, a.asname) not in starter:
                        top = a.name.split(".")[0]  # `import a.b` binds a
                        bound[a.asname or top] = (a.name if a.asname else top, node.lineno)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for a in node.names:
                    if (node.module, a.name, a.asname) not in starter and a.name != "*":
                        bound[a.asname or a.name] = (f"{node.module}.{a.name}", node.lineno)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                path = _path(node.value, {n: p for n, (p, _) in bound.items()})
                if path is not None:
                    bound[node.targets[0].id] = (path, node.lineno)
    return bound


def _uses(nodes, inside, bindings, modules, starter):
    """(node, reference module) for every use in ``nodes`` that reaches a reference module."""
    paths = {n: p for n, (p, _) in bindings.items()}
    inner = {id(node.value) for node in _walk(nodes, inside) if isinstance(node, ast.Attribute)}
    for node in _walk(nodes, inside):  # whole chains (mmjax.data.audio.X), never their head alone
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == "*" for a in node.names):
            module = reaches(node.module, modules) if (node.module, "*", None) not in starter else None
        elif id(node) in inner or not isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript):
            continue
        elif isinstance(getattr(node, "ctx", None), ast.Store | ast.Del):
            continue
        else:
            path = _path(node, paths)
            module = reaches(path, modules) if path else None
        if module:
            yield node, module


def _targets(statement: ast.AST, node: ast.AST, graded: tuple[str, ...]) -> list[str]:
    """What a module-level ``statement`` that reaches the reference (at ``node``) defines with it.

    'x' for ``x = ...``; in ``class C``, 'C.x' for a class-level ``x = ...`` and every graded method of C for
    a base class or decorator (``class C(reference.C)`` hands C the reference's methods); [] for anything else.
    """
    if isinstance(statement, ast.ClassDef):
        for item in statement.body:
            if any(n is node for n in ast.walk(item)):
                return [f"{statement.name}.{t}" for t in _targets(item, node, graded)]
        return [f for f in graded if f.startswith(statement.name + ".")] or [statement.name]
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def scan_source(source: str, file: str, graded: tuple[str, ...], name: str, library_file: str) -> list[Taken]:
    """The graded functions (qualified names) of one student file that take their body from the library."""
    tree = ast.parse(source, file)
    modules = reference_modules(catalog.get(name))
    starter = starter_imports(name, library_file)
    units = _units(tree)
    taken: dict[str, Taken] = {}
    tainted: dict[str, Taken] = {}  # a helper's or alias's name -> where it reached the reference

    def take(function: str, line: int, module: str) -> None:
        if function not in taken or line < taken[function].line:
            taken[function] = Taken(file, function, line, module)

    module_bindings = _bindings(units[""], False, starter, {})
    for binding, (path, line) in module_bindings.items():  # `from mmjax.nn.attention import causal_mask`
        module = reaches(path, modules)
        if module and binding in graded:
            take(binding, line, module)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    module_bindings = {n: b for n, b in module_bindings.items() if n not in defined}  # a later def wins
    top = {id(n): s for s in units[""] for n in ast.walk(s)}

    def mark(function: str, line: int, module: str) -> bool:
        """Take a graded function; taint anything else (a graded one that calls it is taken in turn)."""
        if function in graded:
            take(function, line, module)
            return False
        short = function.split(".")[-1]
        new = short not in tainted
        tainted.setdefault(short, Taken(file, function, line, module))
        return new

    for node, module in _uses(units[""], False, module_bindings, modules, starter):
        for target in _targets(top[id(node)], node, graded) or graded:  # nothing named: it could be anything
            mark(target, node.lineno, module)
    for unit, nodes in units.items():
        if unit:
            for node, module in _uses(nodes, True, _bindings(nodes, True, starter, module_bindings), modules, starter):
                mark(unit, node.lineno, module)
    changed = True
    while changed:  # a function that uses a tainted helper or alias is taken (or, a helper, tainted) too
        changed = False
        for unit, nodes in units.items():
            if not unit or unit in taken:
                continue
            for node in _walk(nodes, True):
                used = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
                origin = tainted.get(used) if used != unit.split(".")[-1] else None
                if origin and isinstance(getattr(node, "ctx", None), ast.Load):
                    changed |= mark(unit, origin.line, origin.module)
                    break
    return sorted(taken.values(), key=lambda t: (t.line, t.function))


def scan_folder(name: str, folder: str | Path) -> tuple[list[Taken], list[str]]:
    """(functions taken from the library, problems found before running) for a student's folder."""
    taken, problems = [], []
    for library_file, functions in catalog.get(name).functions:
        file = Path(library_file).name
        path = Path(folder) / file
        if not path.is_file():
            problems.append(f"{file} is missing")
            continue
        try:
            taken += scan_source(path.read_text(errors="replace"), file, functions, name, library_file)
        except SyntaxError as error:
            problems.append(f"{file} does not parse (line {error.lineno}: {error.msg})")
    return taken, problems
