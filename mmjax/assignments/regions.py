"""Solution regions: find the ``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines of a function and stub them out.

In the student copy the region becomes

    <the region's comment-only lines: equations and hints>
    raise NotImplementedError("write <function> (see its docstring)")

at the region's indentation, so the signature, the docstring, the input checks before the region and the
comments inside it stay, and no line of code of the solution does. The markers of the file's other regions
(other assignments) are dropped; their code stays.
"""

from __future__ import annotations

import ast
import dataclasses
import re

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"


@dataclasses.dataclass(frozen=True)
class Region:
    function: str  # qualified name, e.g. "MultiHeadAttention.attend"
    begin: int  # 0-based index of the BEGIN line
    end: int  # 0-based index of the END line


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    """Qualified name -> node for the module's functions and the methods of its classes."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def marker_lines(source: str) -> list[int]:
    """0-based indices of every BEGIN or END line of a source file."""
    return [i for i, line in enumerate(source.splitlines()) if line.strip() in (BEGIN, END)]


def find_regions(source: str, functions: tuple[str, ...], filename: str = "<source>") -> list[Region]:
    """The one solution region inside each of ``functions``; a ValueError when one has none, or several."""
    lines = source.splitlines()
    nodes = _functions(ast.parse(source, filename))
    regions = []
    for name in functions:
        if name not in nodes:
            raise ValueError(f"{filename} has no function {name}")
        node = nodes[name]
        inside = range(node.lineno, node.end_lineno + 1)  # from the def line to the END comment after the body
        begins = [i for i in inside if i < len(lines) and lines[i].strip() == BEGIN]
        ends = [i for i in inside if i < len(lines) and lines[i].strip() == END]
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            raise ValueError(f"{filename}: {name} needs exactly one {BEGIN!r} ... {END!r} pair")
        regions.append(Region(name, begins[0], ends[0]))
    return regions


def is_comment(line: str) -> bool:
    return line.strip().startswith("#")


def stub_source(source: str, functions: tuple[str, ...], filename: str = "<source>") -> str:
    """The student version of ``source``: every region of ``functions`` replaced by its comments and a raise."""
    lines = source.splitlines()
    for region in sorted(find_regions(source, functions, filename), key=lambda r: -r.begin):
        indent = re.match(r"\s*", lines[region.begin]).group(0)
        body = lines[region.begin + 1 : region.end]
        kept = [line for line in body if is_comment(line)]
        short = region.function.split(".")[-1]
        raise_line = f'{indent}raise NotImplementedError("write {short} (see its docstring)")'
        lines[region.begin : region.end + 1] = kept + [raise_line]
    # other assignments' regions stay solved; their markers would only puzzle the student
    return "\n".join(line for line in lines if line.strip() not in (BEGIN, END)) + "\n"


def solution_code_lines(source: str, functions: tuple[str, ...], filename: str = "<source>") -> set[str]:
    """The stripped code lines (not comments, not blank) of the regions of ``functions``."""
    lines = source.splitlines()
    code = set()
    for region in find_regions(source, functions, filename):
        for line in lines[region.begin + 1 : region.end]:
            if line.strip() and not is_comment(line):
                code.add(line.strip())
    return code
