"""The encoder as mmjax ships it: ``judge/contrastive.npz`` among the package's artifacts (``mmjax.utils.artifacts``).

``export`` turns a trained run into that file, with the R-precision of real images stored next to the
weights (a safe .npz, no pickle): the ceiling any generator's R-precision is read against.
"""

from __future__ import annotations

from pathlib import Path

import jax
from flax import nnx

from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.inference import TrainedEncoder
from mmjax.metrics.contrastive.model import ContrastiveEncoder
from mmjax.metrics.contrastive.step import r_precision_report
from mmjax.nn import functional as F
from mmjax.utils import artifacts, npz_checkpoint

ARTIFACT = "judge/contrastive.npz"
MAKE_COMMAND = "mmjax train contrastive --steps 2000 --run-dir runs/contrastive && mmjax export runs/contrastive"
REPORT_EXAMPLES = 1000  # real (image, caption) pairs of test and test_heldout behind the stored R-precision


def export(state: dict, config: ContrastiveConfig, path: str | Path, report_examples: int = REPORT_EXAMPLES) -> None:
    """Write the trained encoder of train state ``state`` to ``path`` with its R-precision on real images."""
    encoder = TrainedEncoder(config, {"params": state["params"], "state": state["state"]})
    report = r_precision_report(encoder, report_examples)
    npz_checkpoint.save(path, config, encoder.variables, extra={"r_precision_real": report})


def _variables_of(config: ContrastiveConfig) -> dict:
    return jax.eval_shape(lambda: F.split(ContrastiveEncoder(config, rngs=nnx.Rngs(0)))[1])


def default_path() -> Path:
    """The shipped encoder's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def read_metadata(path: str | Path | None = None) -> dict:
    """The config and the figures (``extra["r_precision_real"]``) stored with an encoder checkpoint."""
    return npz_checkpoint.read_metadata(default_path() if path is None else path)


def load_encoder(path: str | Path | None = None) -> tuple[TrainedEncoder, ContrastiveConfig]:
    """The encoder stored at ``path`` (default: the shipped one) and its config."""
    config, variables = npz_checkpoint.load(default_path() if path is None else path, ContrastiveConfig, _variables_of)
    return TrainedEncoder(config, variables), config
