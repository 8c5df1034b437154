"""Small shared helpers: shipped artifacts (``artifacts``), safe ``.npz`` files (``npz_checkpoint``,
read header first by ``npz_reader``), checks on the paths users give (``safe_files``), fixed-size
padded batches (``batching``), FLOP counting and timing for benchmarks (``flops``), and the chapters' tools
(``chapter``, ``results``, ``selfcheck``, ``figures``, ``chapter_cli``)."""
