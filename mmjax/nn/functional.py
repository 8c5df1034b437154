"""The one way mmjax uses a Flax NNX module functionally: a static graph plus a pytree of plain arrays.

NNX modules are Python objects that hold their own arrays. A jitted, donated, checkpointed train step
wants the opposite: a pure function of plain arrays. ``nnx.split`` separates the two halves,

    module  ->  graphdef (static: the structure, hashable)  +  variables (a pytree of arrays),

and ``nnx.merge`` puts them back together. mmjax always splits the same way, into

    variables = {"params": trainable arrays (nnx.Param), "state": every other variable}

where ``state`` holds non-trainable arrays a forward pass may update (spectral norm's power-iteration
vectors). Both are nested dicts whose keys are strings: ``nnx.List`` indexes its layers with integers,
and checkpoints (orbax) and ``.npz`` files want string keys, so layer 0 is ``"0"`` outside NNX.

Inside a jitted function, rebuild and call:

    graphdef, variables = split(Model(config, rngs=nnx.Rngs(key)))
    out, variables = call(graphdef, variables, x)              # any method: call(..., method="encode")
    loss_grad = jax.grad(lambda p: call(graphdef, {**variables, "params": p}, x)[0].sum())

Building a module only for its graph costs no FLOPs with :func:`graph_of` (``nnx.eval_shape``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flax import nnx

Variables = dict  # {"params": nested dict of arrays, "state": nested dict of arrays}


def _string_keys(tree: Any) -> Any:
    """Integer keys (``nnx.List`` indices) as strings, so the tree is checkpoint-safe."""
    if isinstance(tree, dict):
        return {str(k): _string_keys(v) for k, v in tree.items()}
    return tree


def _nnx_keys(tree: Any) -> Any:
    """The inverse of :func:`_string_keys`: digit strings back to the integers NNX expects."""
    if isinstance(tree, dict):
        return {(int(k) if isinstance(k, str) and k.isdigit() else k): _nnx_keys(v) for k, v in tree.items()}
    return tree


def split(module: nnx.Module) -> tuple[nnx.GraphDef, Variables]:
    """``module -> (graphdef, {"params": ..., "state": ...})`` with plain, string-keyed dicts of arrays."""
    graphdef, params, rest = nnx.split(module, nnx.Param, ...)
    variables = {"params": nnx.to_pure_dict(params), "state": nnx.to_pure_dict(rest)}
    return graphdef, _string_keys(variables)


def merge(graphdef: nnx.GraphDef, variables: Variables) -> nnx.Module:
    """The module rebuilt from its graph and variables (the inverse of :func:`split`)."""
    return nnx.merge(graphdef, _nnx_keys(variables["params"]), _nnx_keys(variables["state"]))


def call(graphdef: nnx.GraphDef, variables: Variables, *args, method: str = "__call__", **kwargs):
    """``(output, new variables)`` of ``module.method(*args, **kwargs)``, as a pure function.

    The new variables keep the given params and carry any state the call updated.
    """
    module = merge(graphdef, variables)
    out = getattr(module, method)(*args, **kwargs)
    state = _string_keys(nnx.to_pure_dict(nnx.state(module, nnx.Not(nnx.Param))))
    return out, {"params": variables["params"], "state": state}


def graph_of(build: Callable[[], nnx.Module]) -> nnx.GraphDef:
    """The graph of the module ``build()`` makes, built abstractly (shapes only, no arrays computed)."""
    return nnx.graphdef(nnx.eval_shape(build))


@functools.cache
def module_graph(module_cls: type, config) -> nnx.GraphDef:
    """The graph of ``module_cls(config, rngs=...)``, built abstractly once per class and (hashable) config."""
    return graph_of(lambda: module_cls(config, rngs=nnx.Rngs(0)))
