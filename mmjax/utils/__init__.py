"""Small shared utilities (FLOP counting and timing for benchmarks)."""
