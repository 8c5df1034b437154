"""``mmjax eval``: score any generator or captioner with the metrics of ``mmjax.metrics``."""
