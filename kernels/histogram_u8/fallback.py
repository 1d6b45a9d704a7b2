"""Byte histogram in Python (`collections.Counter`, a C counting loop) and NumPy's bincount."""

from collections import Counter


def run(data: bytes) -> list[int]:
    counts = Counter(data)
    return [counts.get(i, 0) for i in range(256)]


def run_numpy(data: bytes) -> list[int]:
    import numpy as np

    return np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256).tolist()
