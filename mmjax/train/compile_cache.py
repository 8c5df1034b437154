"""The persistent XLA compilation cache: compile a train step once per machine, not once per run.

``jax.jit`` compiles on the first call with new shapes; for a Transformer or DCGAN step on CPU that
is seconds to tens of seconds, paid again by every restart of a killed run. With the cache on, the
compiled executable is stored on disk, keyed by the program and the compiler flags, and a restarted
run loads it instead. JAX's default only caches compilations slower than one second; we cache all
of them (``min_compile_time_secs = 0``), which is what pays off on CPU where steps compile fast but
runs restart often.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
from jax.experimental.compilation_cache import compilation_cache


def default_cache_dir() -> Path:
    """``$MMJAX_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmjax/jax``, else ``~/.cache/mmjax/jax``."""
    if os.environ.get("MMJAX_CACHE_DIR"):
        return Path(os.environ["MMJAX_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mmjax" / "jax"


def enable_compilation_cache(cache_dir=None) -> Path:
    """Turn the persistent cache on and return its folder.

    JAX decides whether to use the cache at its first compilation; ``reset_cache`` makes it decide
    again, so this also works in a process that has compiled before (a notebook, a chapter script).
    """
    path = Path(cache_dir) if cache_dir else default_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    compilation_cache.reset_cache()
    return path


def disable_compilation_cache() -> None:
    """Stop reading and writing the persistent cache in this process."""
    jax.config.update("jax_compilation_cache_dir", None)
    compilation_cache.reset_cache()
