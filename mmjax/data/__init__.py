"""The procedural Shapes world and data plumbing (sources, tokenizer, TFDS, loader)."""
