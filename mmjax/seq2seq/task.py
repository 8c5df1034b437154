"""``mmjax train seq2seq``: the encoder-decoder Transformer learns to reverse (copy, sort) sequences."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from mmjax.nn.attention_maps import attention_maps
from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.seq2seq.evaluate import exact_match
from mmjax.seq2seq.train_step import init, train_step
from mmjax.train.task import Task


def evaluate(state: dict, config: Seq2SeqConfig) -> dict[str, float]:
    """Greedy-decoded exact match and token accuracy on the held-out test sequences."""
    return exact_match(config, state["params"])


def sample(state: dict, config: Seq2SeqConfig, key: jax.Array, out_dir) -> None:
    """A few decoded test sequences (text) and the cross-attention of the first one (figure)."""
    from mmjax.seq2seq.plots import plot_attention

    source = SequenceSource(config, "test")
    index = int(jax.random.randint(key, (), 0, len(source) - 4))
    batch = source.batch(range(index, index + 4))
    decoded = np.asarray(M.predict(config, state["params"], batch["source"]))
    lines = [f"{s.tolist()} -> {d.tolist()}" for s, d in zip(batch["source"], decoded)]
    Path(out_dir, "decoded.txt").write_text("\n".join(lines) + "\n")
    model = M.model(config, state["params"])
    one = {k: v[:1] for k, v in batch.items()}
    maps = attention_maps(model, lambda m: m(one["source"], one["target"][:, :-1]))
    last = f"decoder/blocks/{config.model.num_layers - 1}/cross_attention"
    plot_attention(maps[last][0], one["source"][0], one["target"][0, :-1], Path(out_dir, "cross_attention.png"),
                   title=f"{config.transform}: cross-attention of the last decoder layer")


TASK = Task(
    name="seq2seq",
    config_cls=Seq2SeqConfig,
    init=init,
    train_step=train_step,
    make_source=lambda config, split: SequenceSource(config, split),
    batch_size=lambda config: config.batch_size,
    evaluate=evaluate,
    sample=sample,
    best_metric="exact_match",
    best_mode="max",
    description="encoder-decoder Transformer reverses / copies / sorts symbol sequences",
)
