"""``mmjax train seq2seq``: the encoder-decoder Transformer learns to reverse (copy, sort) sequences."""

from __future__ import annotations

from mmjax.seq2seq import step
from mmjax.seq2seq.config import Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="seq2seq",
    config_cls=Seq2SeqConfig,
    make_source=SequenceSource,
    eval_keys=("exact_match", "token_accuracy"),
    best_metric="exact_match",
    best_mode="max",
    description="encoder-decoder Transformer reverses / copies / sorts symbol sequences",
    tiny={
        "model.d_model": 16,
        "model.num_heads": 2,
        "model.num_layers": 1,
        "model.d_hidden": 32,
        "num_symbols": 4,
        "min_length": 2,
        "max_length": 4,
        "num_train_examples": 64,
        "num_test_examples": 8,
        "batch_size": 8,
        "warmup_steps": 1,
    },
    bench="transformer",
)
