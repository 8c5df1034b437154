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
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp

from mmjax.seq2seq.step import token_loss


@functools.cache
def captioner(path: str):
    """(config, variables) of the captioner at ``path`` ("" = the shipped one), read once per process.

    The arrays are made concrete even when the first call comes from inside a traced function (the loop's
    jitted init, a jitted loss): a tracer kept in this cache would leak into every later call.
    """
    from mmjax.captioner.export import load

    with jax.ensure_compile_time_eval():
        return load(path or None)


def caption_loss(path: str, variables: dict, images: jax.Array, tokens: jax.Array) -> jax.Array:
    """-log C(prompt | image) per real token, for G's images ``[B, H, W, 3]`` in [-1, 1] and their prompts."""
    from mmjax.captioner.model import logits

    config = captioner(path)[0]
    pixels = (images + 1.0) * 127.5  # [B, H, W, 3] in [0, 255], the captioner's input scale, differentiable
    predicted = logits(config, variables, {"image": pixels, "tokens": tokens})  # [B, T - 1, V]
    return token_loss(predicted, tokens[:, 1:])[0]


def state_from(init_from: str, config, optimizers: dict) -> dict:
    """The players to tune from: a text2image run folder's latest state, or an exported ``.npz`` (G starts
    from the file's sampling weights, fresh optimiser states for both players)."""
    from mmjax.text2image.export import load_players
    from mmjax.train.state import new_train_state

    if str(init_from).endswith(".npz"):
        saved, players = load_players(init_from)
        state = {name: new_train_state(players[name], optimizers[name]) for name in players}
        state["generator"]["ema"] = state["generator"]["params"]
    else:
        saved, state = _run_state(init_from)
    architecture = ("dataset", "image_size", "latent_dim", "width", "text_dim", "text_layers", "text_heads")
    differ = [f for f in architecture + ("text_hidden", "contrastive_dim") if getattr(saved, f) != getattr(config, f)]
    if differ:
        raise ValueError(f"init_from: {init_from} has other {differ} than this config")
    return state


def _run_state(run_dir: str) -> tuple:
    from mmjax.train.restore import load_run

    if not Path(run_dir, "checkpoints").is_dir():
        raise FileNotFoundError(
            f"init_from: {run_dir} is neither an exported .npz nor a run folder of `mmjax train text2image`"
        )
    task, saved, state, step = load_run(run_dir)
    if task.name != "text2image":
        raise ValueError(f"init_from: {run_dir} holds a {task.name!r} run, not a 'text2image' run")
    return saved, {player: state[player] for player in ("generator", "discriminator")}


def frozen_captioner(path: str) -> dict:
    """The captioner's variables as they sit in the train state (arrays only: checkpointable)."""
    variables = captioner(path)[1]
    return jax.tree.map(jnp.asarray, {"params": variables["params"], "state": variables["state"]})
