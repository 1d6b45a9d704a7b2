"""Dot product in Python (`sum(map(mul, a, b))` over array('f')) and NumPy's float32 dot."""

from array import array
from operator import mul


def _split(data: bytes) -> tuple[memoryview, memoryview]:
    n = len(data) // 8
    view = memoryview(data)
    return view[: 4 * n], view[4 * n : 8 * n]


def run(data: bytes) -> float:
    a_bytes, b_bytes = _split(data)
    a, b = array("f"), array("f")
    a.frombytes(a_bytes)
    b.frombytes(b_bytes)
    return sum(map(mul, a, b))


def run_numpy(data: bytes) -> float:
    import numpy as np

    a_bytes, b_bytes = _split(data)
    a = np.frombuffer(a_bytes, dtype=np.float32)
    b = np.frombuffer(b_bytes, dtype=np.float32)
    return float(np.dot(a, b))
