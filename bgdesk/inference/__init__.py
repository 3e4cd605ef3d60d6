"""On-device inference: the model catalog and store, and the cutout engine."""
