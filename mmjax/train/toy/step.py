"""Training the toy MLP: optimiser, init, the pure train step, evaluation and a sample figure."""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.nn import functional as F
from mmjax.train.state import apply_gradients, new_train_state
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.data import RegressionSource
from mmjax.train.toy.model import MLP


@functools.cache
def graphdef(config: ToyConfig) -> nnx.GraphDef:
    """The model's structure, without parameters (built abstractly)."""
    return F.graph_of(lambda: MLP(config, rngs=nnx.Rngs(0)))


def make_optimizer(config: ToyConfig, num_steps: int) -> optax.GradientTransformation:
    """Adam at a constant step size (the toy run is too short for a schedule to matter)."""
    del num_steps
    return optax.adam(config.learning_rate)


def init(config: ToyConfig, key: jax.Array, optimizer: optax.GradientTransformation) -> dict:
    """The train state: fresh MLP parameters, Adam's state, step 0."""
    return new_train_state(F.split(MLP(config, rngs=nnx.Rngs(params=key)))[1], optimizer)


def predict(config: ToyConfig, variables: dict, x: jax.Array) -> jax.Array:
    """f(x): ``[B, D] -> [B, 1]``."""
    return F.call(graphdef(config), variables, x)[0]


def mse(config: ToyConfig, variables: dict, x: jax.Array, y: jax.Array) -> jax.Array:
    """L = mean_i (f(x_i) - y_i)^2"""
    return jnp.mean((predict(config, variables, x) - y) ** 2)


def train_step(state: dict, batch: dict, key: jax.Array, config: ToyConfig, optimizer) -> tuple[dict, dict]:
    """One Adam step on the batch with Gaussian input noise (augmentation drawn from ``key``)."""
    x = batch["x"] + config.input_noise * jax.random.normal(key, batch["x"].shape)  # [B, D]
    loss, grads = jax.value_and_grad(lambda p: mse(config, {**state, "params": p}, x, batch["y"]))(state["params"])
    return apply_gradients(state, grads, optimizer), {"loss": loss, "grad_norm": optax.tree.norm(grads)}


_jitted_mse = jax.jit(mse, static_argnums=0)
_jitted_predict = jax.jit(predict, static_argnums=0)


def evaluate(state: dict, config: ToyConfig) -> dict[str, float]:
    """Mean squared error on the test split."""
    test = RegressionSource(config, "test")
    return {"test_mse": float(_jitted_mse(config, state, test.x, test.y))}


def sample(state: dict, config: ToyConfig, key: jax.Array, out_dir) -> None:
    """Predictions against targets on the test set (a perfect fit lies on the diagonal)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = RegressionSource(config, "test")
    pred = np.asarray(_jitted_predict(config, state, test.x))
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    ax.scatter(test.y[:, 0], pred[:, 0], s=6, label="test example")
    lims = [float(test.y.min()), float(test.y.max())]
    ax.plot(lims, lims, "k--", lw=1, label="perfect fit")
    ax.set(xlabel="target y", ylabel="prediction f(x)", title=f"toy fit, step {int(state['step'])}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(Path(out_dir) / "fit.png", dpi=80)
    plt.close(fig)
