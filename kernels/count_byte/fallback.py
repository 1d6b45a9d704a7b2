"""Byte search in Python (`bytes.count`, a C loop) and NumPy (`count_nonzero(a == needle)`)."""


def run(data: bytes, needle: int) -> int:
    return data.count(needle)


def run_numpy(data: bytes, needle: int) -> int:
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == needle))
