"""Captions of pictures from elsewhere: an independent PIL rasteriser, picture conditions, a robustness table.

:mod:`.rasterise` draws a Shapes scene with ``PIL.ImageDraw`` (not the SDF renderer the models were trained
on) under a :class:`.rasterise.Condition`; :mod:`.table` captions such pictures and scores them per condition
(``mmjax eval captioner --robustness``); :mod:`.normalise` holds the input normalisations measured there.
"""
