"""Evaluation metrics: quality, diversity and coherence of generated samples, plus captioning scores.

Every metric here is a small pure function of arrays (features, labels, token lists) returning plain
Python floats or numpy arrays; the judge network (``mmjax.metrics.judge``) turns images into the labels
and features these functions consume.
"""
