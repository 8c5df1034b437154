"""The PyTorch mirrors that ``python -m bench --torch`` times are the JAX models: same parameter counts, and
the same losses, gradients and images for the same weights and inputs (weights copied from a JAX state).

Skipped where torch is missing (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[bench]'); mirrors not checked")

from bench import torch_mirrors as M  # noqa: E402
from mmjax.data.loader import Loader  # noqa: E402
from mmjax.data.tokenizer import SPECIALS  # noqa: E402
from mmjax.gan import losses  # noqa: E402
from mmjax.nn import functional as F  # noqa: E402
from mmjax.train.registry import get_task  # noqa: E402

pytestmark = pytest.mark.slow  # ~15-30 s on 2 busy cores: JAX compiles both players twice


def _count(tree) -> int:
    return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


def _perturbed(tree, seed: int):
    """Every parameter moved by noise, so zero-initialised layers (FiLM) and biases are checked too."""
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    return jax.tree.unflatten(treedef, [a + 0.05 * jax.random.normal(k, a.shape) for a, k in zip(leaves, keys)])


@functools.cache
def _setup(name: str):
    task = get_task(name)
    config = task.default_config()
    state = task.init_state(config, jax.random.key(0), 10)
    for player in ("generator", "discriminator"):
        state[player] = {**state[player], "params": _perturbed(state[player]["params"], len(player))}
    batch = next(Loader(task.make_source(config, "train"), config.batch_size))
    if name == "dcgan":
        from mmjax.gan.dcgan.data import model_batch
        from mmjax.gan.dcgan.model import CONDITION_VOCAB, build_players

        mirror = M.DCGANStep(config, CONDITION_VOCAB)
    else:
        from mmjax.text2image.data import model_batch
        from mmjax.text2image.model import build_players

        mirror = M.TextToImageStep(config, len(SPECIALS))
    graphs = tuple(F.split(player)[0] for player in build_players(config, jax.random.key(0)))
    M.load_jax_params(mirror, state)
    return task, config, state, batch, model_batch(batch), graphs, mirror


def _close(torch_value, jax_value, rtol=2e-4, atol=2e-5):
    np.testing.assert_allclose(np.asarray(torch_value.detach()), np.asarray(jax_value), rtol=rtol, atol=atol)


def _vars(state, player, params=None):
    return {"params": state[player]["params"] if params is None else params, "state": state[player]["state"]}


def test_dcgan_mirror_same_parameters_images_losses_and_gradients():
    task, config, state, batch, model, (g_graph, d_graph), mirror = _setup("dcgan")
    assert M.num_params(mirror.generator) == _count(state["generator"]["params"])
    assert M.num_params(mirror.discriminator) == _count(state["discriminator"]["params"])
    real, condition = model["x"], model["condition"]
    z_d, z_g = (jax.random.normal(jax.random.key(k), (real.shape[0], config.latent_dim)) for k in (5, 6))

    @jax.jit
    def jax_losses(g_params, d_params):
        fake = F.call(g_graph, _vars(state, "generator", g_params), z_d, condition)[0]
        inputs, conditions = jnp.concatenate([real, jax.lax.stop_gradient(fake)]), jnp.concatenate([condition] * 2)
        logits, new_d = F.call(d_graph, _vars(state, "discriminator", d_params), inputs, conditions)
        d_loss = losses.minimax_discriminator_loss(*jnp.split(logits, 2))
        fake_g = F.call(g_graph, _vars(state, "generator", g_params), z_g, condition)[0]
        d_after = {"params": state["discriminator"]["params"], "state": new_d["state"]}  # D's u advanced once
        g_loss = losses.non_saturating_generator_loss(F.call(d_graph, d_after, fake_g, condition)[0])
        return d_loss, g_loss, fake, new_d["state"]

    def jax_grads(g_params, d_params):
        d_grad = jax.grad(lambda d: jax_losses(g_params, d)[0])(d_params)
        g_grad = jax.grad(lambda g: jax_losses(g, d_params)[1])(g_params)
        return jnp.sqrt(sum(jnp.sum(x**2) for x in jax.tree.leaves(d_grad))), jnp.sqrt(
            sum(jnp.sum(x**2) for x in jax.tree.leaves(g_grad))
        )

    g_params, d_params = state["generator"]["params"], state["discriminator"]["params"]
    d_loss, g_loss, fake, new_u = jax_losses(g_params, d_params)
    d_norm, g_norm = jax.jit(jax_grads)(g_params, d_params)

    t_real, t_cond = M.images_nchw(batch["image"]), torch.from_numpy(np.array(condition)).long()
    t_zd, t_zg = torch.from_numpy(np.array(z_d)), torch.from_numpy(np.array(z_g))
    _close(mirror.generator(t_zd, t_cond).permute(0, 2, 3, 1), fake, atol=1e-4)
    t_d_loss = mirror.d_loss(t_real, t_cond, t_zd)[0]  # advances D's u, as the JAX call did
    _close(t_d_loss, d_loss)
    _close(mirror.discriminator.stem.sn.u, new_u["stem"]["u"])
    _close(M._grad_norm(torch.autograd.grad(t_d_loss, mirror.d_params)), d_norm, rtol=1e-3)
    t_g_loss = mirror.g_loss(t_cond, t_zg)
    _close(t_g_loss, g_loss)
    _close(M._grad_norm(torch.autograd.grad(t_g_loss, mirror.g_params)), g_norm, rtol=1e-3)


def test_text2image_mirror_same_parameters_shapes_and_losses():
    try:  # where issue 21's refactor puts them; before it, mmjax.text2image.step
        from mmjax.gan.terms import info_nce, word_loss
    except ImportError:
        from mmjax.text2image.step import info_nce, word_loss

    task, config, state, batch, model, (g_graph, d_graph), mirror = _setup("text2image")
    assert M.num_params(mirror.generator) == _count(state["generator"]["params"])
    assert M.num_params(mirror.discriminator) == _count(state["discriminator"]["params"])
    real, tokens = model["x"], model["tokens"]
    n = real.shape[0]
    from mmjax.text2image.model import TextToImageDiscriminator

    heads = "heads" if hasattr(TextToImageDiscriminator, "heads") else "judge"  # D's method for all its outputs
    z_d, z_g = (jax.random.normal(jax.random.key(k), (n, config.latent_dim)) for k in (5, 6))

    @jax.jit
    def jax_losses(g_params, d_params):  # L_D and L_G of mmjax.text2image.step, written out
        fake = F.call(g_graph, _vars(state, "generator", g_params), z_d, tokens)[0]
        images = jnp.concatenate([real, jax.lax.stop_gradient(fake), real])
        captions = jnp.concatenate([tokens, tokens, jnp.roll(tokens, 1, axis=0)])
        out, new_d = F.call(d_graph, _vars(state, "discriminator", d_params), images, captions, method=heads)
        real_l, fake_l, wrong_l = jnp.split(out["logits"], 3)
        nce = info_nce(out["u"][:n], out["v"][:n], config.temperature)[0]
        words = word_loss(out["words"][:n], tokens) + word_loss(out["words"][n : 2 * n], None)
        d_loss = losses.matching_aware_discriminator_loss(real_l, wrong_l, fake_l)
        d_loss = d_loss + config.contrastive_weight * nce + config.word_weight * words
        fake_g = F.call(g_graph, _vars(state, "generator", g_params), z_g, tokens)[0]
        d_after = {"params": state["discriminator"]["params"], "state": new_d["state"]}
        out_g = F.call(d_graph, d_after, fake_g, tokens, method=heads)[0]
        g_loss = losses.non_saturating_generator_loss(out_g["logits"])
        g_loss = g_loss + config.contrastive_weight * info_nce(out_g["u"], out_g["v"], config.temperature)[0]
        g_loss = g_loss + config.word_weight * word_loss(out_g["words"], tokens)
        return d_loss, g_loss, fake, out

    d_loss, g_loss, fake, out = jax_losses(state["generator"]["params"], state["discriminator"]["params"])
    t_real, t_tokens = M.images_nchw(batch["image"]), torch.from_numpy(np.array(tokens)).long()
    t_zd, t_zg = torch.from_numpy(np.array(z_d)), torch.from_numpy(np.array(z_g))
    t_fake = mirror.generator(t_zd, t_tokens)
    assert tuple(t_fake.shape) == (n, 3, config.image_size, config.image_size)
    _close(t_fake.permute(0, 2, 3, 1), fake, atol=1e-4)
    t_d_loss = mirror.d_loss(t_real, t_tokens, t_zd)[0]
    _close(t_d_loss, d_loss, rtol=5e-4)
    _close(mirror.g_loss(t_tokens, t_zg)[0], g_loss, rtol=5e-4)
    with torch.no_grad():
        t_out = mirror.discriminator.heads(t_real, t_tokens, update_u=False)
    assert {k: tuple(v.shape) for k, v in t_out.items()} == {k: (n, *v.shape[1:]) for k, v in out.items()}


@pytest.mark.parametrize("name", ["dcgan", "text2image"])
def test_mirror_step_trains(name):
    """One mirror step updates both players (and G's EMA) and reports finite losses."""
    task, config, state, batch, model, graphs, _ = _setup(name)
    from mmjax.gan.dcgan.model import CONDITION_VOCAB

    mirror = M.DCGANStep(config, CONDITION_VOCAB) if name == "dcgan" else M.TextToImageStep(config, len(SPECIALS))
    second = model["condition"] if name == "dcgan" else model["tokens"]
    before = [p.detach().clone() for p in mirror.g_params + mirror.d_params]
    metrics = mirror.step(M.images_nchw(batch["image"]), torch.from_numpy(np.array(second)).long())
    assert all(torch.isfinite(v) for v in metrics.values())
    assert all(not torch.equal(a, b) for a, b in zip(before, mirror.g_params + mirror.d_params) if a.numel() > 1)
