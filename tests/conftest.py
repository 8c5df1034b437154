"""Test-session settings that make the suite compile less, without changing what any test asserts.

The tests compile far more than they compute: tiny models, a few steps, each a new XLA program. Two settings
cut that cost, for this process and (through the environment) for every subprocess a test starts:

* XLA's CPU backend at optimisation level 1 (``--xla_backend_optimization_level=1``; the default is 3): LLVM
  spends less time optimising the generated loops. Measured on one core: a 4-step audio2image run with resume
  32 -> 28 s. Results differ from the default level only in float rounding (a train step's loss agrees to the
  last digit or two); every comparison a test makes is between runs under the same settings, or has a
  tolerance. Level 0 would compile faster still (21 s) but is not used: on XLA CPU it returned NaN from a
  small dot_general that levels 1 to 3 compute correctly (chapter 4.1's discriminator). Speed is measured by
  ``python -m bench``, at the default level, never here.
* One persistent compilation cache for the session, shared by the xdist workers and by subprocesses (chapters,
  the CLI): a program one test compiled (the shipped models' sampling, a tiny config's step) is loaded by the
  next. It lives under pytest's temporary folder, which pytest prunes, so nothing is written to ``~/.cache``;
  tests that choose their own cache folder (``MMJAX_CACHE_DIR``, ``--compile-cache-dir``) still get theirs.
"""

import os

import pytest

# Before any test starts JAX's backend, which reads XLA_FLAGS once.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=1").strip()

from mmjax.train.compile_cache import enable_compilation_cache  # noqa: E402  (imports JAX)


@pytest.fixture(scope="session", autouse=True)
def shared_compilation_cache(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    # xdist workers get sibling folders (.../popen-gw0, .../popen-gw1): the parent is the session's
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "jax-cache"
    folder.mkdir(exist_ok=True)
    for name, value in {
        "JAX_COMPILATION_CACHE_DIR": str(folder),  # read by subprocesses when they import JAX
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        "MMJAX_CACHE_DIR": str(folder),  # what `mmjax train` / `mmjax demo` enable by default
    }.items():
        os.environ.setdefault(name, value)
    enable_compilation_cache(os.environ["JAX_COMPILATION_CACHE_DIR"])
    return folder
