"""Audio features from scratch."""
