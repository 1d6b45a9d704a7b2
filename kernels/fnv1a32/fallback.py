"""FNV-1a 32-bit in pure Python: the reference, and the slow path Wasm replaces."""

OFFSET_BASIS = 0x811C9DC5
PRIME = 16777619


def run(data: bytes) -> int:
    h = OFFSET_BASIS
    for byte in data:
        h = ((h ^ byte) * PRIME) & 0xFFFFFFFF
    return h
