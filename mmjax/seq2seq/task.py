"""``mmjax train seq2seq``: the encoder-decoder Transformer learns to reverse (copy, sort) sequences."""

from __future__ import annotations

from mmjax.seq2seq import step
from mmjax.seq2seq.config import Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.train.task import Task

TASK = Task(
    name="seq2seq",
    config_cls=Seq2SeqConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=SequenceSource,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=("exact_match", "token_accuracy"),
    sample=step.sample,
    best_metric="exact_match",
    best_mode="max",
    description="encoder-decoder Transformer reverses / copies / sorts symbol sequences",
)
