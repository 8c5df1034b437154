"""The cycle's tuning step (section 3.3): the captioner reads G's images, and G learns from its reading.

With a frozen captioner C, the generator's loss gains the negative log-likelihood of the prompt given
the image G drew for it,

    L_G += nu * (1 / N) sum_{b, t : t_bt != pad} -log C(t_b,t+1 | t_b,<=t, G(z_b, t_b)),

so G is pushed towards images from which the prompt can be read back: the cycle text -> image -> text is
trained to agree. C's weights are part of the train state (``state["captioner"]``) but never updated;
the gradient flows through C into G only. A tuning run starts from trained players (``init_from``: a
text2image run folder, or an exported ``.npz`` such as the shipped one, which carries D too), so it costs
a fraction of training from scratch:

    mmjax train text2image --init_from mmjax/artifacts/shapes/text2image.npz --caption_weight 1.0 --steps 500

Both are read from their files before anything is compiled, by :func:`warm_start` (the task's hook: the loop
hands what it read to ``init``), never inside a traced function.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from mmjax.captioner import config as captioner_config
from mmjax.captioner.model import logits, variables_of
from mmjax.gan import export
from mmjax.nn.losses import token_loss
from mmjax.text2image.config import ARCHITECTURE, TextToImageConfig
from mmjax.utils import artifacts, npz_checkpoint


@functools.cache
def captioner(path: str):
    """(config, variables) of the captioner at ``path`` ("" = the shipped one), read once per process.

    :func:`warm_start` reads it before anything is traced; should the first call come from inside a traced
    function all the same (a jitted loss of your own), the arrays are made concrete: a tracer kept in this
    cache would leak into every later call.
    """
    path = path or artifacts.artifact_path(captioner_config.ARTIFACT, captioner_config.MAKE_COMMAND)
    with jax.ensure_compile_time_eval():
        return npz_checkpoint.load(path, captioner_config.CaptionerConfig, variables_of)


def caption_loss(path: str, variables: dict, images: jax.Array, tokens: jax.Array) -> jax.Array:
    """-log C(prompt | image) per real token, for G's images ``[B, H, W, 3]`` in [-1, 1] and their prompts."""
    config = captioner(path)[0]
    pixels = (images + 1.0) * 127.5  # [B, H, W, 3] in [0, 255], the captioner's input scale, differentiable
    predicted = logits(config, variables, {"image": pixels, "tokens": tokens})  # [B, T - 1, V]
    return token_loss(predicted, tokens[:, 1:])[0]


def frozen_captioner(path: str) -> dict:
    """The captioner's variables as they sit in the train state (arrays only: checkpointable)."""
    variables = captioner(path)[1]
    return jax.tree.map(jnp.asarray, {"params": variables["params"], "state": variables["state"]})


def warm_start(config: TextToImageConfig, shipped: export.Shipped) -> dict | None:
    """What a run of ``config`` starts from, read now: the players of ``init_from`` (a run folder or an exported
    ``.npz``; :func:`mmjax.gan.export.players_from`) and, with ``caption_weight`` > 0, the frozen captioner."""
    warm = {}
    if config.init_from:
        warm = export.players_from(config.init_from, shipped, config, "text2image", ARCHITECTURE)
    if config.caption_weight > 0:
        warm["captioner"] = frozen_captioner(config.captioner_path)
    return warm or None
