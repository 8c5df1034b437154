"""A tiny built-in task, ``toy``: an MLP fits noisy ``y = sin(x . w) + 0.5 tanh(x . v)``.

Small enough to train in a second on one CPU core, yet it has everything a real task has: a Flax NNX
model used functionally (graphdef + pure params dict), an Optax optimiser, a random-access data
source, randomness in the step (input-noise augmentation from the step key), an evaluation hook
with a metric to keep the best checkpoint by, and a sample hook that draws a figure. The loop's
tests (exact resume, NaN guard, multi-device) and chapter 7 run on it.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.train.task import Task


@dataclasses.dataclass(frozen=True)
class ToyModelConfig:
    width: int = 32  # hidden units of the one hidden layer


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    model: ToyModelConfig = dataclasses.field(default_factory=ToyModelConfig)  # the network
    input_dim: int = 4  # features per example
    num_examples: int = 512  # size of the generated training set (the test set is a quarter of it)
    batch_size: int = 16  # global batch, split over all devices
    learning_rate: float = 1e-2  # Adam step size
    label_noise: float = 0.05  # std of the Gaussian noise on the targets
    input_noise: float = 0.05  # std of the augmentation noise added to inputs at every step
    data_seed: int = 1234  # which data set (independent of the run's seed)


class RegressionSource:
    """``len(src)`` examples ``{"x": float32 [D], "y": float32 [1]}``, fixed by (data_seed, split)."""

    def __init__(self, config: ToyConfig, split: str = "train"):
        if split not in ("train", "test"):
            raise ValueError(f"toy task splits are 'train' and 'test', got {split!r}")
        truth = np.random.default_rng(config.data_seed)  # the function to learn: same for both splits
        w, v = truth.normal(size=(2, config.input_dim)) / np.sqrt(config.input_dim)
        rng = np.random.default_rng([config.data_seed, 0 if split == "train" else 1])
        n = config.num_examples if split == "train" else max(config.num_examples // 4, 1)
        self.x = rng.normal(size=(n, config.input_dim)).astype(np.float32)  # [N, D]
        clean = np.sin(self.x @ w) + 0.5 * np.tanh(self.x @ v)  # [N]
        self.y = (clean + config.label_noise * rng.normal(size=n))[:, None].astype(np.float32)  # [N, 1]

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict:
        return {"x": self.x[index], "y": self.y[index]}


class MLP(nnx.Module):
    def __init__(self, input_dim: int, width: int, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(input_dim, width, rngs=rngs)
        self.out = nnx.Linear(width, 1, rngs=rngs)

    def __call__(self, x):  # [B, D] -> [B, 1]
        return self.out(jax.nn.gelu(self.hidden(x)))


def _graphdef(config: ToyConfig):
    """The model's structure, without parameters (cheap: built abstractly)."""
    abstract = nnx.eval_shape(lambda: MLP(config.input_dim, config.model.width, nnx.Rngs(0)))
    return nnx.graphdef(abstract)


def _optimizer(config: ToyConfig) -> optax.GradientTransformation:
    return optax.adam(config.learning_rate)


def init(config: ToyConfig, key) -> dict:
    model = MLP(config.input_dim, config.model.width, nnx.Rngs(params=key))
    params = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    return {"params": params, "opt_state": _optimizer(config).init(params), "step": jnp.zeros((), jnp.int32)}


@functools.partial(jax.jit, static_argnums=0)
def predict(config: ToyConfig, params, x):
    return nnx.merge(_graphdef(config), params)(x)  # [B, 1]


def mse(config: ToyConfig, params, x, y):
    """L = mean_i (f(x_i) - y_i)^2"""
    return jnp.mean((predict(config, params, x) - y) ** 2)


def make_train_step(config: ToyConfig):
    optimizer = _optimizer(config)

    def train_step(state, batch, key):
        x = batch["x"] + config.input_noise * jax.random.normal(key, batch["x"].shape)  # [B, D]
        loss, grads = jax.value_and_grad(lambda p: mse(config, p, x, batch["y"]))(state["params"])
        updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
        new_state = {"params": optax.apply_updates(state["params"], updates), "opt_state": opt_state,
                     "step": state["step"] + 1}
        return new_state, {"loss": loss, "grad_norm": optax.tree.norm(grads)}
    return train_step


def train_step(state, batch, key, config: ToyConfig):
    """One Adam step on the augmented batch; the loop binds ``config`` before jitting."""
    return make_train_step(config)(state, batch, key)


def evaluate(state, config: ToyConfig) -> dict:
    test = RegressionSource(config, "test")
    return {"test_mse": float(jax.jit(mse, static_argnums=0)(config, state["params"], test.x, test.y))}


def sample(state, config: ToyConfig, key, out_dir) -> None:
    """Predictions against targets on the test set (a perfect fit lies on the diagonal)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = RegressionSource(config, "test")
    pred = np.asarray(predict(config, state["params"], test.x))
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    ax.scatter(test.y[:, 0], pred[:, 0], s=6)
    lims = [float(test.y.min()), float(test.y.max())]
    ax.plot(lims, lims, "k--", lw=1)
    ax.set(xlabel="target", ylabel="prediction", title=f"toy fit, step {int(state['step'])}")
    fig.tight_layout()
    fig.savefig(Path(out_dir) / "fit.png", dpi=80)
    plt.close(fig)


TASK = Task(
    name="toy",
    config_cls=ToyConfig,
    init=init,
    train_step=train_step,
    make_source=lambda config, split: RegressionSource(config, split),
    batch_size=lambda config: config.batch_size,
    evaluate=evaluate,
    sample=sample,
    best_metric="test_mse",
    best_mode="min",
    description="MLP regression on generated data (the loop's own test task)",
)
