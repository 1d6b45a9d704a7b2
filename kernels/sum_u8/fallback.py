"""Byte sum in Python: `sum(bytes)` (a C loop over boxed ints) and NumPy's uint8 sum."""


def run(data: bytes) -> int:
    return sum(data)


def run_numpy(data: bytes) -> int:
    import numpy as np

    return int(np.frombuffer(data, dtype=np.uint8).sum(dtype=np.uint64))
